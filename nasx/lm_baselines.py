"""LSTM / GRU language-model baselines with the recurrent-cell spaces' contract and dropouts.

A found recurrent cell (`nasx.spaces.rnn`) is only worth something next to a plain LSTM of the same
size trained the same way, so these follow the same forward contract and regularisation as
`nasx.spaces.rnn_network.RecurrentCellLM`:

- `forward(tokens (N, T), hidden=None) -> (logits (N, T, V), hidden)` batch-first; `hidden` is a
  flat tuple (h_0, c_0, h_1, c_1, ...) of (1, N, width) tensors for LSTMs, one such tensor for a
  one-layer GRU; `init_hidden(n)` gives zeros of that form.
- tied decoder (AWD-LSTM: the last layer's width is `embedding`, the others `hidden`; a one-layer
  model has width `embedding`, so `hidden` must equal it), embedding init uniform in +-init_range,
  zero decoder bias.
- `dropoute` (embedding rows), `dropouti` (embedding output), `dropout` (last layer's output),
  `dropoutx` (each layer's input) and `dropouth` (the hidden state fed back into each layer): all
  variational, one mask per sequence shared over time, active only in training mode. With dropouth
  > 0 in training the layer runs step by step (the mask sits inside the recurrence); otherwise it is
  one call of torch's fused nn.LSTM / nn.GRU with the same weights.

    s = size_to_params("lstm_lm", 10000, 23_000_000)   # embedding = hidden = s: about 23M parameters
    net = create_lm_baseline("lstm_lm", 10000, embedding=s, hidden=s, dropoute=0.1)

so that a baseline can be compared at equal size with a found cell.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .errors import NasxError
from .registry import Registry
from .spaces.rnn_network import embedded_dropout, locked_dropout, variational_mask

LM_BASELINES: Registry[Callable[..., nn.Module]] = Registry("language-model baseline")
# name -> (cell kind, layers)
_SHAPES: dict[str, tuple[str, int]] = {"lstm_lm": ("lstm", 1), "lstm2_lm": ("lstm", 2), "gru_lm": ("gru", 1)}
_GATES = {"lstm": 4, "gru": 3}


class RecurrentLayer(nn.Module):
    """One nn.LSTM / nn.GRU layer (batch-first) with variational dropout on its input and on the
    hidden state it feeds back (Gal & Ghahramani's recurrence mask, which the fused kernel cannot apply)."""

    def __init__(self, kind: str, ninp: int, nhid: int, dropoutx: float = 0.0, dropouth: float = 0.0):
        super().__init__()
        self.kind, self.ninp, self.nhid = kind, int(ninp), int(nhid)
        self.dropoutx, self.dropouth = float(dropoutx), float(dropouth)
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(self.ninp, self.nhid, batch_first=True)

    def forward(self, x: torch.Tensor, hidden):
        """x (N, T, ninp); hidden (h, c) or h, each (1, N, nhid) -> (outputs (N, T, nhid), hidden)."""
        n = x.size(0)
        if self.training and self.dropoutx:
            x = x * variational_mask(x, n, self.ninp, self.dropoutx).unsqueeze(1)
        h_mask = variational_mask(x, n, self.nhid, self.dropouth) if self.training else None
        if h_mask is None:
            return self.rnn(x, hidden)
        return self._stepwise(x, hidden, h_mask)

    def _stepwise(self, x, hidden, h_mask):
        r = self.rnn
        xw = torch.nn.functional.linear(x, r.weight_ih_l0, r.bias_ih_l0)  # the input half, every step at once
        h, c = hidden if self.kind == "lstm" else (hidden, None)
        h, c = h[0], (c[0] if c is not None else None)
        outs = []
        for t in range(x.size(1)):
            hw = torch.nn.functional.linear(h * h_mask, r.weight_hh_l0, r.bias_hh_l0)
            if self.kind == "lstm":
                i, f, g, o = (xw[:, t] + hw).chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:  # torch's GRU: the reset gate scales the hidden half of the candidate, bias included
                xr, xz, xn = xw[:, t].chunk(3, 1)
                hr, hz, hn = hw.chunk(3, 1)
                rg, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                h = (1 - z) * torch.tanh(xn + rg * hn) + z * h
            outs.append(h)
        out = torch.stack(outs, 1)
        return out, ((h.unsqueeze(0), c.unsqueeze(0)) if self.kind == "lstm" else h.unsqueeze(0))


class RecurrentLM(nn.Module):
    """Embedding -> `layers` LSTM/GRU layers -> decoder tied to the embedding (AWD-LSTM layout: the
    last layer's width is `embedding`, the others' `hidden`)."""

    def __init__(self, kind: str, layers: int, ntoken: int, embedding: int = 300, hidden: int | None = None,
                 dropout: float = 0.75, dropouth: float = 0.25, dropoutx: float = 0.75, dropouti: float = 0.2,
                 dropoute: float = 0.0, init_range: float = 0.1):
        super().__init__()
        for key, size in (("embedding", embedding), ("hidden", hidden)):
            if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 4096):
                raise NasxError(f"{key} must be an integer in [1, 4096], got {size!r}")
        hidden = int(embedding if hidden is None else hidden)
        if layers == 1 and hidden != int(embedding):
            raise NasxError(f"a one-layer {kind} baseline has width embedding ({embedding}) (tied decoder); "
                            f"hidden {hidden} must equal it or be left out")
        if int(ntoken) < 2:
            raise NasxError(f"vocabulary size must be at least 2, got {ntoken}")
        for key, p in (("dropout", dropout), ("dropouth", dropouth), ("dropoutx", dropoutx),
                       ("dropouti", dropouti), ("dropoute", dropoute)):
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
                raise NasxError(f"{key} must be a probability in [0, 1), got {p!r}")
        self.kind, self.ntoken, self.ninp, self.nhid = kind, int(ntoken), int(embedding), hidden
        self.dropout, self.dropouti, self.dropoute = float(dropout), float(dropouti), float(dropoute)
        self.widths = [hidden] * (layers - 1) + [self.ninp]
        ins = [self.ninp] + self.widths[:-1]
        self.encoder = nn.Embedding(self.ntoken, self.ninp)
        self.rnns = nn.ModuleList(RecurrentLayer(kind, i, w, dropoutx, dropouth) for i, w in zip(ins, self.widths))
        self.decoder = nn.Linear(self.ninp, self.ntoken)
        self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -float(init_range), float(init_range))
        nn.init.zeros_(self.decoder.bias)

    def init_hidden(self, batch_size: int):
        """Zeros on the model's device: a flat tuple (h_0, c_0, h_1, c_1, ...) for an LSTM, h for a
        one-layer GRU ((h_0, h_1, ...) for more layers); each (1, N, width of that layer)."""
        w = self.encoder.weight
        per = 2 if self.kind == "lstm" else 1
        states = tuple(w.new_zeros(1, batch_size, width) for width in self.widths for _ in range(per))
        return states[0] if len(states) == 1 else states

    def forward(self, tokens: torch.Tensor, hidden=None, return_h: bool = False):
        """tokens (N, T) -> (logits (N, T, ntoken), hidden as `init_hidden`); `return_h` adds the last
        layer's raw and dropped-out outputs (N, T, embedding), for AR/TAR regularisation."""
        if hidden is None:
            hidden = self.init_hidden(tokens.size(0))
        states = (hidden,) if isinstance(hidden, torch.Tensor) else tuple(hidden)
        per = 2 if self.kind == "lstm" else 1
        if len(states) != per * len(self.rnns):
            raise ValueError(f"hidden has {len(states)} tensors, expected {per * len(self.rnns)}")
        x = embedded_dropout(self.encoder, tokens, self.dropoute, self.training)
        x = locked_dropout(x, self.dropouti, self.training)
        new_states = []
        for k, rnn in enumerate(self.rnns):
            h = states[per * k: per * k + per]
            x, h = rnn(x, h if per == 2 else h[0])
            new_states.extend(h if per == 2 else (h,))
        raw = x
        out = locked_dropout(raw, self.dropout, self.training)
        logits = self.decoder(out)
        hidden = new_states[0] if len(new_states) == 1 else tuple(new_states)
        return (logits, hidden, raw, out) if return_h else (logits, hidden)


def _builder(name: str) -> Callable[..., nn.Module]:
    kind, layers = _SHAPES[name]

    def build(vocab_size: int, **kwargs) -> nn.Module:
        return RecurrentLM(kind, layers, vocab_size, **kwargs)

    build.__name__ = f"build_{name}"
    build.__doc__ = f"A {layers}-layer {kind.upper()} language model (tied weights, variational dropouts)."
    return build


for _name in _SHAPES:
    LM_BASELINES.add(_name, _builder(_name), origin=__name__)


def lm_baseline_names() -> list[str]:
    return LM_BASELINES.names()


def _get(name: str) -> Callable[..., nn.Module]:
    """The builder of `name`; unknown: a one-line NasxError (ConfigError) listing the known names."""
    return LM_BASELINES.get_or_error(name)


def create_lm_baseline(name: str, vocab_size: int, embedding: int = 300, hidden: int | None = None,
                       **dropouts) -> nn.Module:
    """Baseline `name` (lstm_lm, lstm2_lm, gru_lm) for `vocab_size` tokens; `embedding` the embedding
    size (= the last layer's width: the decoder is tied), `hidden` the other layers' width (default:
    `embedding`); `dropouts`: dropout, dropouth, dropoutx, dropouti, dropoute (defaults: the DARTS search
    settings) and init_range. Baselines are always tied (AWD-LSTM's layout)."""
    return _get(name)(vocab_size, embedding=embedding, hidden=hidden, **dropouts)


def baseline_params(name: str, vocab_size: int, embedding: int, hidden: int | None = None) -> int:
    """The parameter count of a baseline, without building it (the decoder's weight is the embedding's)."""
    _get(name)
    kind, layers = _SHAPES[name]
    hidden = embedding if hidden is None else hidden
    widths = [hidden] * (layers - 1) + [embedding]
    ins = [embedding] + widths[:-1]
    rnn = sum(_GATES[kind] * (i * w + w * w + 2 * w) for i, w in zip(ins, widths))
    return vocab_size * embedding + vocab_size + rnn


def size_to_params(name: str, vocab_size: int, target_params: int) -> int:
    """The size s (1..4096; embedding = hidden = s) at which baseline `name` has the parameter count
    closest to `target_params`: `create_lm_baseline(name, vocab_size, embedding=s, hidden=s)`."""
    _get(name)
    if isinstance(target_params, bool) or not isinstance(target_params, int) or target_params < 1:
        raise NasxError(f"target_params must be a positive integer, got {target_params!r}")
    lo, hi = 1, 4096
    while lo < hi:  # the smallest s whose count reaches the target (the count grows with s)
        mid = (lo + hi) // 2
        if baseline_params(name, vocab_size, mid) < target_params:
            lo = mid + 1
        else:
            hi = mid
    return min({max(1, lo - 1), lo}, key=lambda s: abs(baseline_params(name, vocab_size, s) - target_params))

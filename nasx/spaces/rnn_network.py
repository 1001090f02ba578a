"""The recurrent-cell language model of DARTS (Liu et al., ICLR 2019) and ENAS (Pham et al., 2018),
one builder for the engine, the LSTM/GRU baselines' dropouts and exported code.

`nasx export` copies these definitions into model.py verbatim (nasx.export.vendor), so only torch is
read here. The model follows DARTS's `rnn/model.py` (RNNModel + DARTSCell), batch-first:

- embedding (uniform init in +-init_range) -> embedding dropout (`dropoute`: whole rows of the
  embedding matrix, i.e. every occurrence of a word in the batch, dropped) -> locked dropout
  (`dropouti`: one mask per sequence, shared over time)
- the cell, unrolled over time. From x_t and h_{t-1}: c0, h0 = split([x_t * mx, h_{t-1} * mh] W0),
  s_0 = h_{t-1} + sigmoid(c0) * (tanh(h0) - h_{t-1}); node i = 1..N reads ONE earlier node j:
  c, h = split((s_j * mh) W_i), s_i = s_j + sigmoid(c) * (act_i(h) - s_j); h_t = the mean of the
  nodes in `concat`. mx (`dropoutx`) and mh (`dropouth`) are drawn once per sequence (per forward
  call) and shared over time and, as in the reference, mh masks every node's input. No batch norm
  (the reference's search cell has one; its final cell does not).
- locked dropout (`dropout`) on the cell's output -> decoder. `tied=True` (DARTS, ENAS): the decoder's
  weight is the embedding matrix (+ a bias), so `embedding` must equal `hidden`. `tied=False` (a nasx
  extension; DARTS's RNNModel always ties): the decoder is its own nn.Linear(hidden, vocab) and the
  embedding size is free. The cell already reads x through W0's first `embedding` rows, so no
  projection is needed anywhere: untied, the decoder's own hidden x vocab weight is the only addition.

Dropouts are active only in training mode. `forward(tokens (N, T), hidden=None) -> (logits (N, T, V),
hidden (1, N, hidden))`; the logits are not log-softmaxed (the reference returns log-probabilities).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity")


def rnn_activation(name: str, h: torch.Tensor) -> torch.Tensor:
    """One of the cell's activations by name (the allow-list `RNN_ACTIVATIONS`)."""
    if name == "tanh":
        return torch.tanh(h)
    if name == "relu":
        return torch.relu(h)
    if name == "sigmoid":
        return torch.sigmoid(h)
    if name == "identity":
        return h
    raise ValueError(f"unknown activation {name!r}; known: {', '.join(RNN_ACTIVATIONS)}")


def variational_mask(like: torch.Tensor, batch: int, size: int, p: float) -> torch.Tensor | None:
    """A (batch, size) dropout mask, scaled by 1/(1-p), to be shared over every time step (one mask
    per sequence: variational / locked dropout); None when p is 0."""
    if not p:
        return None
    return like.new_empty(batch, size).bernoulli_(1.0 - p).div_(1.0 - p)


def locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout on a batch-first (N, T, D) tensor with one mask per sequence, shared over time."""
    if not training or not p:
        return x
    return x * variational_mask(x, x.size(0), x.size(2), p).unsqueeze(1)


def embedded_dropout(embedding: nn.Embedding, tokens: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Embedding lookup with whole rows of the embedding matrix dropped (a dropped word is zero at
    every position of the batch), the rest scaled by 1/(1-p): AWD-LSTM's / DARTS's `dropoute`."""
    weight = embedding.weight
    if training and p:
        weight = weight * weight.new_empty(weight.size(0), 1).bernoulli_(1.0 - p).div_(1.0 - p)
    return F.embedding(tokens, weight)


class DartsCell(nn.Module):
    """The recurrent cell: `recurrent[i-1] = (activation, predecessor)` of node i (predecessor < i,
    node 0 being the highway s_0 of x_t and h_{t-1}); the output averages the nodes in `concat`.
    Parameter names follow the reference (`_W0`, `_Ws`), so its state_dict keys are the same."""

    def __init__(self, ninp: int, nhid: int, recurrent, concat, dropouth: float = 0.0, dropoutx: float = 0.0,
                 init_range: float = 0.04):
        super().__init__()
        self.ninp, self.nhid = int(ninp), int(nhid)
        self.dropouth, self.dropoutx = float(dropouth), float(dropoutx)
        self.recurrent = [(str(act), int(pred)) for act, pred in recurrent]
        self.concat = [int(i) for i in concat]
        for i, (act, pred) in enumerate(self.recurrent, start=1):
            if act not in RNN_ACTIVATIONS or not 0 <= pred < i:
                raise ValueError(f"node {i}: bad (activation, predecessor) {(act, pred)!r}")
        if not self.concat or any(not 1 <= i <= len(self.recurrent) for i in self.concat):
            raise ValueError(f"concat {self.concat!r} must list nodes in [1, {len(self.recurrent)}]")
        r = float(init_range)
        self._W0 = nn.Parameter(torch.empty(self.ninp + self.nhid, 2 * self.nhid).uniform_(-r, r))
        self._Ws = nn.ParameterList([nn.Parameter(torch.empty(self.nhid, 2 * self.nhid).uniform_(-r, r))
                                     for _ in self.recurrent])

    def step(self, xw: torch.Tensor, h_prev: torch.Tensor, h_mask: torch.Tensor | None) -> torch.Tensor:
        """One time step; `xw` is the (masked) input already multiplied by W0's input rows."""
        hm = h_prev if h_mask is None else h_prev * h_mask
        c0, h0 = torch.split(xw + hm.mm(self._W0[self.ninp:]), self.nhid, dim=-1)
        states = [h_prev + torch.sigmoid(c0) * (torch.tanh(h0) - h_prev)]
        for w, (act, pred) in zip(self._Ws, self.recurrent):
            s_prev = states[pred]
            sm = s_prev if h_mask is None else s_prev * h_mask
            c, h = torch.split(sm.mm(w), self.nhid, dim=-1)
            states.append(s_prev + torch.sigmoid(c) * (rnn_activation(act, h) - s_prev))
        return torch.stack([states[i] for i in self.concat], 0).mean(0)

    def forward(self, inputs: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """inputs (N, T, ninp), hidden (N, nhid) -> outputs (N, T, nhid), last hidden (N, nhid)."""
        n, t = inputs.size(0), inputs.size(1)
        x_mask = h_mask = None
        if self.training:
            x_mask = variational_mask(inputs, n, self.ninp, self.dropoutx)
            h_mask = variational_mask(inputs, n, self.nhid, self.dropouth)
        if x_mask is not None:
            inputs = inputs * x_mask.unsqueeze(1)
        # [x, h] W0 = x W0[:ninp] + h W0[ninp:]: the input half for all time steps in one product
        xws = inputs.matmul(self._W0[:self.ninp])
        outputs = []
        for k in range(t):
            hidden = self.step(xws[:, k], hidden, h_mask)
            outputs.append(hidden)
        return torch.stack(outputs, 1), hidden


class RecurrentCellLM(nn.Module):
    """DARTS's RNNModel for one found cell: embedding, the cell, a decoder (tied to the embedding or not).

    `ntoken` is the vocabulary size; `recurrent` = [(activation, predecessor), ...] of nodes 1..N;
    `concat` the nodes the cell output averages; `embedding` / `hidden` the embedding and cell sizes,
    equal when `tied` (the decoder's weight is the embedding matrix)."""

    def __init__(self, ntoken: int, recurrent, concat, embedding: int = 300, hidden: int = 300,
                 dropout: float = 0.75, dropouth: float = 0.25, dropoutx: float = 0.75, dropouti: float = 0.2,
                 dropoute: float = 0.0, init_range: float = 0.04, tied: bool = True):
        super().__init__()
        if tied and int(embedding) != int(hidden):
            raise ValueError(f"embedding ({embedding}) must equal hidden ({hidden}) when the decoder is tied to "
                             "the embedding (tied=False unties them)")
        if int(ntoken) < 2:
            raise ValueError(f"vocabulary size must be at least 2, got {ntoken}")
        self.ntoken, self.ninp, self.nhid, self.tied = int(ntoken), int(embedding), int(hidden), bool(tied)
        self.dropout, self.dropouti, self.dropoute = float(dropout), float(dropouti), float(dropoute)
        r = float(init_range)
        self.encoder = nn.Embedding(self.ntoken, self.ninp)
        self.rnns = nn.ModuleList([DartsCell(self.ninp, self.nhid, recurrent, concat, dropouth, dropoutx, r)])
        self.decoder = nn.Linear(self.nhid, self.ntoken)
        if self.tied:
            self.decoder.weight = self.encoder.weight
        else:
            nn.init.uniform_(self.decoder.weight, -r, r)
        nn.init.uniform_(self.encoder.weight, -r, r)
        nn.init.zeros_(self.decoder.bias)

    def init_hidden(self, batch_size: int) -> torch.Tensor:
        """Zeros of shape (1, batch_size, hidden) on the model's device and dtype."""
        return self.encoder.weight.new_zeros(1, batch_size, self.nhid)  # no int(): export keeps the batch dynamic

    def forward(self, tokens: torch.Tensor, hidden: torch.Tensor | None = None, return_h: bool = False):
        """tokens (N, T) -> (logits (N, T, ntoken), hidden (1, N, hidden)); `return_h` adds the cell's
        raw outputs and the dropped-out outputs (N, T, hidden), for AR/TAR regularisation."""
        if hidden is None:
            hidden = self.init_hidden(tokens.size(0))
        emb = embedded_dropout(self.encoder, tokens, self.dropoute, self.training)
        emb = locked_dropout(emb, self.dropouti, self.training)
        raw, last = self.rnns[0](emb, hidden[0])
        out = locked_dropout(raw, self.dropout, self.training)
        logits = self.decoder(out)
        if return_h:
            return logits, last.unsqueeze(0), raw, out
        return logits, last.unsqueeze(0)

"""The recurrent supernet (ENAS's PTB half): the standalone language model of the space with its cell
replaced by one whose weights every child shares.

The supernet *is* the space's own `RecurrentCellLM` (embedding, its dropouts, the tied decoder,
built by `space.build`, so whatever the space's network settings say), whose `DartsCell` is swapped
for a `SharedCell`: node 0's highway weights on [x, h] and, per node i and predecessor j < i, one
weight matrix W_{j->i} (hidden x 2 hidden: the c / h halves of the highway), used by every child
that has node i read node j; the activation applied is the child's (Pham et al. 2018, sec. 2.1:
"each node has weights per predecessor"). `weights_per_activation` keeps one matrix per (j, act)
instead, as google-research `enas_lm/src/child.py` does (`w` of shape [functions, layer_id, h, 2h]).

`SharedCell.forward` repeats `DartsCell.forward` step by step, dropout masks drawn in the same
order, so a child's forward through the supernet equals the standalone child carrying the selected
weights (`child`), in eval and in training mode under the same random state
(tests/test_enas_rnn.py): a shared-weight perplexity is that of the child it names.
"""

from __future__ import annotations

import torch
from torch import nn

from ..genotype import Genotype
from ..registry import Registry
from ..spaces.rnn_network import DartsCell, rnn_activation, variational_mask
from .supernet import SuperNet


class SharedCell(nn.Module):
    """Node 0's weights `w0` ((ninp + nhid) x 2 nhid) and per node i a stack `ws[i-1]` of shape
    (activations or 1, i, nhid, 2 nhid): the weight node i uses when it reads node j (with act)."""

    def __init__(self, ninp: int, nhid: int, nodes: int, activations, dropouth: float, dropoutx: float,
                 init_range: float, per_activation: bool = False):
        super().__init__()
        self.ninp, self.nhid = int(ninp), int(nhid)
        self.dropouth, self.dropoutx = float(dropouth), float(dropoutx)
        self.act_index = {a: k for k, a in enumerate(activations)} if per_activation else None
        r = float(init_range)
        self.w0 = nn.Parameter(torch.empty(self.ninp + self.nhid, 2 * self.nhid).uniform_(-r, r))
        stacks = len(activations) if per_activation else 1
        self.ws = nn.ParameterList(nn.Parameter(torch.empty(stacks, i, self.nhid, 2 * self.nhid).uniform_(-r, r))
                                   for i in range(1, nodes + 1))
        self.plan: tuple[list, list[int]] | None = None  # ([(act, pred), ...], concat), set by the supernet

    def index(self, node: int, act: str, pred: int) -> tuple[int, int, int]:
        """Where node `node`'s weight for (act, pred) lives: (node - 1, stack, pred)."""
        return node - 1, self.act_index[act] if self.act_index is not None else 0, pred

    def weights(self, recurrent) -> list[torch.Tensor]:
        out = []
        for i, (act, pred) in enumerate(recurrent, start=1):
            n, a, j = self.index(i, act, pred)
            out.append(self.ws[n][a, j])
        return out

    def step(self, xw, h_prev, h_mask, ws, recurrent, concat):
        """One time step, as `DartsCell.step` with the child's selected weights `ws`."""
        hm = h_prev if h_mask is None else h_prev * h_mask
        c0, h0 = torch.split(xw + hm.mm(self.w0[self.ninp:]), self.nhid, dim=-1)
        states = [h_prev + torch.sigmoid(c0) * (torch.tanh(h0) - h_prev)]
        for w, (act, pred) in zip(ws, recurrent):
            s_prev = states[pred]
            sm = s_prev if h_mask is None else s_prev * h_mask
            c, h = torch.split(sm.mm(w), self.nhid, dim=-1)
            states.append(s_prev + torch.sigmoid(c) * (rnn_activation(act, h) - s_prev))
        return torch.stack([states[i] for i in concat], 0).mean(0)

    def forward(self, inputs: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """As `DartsCell.forward`: inputs (N, T, ninp), hidden (N, nhid); masks drawn x then h."""
        if self.plan is None:
            raise ValueError("supernet: no architecture given (pass a genotype or call set_arch)")
        recurrent, concat = self.plan
        n, t = inputs.size(0), inputs.size(1)
        x_mask = h_mask = None
        if self.training:
            x_mask = variational_mask(inputs, n, self.ninp, self.dropoutx)
            h_mask = variational_mask(inputs, n, self.nhid, self.dropouth)
        if x_mask is not None:
            inputs = inputs * x_mask.unsqueeze(1)
        xws = inputs.matmul(self.w0[:self.ninp])
        ws = self.weights(recurrent)
        outputs = []
        for k in range(t):
            hidden = self.step(xws[:, k], hidden, h_mask, ws, recurrent, concat)
            outputs.append(hidden)
        return torch.stack(outputs, 1), hidden


class RecurrentSuperNet(SuperNet):
    """`forward(tokens, hidden=None, genotype=None) -> (logits, hidden)`: the standalone model's
    contract, running the given (or last `set_arch`) child's cell."""

    def __init__(self, space, num_classes: int, in_channels=None, per_activation: bool = False):
        super().__init__(space)
        lm = space.build(space.sample(0), num_classes=num_classes)  # the space's own model, any child
        self.cell_name, cell = next((n, m) for n, m in lm.named_modules() if isinstance(m, DartsCell))
        nhid = cell._W0.shape[1] // 2  # read from the weights: the network settings' names may change
        s = space.settings
        shared = SharedCell(cell._W0.shape[0] - nhid, nhid, s.nodes, s.activations, cell.dropouth, cell.dropoutx,
                            getattr(s, "init_range", 0.04), per_activation)
        parent, _, leaf = self.cell_name.rpartition(".")
        setattr(lm.get_submodule(parent) if parent else lm, leaf, shared)
        self.lm, self.cell, self.vocab = lm, shared, int(num_classes)

    def plan(self, genotype: Genotype):
        return [(act, int(pred)) for act, pred in genotype.data["recurrent"]], self.space.concat(genotype)

    def set_arch(self, genotype: Genotype) -> None:
        self.cell.plan = self.plan(genotype)

    def init_hidden(self, batch_size: int) -> torch.Tensor:
        return self.lm.init_hidden(batch_size)

    def forward(self, tokens, hidden=None, genotype: Genotype | None = None):
        if genotype is not None:
            self.set_arch(genotype)
        return self.lm(tokens, hidden)

    def child(self, genotype: Genotype, num_classes: int | None = None, input_size=None) -> nn.Module:
        """The standalone `RecurrentCellLM` of `genotype` carrying the shared weights it selects."""
        child = self.space.build(genotype, num_classes=num_classes or self.vocab)
        recurrent, _ = self.plan(genotype)
        selected = self.cell.weights(recurrent)
        shared = self.lm.state_dict()
        prefix = self.cell_name + "."
        state = {}
        for k in child.state_dict():
            name = k[len(prefix):] if k.startswith(prefix) else None
            if name == "_W0":
                state[k] = self.cell.w0.detach().clone()
            elif name is not None and name.startswith("_Ws."):
                state[k] = selected[int(name.split(".")[1])].detach().clone()
            else:
                state[k] = shared[k].clone()
        child.load_state_dict(state)
        return child.to(self.cell.w0.device)


RNN_SUPERNETS: Registry[type] = Registry("ENAS recurrent supernet")  # recurrent space kind -> its supernet
RNN_SUPERNETS.add("rnn_cell", RecurrentSuperNet)

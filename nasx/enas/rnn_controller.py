"""The reference's recurrent-cell controller (google-research `enas_lm/src/controller.py`,
`_build_sampler`), for rnn_cell spaces.

Per node i = 1..N two LSTM steps. The first one's output h_i is node i's anchor (node 0's anchor and
key are zeros); the predecessor j < i is chosen by attention over the keys of nodes 0..i-1,
`v . tanh(W1 anchor_j + W2 h_i)`, bounded as `tanh_constant * tanh(l / T)`, minus the distance
penalty (i - j)^2 / 6 that leans toward recent nodes; the next input is anchor_j / (0.1 + i - j).
The second step's output gives the activation logits against the activation embeddings `w_emb`
(one matrix as softmax and as input: the chosen activation's row is the next input), bounded by
`tanh_constant / op_tanh_reduce`. The LSTM is initialised uniformly in [-0.01, 0.01], as there.

Departures (docs/enas.md): torch's LSTMCell has biases (enas_lm's `_lstm` has none); the entropy
bonus is each decision's full entropy (enas_lm: the chosen option's -p log p only).
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import AttentionController
from .controller import Picker, Sample, register_controller

DISTANCE_SCALE = 6.0  # logits -= (i - j)^2 / 6 (enas_lm)
INIT_RANGE = 0.01  # enas_lm's random_uniform_initializer(-0.01, 0.01)


@register_controller("rnn_cell")
class RecurrentController(AttentionController):
    def __init__(self, space, hidden: int = 64, temperature: float = 5.0, tanh_constant: float | None = 2.25,
                 op_tanh_reduce: float = 1.0, skip_target: float = 0.4):
        super().__init__(space, hidden, temperature, tanh_constant, op_tanh_reduce, skip_target)
        self.w_soft = None  # the activation logits read w_emb, as in enas_lm
        for p in self.parameters():
            nn.init.uniform_(p, -INIT_RANGE, INIT_RANGE)

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        """Sample a cell (or score the forced choices `force`, key -> option)."""
        picker = Picker(generator, force)
        zero = torch.zeros(1, self.hidden)
        x, state = self.g_emb, None
        anchors, keys, recurrent = [zero], [zero], []
        for i in range(1, self.space.settings.nodes + 1):
            state = self.lstm(x, state)
            h = state[0]
            q = self.v_attn(torch.tanh(torch.cat(keys) + self.w_attn_2(h))).view(-1)
            distance = (i - torch.arange(i, dtype=q.dtype)) ** 2 / DISTANCE_SCALE
            j = picker.pick(f"node{i}_pred", self._bound(q, self.tanh_constant) - distance, tuple(range(i)))
            x = anchors[j] / (0.1 + i - j)
            anchors.append(h)
            keys.append(self.w_attn_1(h))
            state = self.lstm(x, state)
            logits = self._bound(state[0].mm(self.w_emb.weight.t()).view(-1), self.op_bound)
            k = picker.pick(f"node{i}_act", logits, tuple(self.ops))
            x = self.w_emb(torch.tensor([k]))
            recurrent.append([self.ops[k], j])
        return picker.result(self.space.genotype({"recurrent": recurrent}))

"""The reference code's micro controller (melodyguan/enas `micro_controller.py`), for cells spaces.

Per cell type (normal, then reduction, the second sampler continuing from the first's LSTM state):
two LSTM steps on a learned start embedding give the cell inputs' attention keys (their anchors,
fed back when chosen, are zeros); then per node: two input decisions by attention over the anchors
of the earlier states (`v . tanh(W1 anchor_h + W2 h)`, the chosen state's anchor is the next
input), two op decisions from ONE softmax shared by every op decision (`w_soft`, bias `b_soft`)
whose chosen op's embedding (`w_emb`, shared too) is the next input, and one more step whose
output is the node's anchor. Logits: input decisions `tanh_constant * tanh(l / T)`, op decisions
`tanh_constant / op_tanh_reduce * tanh(l / T)`; `b_soft` starts at 10 for separable convs and 0
otherwise, and the normal cell's op logits add the fixed bias +0.25 (separable convs) / -0.25 (the
rest): both push the initial controller toward separable convs, as in the reference. T = 1 is the
reference's `temperature=None`.
"""

from __future__ import annotations

import torch

from .attention import AttentionController
from .controller import Picker, Sample, register_controller

FAVOURED_BIAS = 10.0  # b_soft's initial value for separable convs (reference: [10, 10, 0, 0, 0])
FIXED_BIAS = 0.25  # b_soft_no_learn: +0.25 separable convs, -0.25 the rest (normal cell only)


def _favoured(op: str) -> bool:
    return op.startswith("sep_conv")


@register_controller("cells")
class MicroController(AttentionController):
    op_bias = True  # w_soft's bias is the reference's b_soft

    def __init__(self, space, hidden: int = 64, temperature: float = 1.0, tanh_constant: float | None = 1.1,
                 op_tanh_reduce: float = 2.5, skip_target: float = 0.4):
        super().__init__(space, hidden, temperature, tanh_constant, op_tanh_reduce, skip_target)
        favoured = torch.tensor([_favoured(op) for op in self.ops])
        with torch.no_grad():
            self.w_soft.bias.copy_(favoured.float() * FAVOURED_BIAS)
        self.register_buffer("fixed_bias", torch.where(favoured, FIXED_BIAS, -FIXED_BIAS), persistent=False)

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        """Sample both cells (or score the forced choices `force`, key -> option)."""
        picker = Picker(generator, force)
        state = None
        description = {}
        for n, cell in enumerate(self.space.cell_names):
            description[cell], state = self._cell(cell, state, picker, use_fixed_bias=n == 0)
        return picker.result(self.space.genotype(description))

    def _cell(self, cell, state, picker, use_fixed_bias):
        x = self.g_emb
        anchors, keys = [], []
        for _ in range(2):  # the two cell inputs: keys from the LSTM, zero anchors
            state = self.lstm(x, state)
            anchors.append(torch.zeros_like(state[0]))
            keys.append(self.w_attn_1(state[0]))
        blocks = []
        for i in range(self.space.settings.blocks):
            inputs, ops = [], []
            for slot in (0, 1):
                state = self.lstm(x, state)
                query = torch.tanh(torch.cat(keys) + self.w_attn_2(state[0]))
                logits = self._bound(self.v_attn(query).view(-1), self.tanh_constant)
                k = picker.pick(f"{cell}.b{i}.in{slot}", logits, list(range(2 + i)))
                inputs.append(k)
                x = anchors[k]
            for slot in (0, 1):
                state = self.lstm(x, state)
                logits = self._bound(self.w_soft(state[0]).view(-1), self.op_bound)
                if use_fixed_bias:
                    logits = logits + self.fixed_bias
                k = picker.pick(f"{cell}.b{i}.op{slot}", logits, self.ops)
                ops.append(self.ops[k])
                x = self.w_emb(torch.tensor([k]))
            state = self.lstm(x, state)  # the node's anchor
            anchors.append(state[0])
            keys.append(self.w_attn_1(state[0]))
            x = self.g_emb
            blocks.append([inputs[0], ops[0], inputs[1], ops[1]])
        return blocks, state

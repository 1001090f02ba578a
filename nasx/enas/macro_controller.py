"""The reference code's macro controller (melodyguan/enas `general_controller.py`,
`search_whole_channels`), for the ENAS macro chain.

Per layer: one LSTM step whose output gives the op logits from ONE softmax shared by all layers
(`w_soft`), the chosen op's embedding (`w_emb`) is the next input; a second step (layers > 0 with
skip sources) decides every skip at once by attention over the anchors of the earlier layers:
`q_j = v . tanh(W1 anchor_j + W2 h)`, logits `[-q_j, q_j]` per source; the next input is the mean
of the skipped layers' anchors (`sum / (1 + count)`), else the start embedding. The second step's
output is the layer's anchor. Logits are `tanh_constant * tanh(l / T)` (op logits divided by
`op_tanh_reduce` too, which the reference's macro path does not apply: its default 2.5 is unused
there, so nasx's macro defaults use 1.0). The skip KL to `skip_target` is returned per sample.

One difference in the space, not the controller: the reference lets layer i skip from the stem
and layers 0..i-2; nasx's macro space offers layers 0..i-2 (docs/enas.md).
"""

from __future__ import annotations

import torch

from .attention import AttentionController
from .controller import Picker, Sample, register_controller


@register_controller("macro")
class MacroController(AttentionController):
    def __init__(self, space, hidden: int = 64, temperature: float = 1.0, tanh_constant: float | None = 1.5,
                 op_tanh_reduce: float = 1.0, skip_target: float = 0.4):
        super().__init__(space, hidden, temperature, tanh_constant, op_tanh_reduce, skip_target)

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        """Sample the chain (or score the forced choices `force`, key -> option)."""
        picker = Picker(generator, force)
        x, state = self.g_emb, None
        anchors, keys, layers = [], [], []
        for i in range(self.space.settings.layers):
            state = self.lstm(x, state)
            k = picker.pick(f"layer{i}.op", self._bound(self.w_soft(state[0]).view(-1), self.op_bound), self.ops)
            x = self.w_emb(torch.tensor([k]))
            state = self.lstm(x, state)
            skips = []
            if i >= 2:  # sources: layers 0..i-2
                q = self.v_attn(torch.tanh(torch.cat(keys[: i - 1]) + self.w_attn_2(state[0]))).view(-1)
                logits = self._bound(torch.stack([-q, q], dim=1), self.tanh_constant)
                skips = [j for j in range(i - 1)
                         if picker.pick(f"layer{i}.skip{j}", logits[j], (0, 1), self.skip_target)]
            x = (torch.stack([anchors[j] for j in skips]).sum(0) / (1 + len(skips))) if skips else self.g_emb
            anchors.append(state[0])
            keys.append(self.w_attn_1(state[0]))
            layers.append([self.ops[k], skips])
        return picker.result(self.space.genotype({"layers": layers}))

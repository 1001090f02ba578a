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
from torch import nn

from .controller import Sample, register_controller


@register_controller("macro")
class MacroController(nn.Module):
    def __init__(self, space, hidden: int = 64, temperature: float = 1.0, tanh_constant: float | None = 1.5,
                 op_tanh_reduce: float = 1.0, skip_target: float = 0.4):
        super().__init__()
        self.space = space
        self.ops = list(space.settings.ops)
        self.temperature = float(temperature)
        self.tanh_constant = tanh_constant or 0.0
        self.op_bound = self.tanh_constant / op_tanh_reduce if self.tanh_constant else 0.0
        self.skip_target = float(skip_target)
        self.hidden = hidden
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.g_emb = nn.Parameter(torch.zeros(1, hidden))
        self.w_emb = nn.Embedding(len(self.ops), hidden)
        self.w_soft = nn.Linear(hidden, len(self.ops), bias=False)
        self.w_attn_1 = nn.Linear(hidden, hidden, bias=False)
        self.w_attn_2 = nn.Linear(hidden, hidden, bias=False)
        self.v_attn = nn.Linear(hidden, 1, bias=False)
        for p in self.parameters():  # the reference initialises uniformly in [-0.1, 0.1]
            nn.init.uniform_(p, -0.1, 0.1)

    def _bound(self, logits, bound):
        logits = logits / self.temperature
        return bound * torch.tanh(logits) if bound else logits

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        """Sample the chain (or score the forced choices `force`, key -> option)."""
        log_probs, entropies, kls, made = [], [], [], {}
        target = torch.tensor([1.0 - self.skip_target, self.skip_target]).log()
        x, state = self.g_emb, None
        anchors, keys, layers = [], [], []
        for i in range(self.space.settings.layers):
            state = self.lstm(x, state)
            logp = torch.log_softmax(self._bound(self.w_soft(state[0]).view(-1), self.op_bound), -1)
            k = self._pick(logp, f"layer{i}.op", self.ops, force, generator)
            log_probs.append(logp[k])
            entropies.append(-(logp.exp() * logp).sum())
            made[f"layer{i}.op"] = self.ops[k]
            x = self.w_emb(torch.tensor([k]))
            state = self.lstm(x, state)
            skips = []
            if i >= 2:  # sources: layers 0..i-2
                q = self.v_attn(torch.tanh(torch.cat(keys[: i - 1]) + self.w_attn_2(state[0]))).view(-1)
                logp2 = torch.log_softmax(self._bound(torch.stack([-q, q], dim=1), self.tanh_constant), -1)
                for j in range(i - 1):
                    s = self._pick(logp2[j], f"layer{i}.skip{j}", (0, 1), force, generator)
                    log_probs.append(logp2[j, s])
                    entropies.append(-(logp2[j].exp() * logp2[j]).sum())
                    kls.append((logp2[j].exp() * (logp2[j] - target)).sum())
                    made[f"layer{i}.skip{j}"] = s
                    if s:
                        skips.append(j)
            x = (torch.stack([anchors[j] for j in skips]).sum(0) / (1 + len(skips))) if skips else self.g_emb
            anchors.append(state[0])
            keys.append(self.w_attn_1(state[0]))
            layers.append([self.ops[k], skips])
        genotype = self.space.genotype({"layers": layers})
        kl = torch.stack(kls).mean() if kls else torch.zeros(())
        return Sample(genotype, torch.stack(log_probs).sum(), torch.stack(entropies).sum(), made, kl)

    def score(self, choices: dict) -> Sample:
        return self.sample(force=choices)

    @staticmethod
    def _pick(logp, key, options, force, generator) -> int:
        if force is not None:
            return list(options).index(force[key])
        return int(torch.multinomial(logp.detach().exp(), 1, generator=generator))

"""What the reference code's two controllers (melodyguan/enas `micro_controller.py` and
`general_controller.py`) share: one LSTM cell, a learned start embedding `g_emb`, ONE op embedding
`w_emb` and ONE op softmax `w_soft` for every op decision, attention `v . tanh(W1 anchor + W2 h)`
over earlier anchors for input / skip decisions, uniform init in [-0.1, 0.1], and logits bounded as
`bound * tanh(l / T)`. The subclasses walk their space (cells: nodes; macro: layers)."""

from __future__ import annotations

import torch
from torch import nn

from .controller import Sample


class AttentionController(nn.Module):
    op_bias = False  # whether `w_soft` has a bias (the micro controller's `b_soft`)

    def __init__(self, space, hidden: int = 64, temperature: float = 1.0, tanh_constant: float | None = 1.1,
                 op_tanh_reduce: float = 2.5, skip_target: float = 0.4):
        super().__init__()
        self.space = space
        self.ops = list(space.ops())  # op names (cells, macro) or activations (rnn_cell)
        self.temperature = float(temperature)
        self.tanh_constant = tanh_constant or 0.0
        self.op_bound = self.tanh_constant / op_tanh_reduce if self.tanh_constant else 0.0
        self.skip_target = float(skip_target)
        self.hidden = hidden
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.g_emb = nn.Parameter(torch.zeros(1, hidden))
        self.w_emb = nn.Embedding(len(self.ops), hidden)
        self.w_soft = nn.Linear(hidden, len(self.ops), bias=self.op_bias)
        self.w_attn_1 = nn.Linear(hidden, hidden, bias=False)
        self.w_attn_2 = nn.Linear(hidden, hidden, bias=False)
        self.v_attn = nn.Linear(hidden, 1, bias=False)
        for p in self.parameters():  # the reference initialises uniformly in [-0.1, 0.1]
            nn.init.uniform_(p, -0.1, 0.1)

    def _bound(self, logits, bound):
        logits = logits / self.temperature
        return bound * torch.tanh(logits) if bound else logits

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        raise NotImplementedError

    def score(self, choices: dict) -> Sample:
        """Log-probability and entropy of one given choice sequence (key -> option)."""
        return self.sample(force=choices)

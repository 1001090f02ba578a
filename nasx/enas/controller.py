"""The ENAS controller: an LSTM that makes a space's decisions one by one (Pham et al. 2018).

It walks `space.decisions()` through the ordinary chooser interface, so it samples any space.
Step t reads the embedding of the previous decision's choice (a learned start token at t = 0),
and a per-decision linear head gives logits over that decision's options, shaped as in ENAS:
`tanh_constant * tanh(logits / temperature)`. Sampling returns the genotype with the summed
log-probability and the summed per-step entropy of the choices made (both differentiable).

With `op_tanh_reduce` > 1, op decisions (options that are op names) are bounded by
`tanh_constant / op_tanh_reduce`, as in the reference code's micro search (1.1 / 2.5): the
controller can then only lean toward an op, never lock one in, so every op keeps being sampled and
its shared weights keep training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..genotype import Genotype
from ..registry import Registry
from ..spaces.base import Chooser


@dataclass
class Sample:
    genotype: Genotype
    log_prob: torch.Tensor
    entropy: torch.Tensor
    choices: dict
    skip_kl: torch.Tensor  # mean KL(skip probability || skip_target) over skip decisions (0 if none)


class Controller(nn.Module):
    def __init__(self, space, hidden: int = 100, temperature: float = 5.0, tanh_constant: float | None = 2.5,
                 op_tanh_reduce: float = 1.0, skip_target: float = 0.4):
        super().__init__()
        self.space = space
        self.decisions = space.decisions()
        self.skip_target = float(skip_target)
        self.is_skip = [space.is_skip_decision(k) and tuple(o) == (0, 1) for k, o in self.decisions]
        self.temperature, self.tanh_constant = float(temperature), tanh_constant
        # per decision: the tanh bound on its logits (op decisions: divided by op_tanh_reduce)
        self.bounds = [(tanh_constant / op_tanh_reduce if _is_op_decision(o) else tanh_constant) or 0.0
                       for _, o in self.decisions]
        sizes = [len(o) for _, o in self.decisions]
        self.offsets = [0]
        for n in sizes[:-1]:
            self.offsets.append(self.offsets[-1] + n)
        self.start = nn.Parameter(torch.zeros(1, hidden))
        self.embed = nn.Embedding(max(1, sum(sizes)), hidden)  # one row per (decision, option)
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for n in sizes)
        self.hidden = hidden
        for p in self.parameters():  # ENAS initialises uniformly in [-0.1, 0.1]
            nn.init.uniform_(p, -0.1, 0.1)

    def logits(self, step: int, h: torch.Tensor) -> torch.Tensor:
        z = self.heads[step](h) / self.temperature
        return self.bounds[step] * torch.tanh(z) if self.bounds[step] else z

    def sample(self, generator: torch.Generator | None = None, force: dict | None = None) -> Sample:
        """Sample an architecture (or score the forced choices `force`, key -> option: teacher forcing)."""
        chooser = _LSTMChooser(self, generator, force)
        return chooser.result(self.space.sample(chooser))

    def score(self, choices: dict) -> Sample:
        """Log-probability and entropy of one given choice sequence (key -> option)."""
        return self.sample(force=choices)


# space kind -> its reference controller (other kinds: the generic one)
CONTROLLERS: Registry[type] = Registry("ENAS controller")


def register_controller(kind: str):
    """Class decorator: the reference controller of space kind `kind` (a taken kind is a DuplicateName)."""
    return CONTROLLERS.register(kind)


def build_controller(space, opts) -> nn.Module:
    """The controller an ENAS search of `space` trains: the reference's for its kind when one is
    registered and `opts.reference_controller`, else the generic per-decision LSTM above."""
    cls = CONTROLLERS.get(space.kind, Controller) if opts.reference_controller else Controller
    return cls(space, opts.lstm_hidden, opts.temperature, opts.tanh_constant, opts.op_tanh_reduce, opts.skip_target)


def _is_op_decision(options) -> bool:
    """An op decision picks among op names; input and skip decisions pick among integers."""
    return all(isinstance(o, str) for o in options)


class Picker:
    """Draws one option per decision from its logits (or looks up the forced one) and keeps what
    REINFORCE needs: the choices' log-probabilities, the entropies, the skip KLs and the choices."""

    def __init__(self, generator: torch.Generator | None, force: dict | None):
        self.generator, self.force = generator, force
        self.log_probs: list[torch.Tensor] = []
        self.entropies: list[torch.Tensor] = []
        self.skip_kls: list[torch.Tensor] = []
        self.made: dict = {}

    def pick(self, key, logits: torch.Tensor, options, skip_target: float | None = None) -> int:
        """Index of the option chosen for decision `key`; with `skip_target` (a skip decision over
        (0, 1)) also records KL([1-p, p] || [1-target, target])."""
        logp = torch.log_softmax(logits, dim=-1)
        if self.force is not None:
            k = list(options).index(self.force[key])
        else:
            k = int(torch.multinomial(logp.detach().exp(), 1, generator=self.generator))
        self.log_probs.append(logp[k])
        self.entropies.append(-(logp.exp() * logp).sum())
        if skip_target is not None:
            q = torch.tensor([1.0 - skip_target, skip_target], device=logp.device)
            self.skip_kls.append((logp.exp() * (logp - q.log())).sum())
        self.made[key] = options[k]
        return k

    def result(self, genotype: Genotype) -> Sample:
        kl = torch.stack(self.skip_kls).mean() if self.skip_kls else torch.zeros(())
        return Sample(genotype, torch.stack(self.log_probs).sum(), torch.stack(self.entropies).sum(), self.made, kl)


class _LSTMChooser(Picker, Chooser):
    """Advances the controller's LSTM by one step per decision the space's walk asks for."""

    def __init__(self, ctl: Controller, generator, force):
        super().__init__(generator, force)
        self.ctl = ctl
        self.step = 0
        self.x = ctl.start
        self.state = None

    def choose(self, key, options):
        ctl, t = self.ctl, self.step
        name, opts = ctl.decisions[t]
        if name != key or tuple(opts) != tuple(options):
            raise RuntimeError(f"controller: decision {t} is {key!r}, expected {name!r} (space walk changed?)")
        h, c = ctl.lstm(self.x, self.state)
        self.state = (h, c)
        k = self.pick(key, ctl.logits(t, h)[0], options, ctl.skip_target if ctl.is_skip[t] else None)
        self.x = ctl.embed(torch.tensor([ctl.offsets[t] + k], device=h.device))
        self.step += 1
        return options[k]


class Reinforce:
    """ENAS's controller update: REINFORCE with a moving-average baseline and an entropy bonus.

    reward = r(child) + entropy_weight * entropy; the baseline moves first (decay), then the loss
    is -(reward - baseline) * log p(child) + skip_weight * skip KL, minimised with Adam. The skip KL
    (Pham et al.'s macro search: target 0.4, weight 0.8) keeps the controller from wiring every
    skip connection, which shared weights reward and training from scratch does not. `batch`
    children are sampled and their losses averaged per update (ENAS code's
    `controller_num_aggregate`): less variance per step for the same number of rewards.
    """

    def __init__(self, controller: Controller, lr: float = 3.5e-4, entropy_weight: float = 1e-4,
                 baseline_decay: float = 0.99, batch: int = 1, skip_weight: float = 0.0):
        self.controller = controller
        self.optimizer = torch.optim.Adam(controller.parameters(), lr=lr)
        self.entropy_weight, self.decay, self.batch = entropy_weight, baseline_decay, int(batch)
        self.skip_weight = float(skip_weight)
        self.baseline: float | None = None

    def step(self, reward_fn, generator: torch.Generator | None = None, update: bool = True) -> dict:
        """Sample `batch` children, score each with `reward_fn(genotype) -> float`, update once
        (`update=False`: score and move the baseline only, as in a warm-up).

        Returns the mean raw reward, mean entropy and the loss; `genotype` is the last child's."""
        self.controller.train()
        losses, raws, entropies = [], [], []
        with torch.set_grad_enabled(update):  # a warm-up step needs no graph
            for _ in range(self.batch):
                sample = self.controller.sample(generator)
                raw = float(reward_fn(sample.genotype))
                entropy = float(sample.entropy.detach())
                reward = raw + self.entropy_weight * entropy
                b = reward if self.baseline is None else self.baseline
                self.baseline = b - (1.0 - self.decay) * (b - reward)
                losses.append(-(reward - self.baseline) * sample.log_prob + self.skip_weight * sample.skip_kl)
                raws.append(raw)
                entropies.append(entropy)
            loss = torch.stack(losses).mean()
        if update:
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return {"reward": sum(raws) / len(raws), "entropy": sum(entropies) / len(entropies),
                "loss": float(loss.detach()), "genotype": sample.genotype}

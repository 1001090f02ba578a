"""The Inception family space: three stages of Inception modules between reductions (GoogLeNet, BN-Inception).

GoogLeNet and Inception v2 (BN-Inception) are genotypes of this space (the YAML's `seeds`), and
`build` writes every module as data (`nasx.blocks.Mix`, built by `build_step`, as the zoo does)
after the zoo's BN-Inception stem: same inference parameters and MACs as `nasx zoo` (the
training-only auxiliary heads are not built for candidates).

Genotype description:
  {"stages": [{"modules": [[c1, c3r, c3, c5r, c5, pool, proj], ...], "branch3": "3x3", "branch5": "5x5"},
              x 3],
   "reductions": ["maxpool" | [c3r, c3, d3r, d3], x 2]}
A module concatenates four branches: 1x1 (c1); 1x1 (c3r) -> the "3x3" branch (c3); 1x1 (c5r) -> the
"5x5" branch (c5); a 3x3/1 max or avg pool -> 1x1 (proj). Per stage, the 3x3 branch is a 3x3 conv or
factorized 1x3 + 3x1, the 5x5 branch a 5x5, two 3x3s (BN-Inception), or factorized 1x5 + 5x1 or
1x7 + 7x1 (Inception v3's asymmetric convs); intermediate convs keep the branch's output width. A
stage holds 1-5 modules. Between stages a reduction is GoogLeNet's 3x3/2 max-pool or BN-Inception's
module (1x1 -> 3x3/2; 1x1 -> 3x3 -> 3x3/2; 3x3/2 max-pool, concatenated). Inception v3 is not a
point: its stem and its three module shapes are not this grammar (left out).
The decisions are fixed-length: 5 module slots per stage, slots past the stage's count are unused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from ..blocks import V2_STEM, Mix, build_step, gap_head, is_small, same
from ..errors import GenotypeError, SpaceError
from ..genotype import Genotype
from .base import Chooser, SearchSpace
from .family import FamilySettings, check_keys, check_list, check_option, scale_channels
from .registry import register_kind

STAGES, SLOTS = 3, 5
MODULES = (1, 2, 3, 4, 5)
MODULE_FIELDS = {  # the options include GoogLeNet's and BN-Inception's widths
    "c1": (64, 96, 112, 128, 160, 192, 224, 256, 352, 384),
    "c3r": (64, 96, 112, 128, 144, 160, 192),
    "c3": (64, 96, 128, 160, 192, 208, 224, 256, 288, 320, 384),
    "c5r": (16, 24, 32, 48, 64, 96, 128, 160, 192),
    "c5": (32, 48, 64, 96, 128, 160, 192, 224),
    "pool": ("max", "avg"),
    "proj": (32, 64, 128),
}
REDUCE_FIELDS = {"c3r": (64, 128, 192), "c3": (128, 160, 192, 256), "d3r": (64, 128, 192), "d3": (96, 128, 192, 256)}
REDUCTIONS = ("maxpool", "inception")
BRANCH3 = {"3x3": (3,), "1x3+3x1": ((1, 3), (3, 1))}  # name -> the kernels of its convs, in order
BRANCH5 = {"5x5": (5,), "3x3+3x3": (3, 3), "1x5+5x1": ((1, 5), (5, 1)), "1x7+7x1": ((1, 7), (7, 1))}
STAGE_KEYS = ("modules", "branch3", "branch5")


@dataclass
class InceptionSettings(FamilySettings):
    dropout: float = 0.4  # before the classifier (GoogLeNet's; BN-Inception used none)

    def check(self, where):
        super().check(where)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise SpaceError(f"{where}: dropout must be a number in [0, 1), got {self.dropout!r}")


def module_spec(m: list, branch3: str, branch5: str, scale: float) -> Mix:
    c1, c3r, c3, c5r, c5, pool, proj = m

    def scaled(c):
        return scale_channels(c, scale)

    return Mix((((scaled(c1), 1),),
                ((scaled(c3r), 1),) + tuple((scaled(c3), k) for k in BRANCH3[branch3]),
                ((scaled(c5r), 1),) + tuple((scaled(c5), k) for k in BRANCH5[branch5]),
                (pool, (scaled(proj), 1))))


def reduction_spec(r, scale: float):
    """GoogLeNet's ceil-mode 3x3/2 max-pool, or BN-Inception's reduction module (zoo `_v2_reduce`)."""
    if r == "maxpool":
        return "maxc"
    c3r, c3, d3r, d3 = (scale_channels(v, scale) for v in r)
    return Mix((((c3r, 1), (c3, 3, 2)), ((d3r, 1), (d3, 3), (d3, 3, 2)), ("maxc",)))


@register_kind("inception")
class InceptionFamilySpace(SearchSpace):
    kind = "inception"
    settings_cls = InceptionSettings
    network_keys = ("width_scale", "dropout")

    def _walk(self, chooser: Chooser) -> dict:
        stages, reductions = [], []
        for i in range(STAGES):
            n = chooser.choose(f"s{i}.modules", MODULES)
            stage = {"branch3": chooser.choose(f"s{i}.branch3", tuple(BRANCH3)),
                     "branch5": chooser.choose(f"s{i}.branch5", tuple(BRANCH5))}
            slots = [[chooser.choose(f"s{i}.m{j}.{f}", o) for f, o in MODULE_FIELDS.items()] for j in range(SLOTS)]
            stages.append({**stage, "modules": slots[:n]})
            if i < STAGES - 1:
                kind = chooser.choose(f"r{i}.kind", REDUCTIONS)
                widths = [chooser.choose(f"r{i}.{f}", o) for f, o in REDUCE_FIELDS.items()]
                reductions.append("maxpool" if kind == "maxpool" else widths)
        return {"stages": stages, "reductions": reductions}

    def canonicalize(self, data: dict) -> dict:
        where = f"space {self.name}"
        check_keys(data, ("stages", "reductions"), f"{where}: genotype")
        stages = [self._stage(s, f"{where}: stages[{i}]")
                  for i, s in enumerate(check_list(data["stages"], STAGES, f"{where}: stages"))]
        reductions = [self._reduction(r, f"{where}: reductions[{i}]")
                      for i, r in enumerate(check_list(data["reductions"], STAGES - 1, f"{where}: reductions"))]
        return {"stages": stages, "reductions": reductions}

    @staticmethod
    def _stage(stage, where: str) -> dict:
        check_keys(stage, STAGE_KEYS, where)
        modules = check_list(stage["modules"], MODULES, f"{where}.modules")
        out = []
        for j, m in enumerate(modules):
            fields = check_list(m, len(MODULE_FIELDS), f"{where}.modules[{j}] ({', '.join(MODULE_FIELDS)})")
            out.append([check_option(v, o, f"{where}.modules[{j}].{f}")
                        for v, (f, o) in zip(fields, MODULE_FIELDS.items())])
        return {"modules": out, "branch3": check_option(stage["branch3"], tuple(BRANCH3), f"{where}.branch3"),
                "branch5": check_option(stage["branch5"], tuple(BRANCH5), f"{where}.branch5")}

    @staticmethod
    def _reduction(r, where: str):
        if r == "maxpool":
            return r
        if not isinstance(r, list):
            raise GenotypeError(f"{where} must be \"maxpool\" or [{', '.join(REDUCE_FIELDS)}], got {r!r}")
        fields = check_list(r, len(REDUCE_FIELDS), f"{where} ({', '.join(REDUCE_FIELDS)})")
        return [check_option(v, o, f"{where}.{f}") for v, (f, o) in zip(fields, REDUCE_FIELDS.items())]

    def choices(self, genotype: Genotype) -> dict:
        """Decision values; unused module slots and a max-pool's widths take their first option."""
        d, ch = genotype.data, {}
        first = [o[0] for o in MODULE_FIELDS.values()]
        for i, stage in enumerate(d["stages"]):
            ch.update({f"s{i}.modules": len(stage["modules"]), f"s{i}.branch3": stage["branch3"],
                       f"s{i}.branch5": stage["branch5"]})
            slots = stage["modules"] + [first] * (SLOTS - len(stage["modules"]))
            ch.update({f"s{i}.m{j}.{f}": v for j, m in enumerate(slots) for f, v in zip(MODULE_FIELDS, m)})
        for i, r in enumerate(d["reductions"]):
            widths = [o[0] for o in REDUCE_FIELDS.values()] if r == "maxpool" else r
            ch[f"r{i}.kind"] = "maxpool" if r == "maxpool" else "inception"
            ch.update({f"r{i}.{f}": v for f, v in zip(REDUCE_FIELDS, widths)})
        return ch

    def size(self) -> int:
        per_module = math.prod(len(o) for o in MODULE_FIELDS.values())
        per_stage = len(BRANCH3) * len(BRANCH5) * sum(per_module ** n for n in MODULES)
        per_reduction = 1 + math.prod(len(o) for o in REDUCE_FIELDS.values())
        return per_stage ** STAGES * per_reduction ** (STAGES - 1)

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        s = self.settings
        return inception_network(genotype.data, num_classes, tuple(input_size), s.width_scale, s.dropout)


def inception_network(d: dict, num_classes: int, input_size: tuple, width_scale: float = 1.0,
                      dropout: float = 0.4) -> nn.Module:
    """The network of canonical description `d` (a top-level function of literals: export can vendor it)."""
    stem = tuple(step if isinstance(step, str) else (scale_channels(step[0], width_scale), *step[1:])
                 for step in V2_STEM)
    steps = list(same(stem) if is_small(input_size) else stem)
    for i, stage in enumerate(d["stages"]):
        steps += [module_spec(m, stage["branch3"], stage["branch5"], width_scale) for m in stage["modules"]]
        if i < len(d["reductions"]):
            steps.append(reduction_spec(d["reductions"][i], width_scale))
    c, layers = input_size[0], []
    for step in steps:
        m, c = build_step(c, step)
        layers.append(m)
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes, dropout))

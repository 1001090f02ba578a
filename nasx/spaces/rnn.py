"""Recurrent-cell spaces for language models: DARTS's (Liu et al., ICLR 2019) and ENAS's (Pham et al., 2018).

A cell has node 0, the highway s_0 of x_t and h_{t-1}, and N intermediate nodes; node i = 1..N picks
ONE predecessor j < i and an activation: s_i = s_j + sigmoid(c) * (act(h) - s_j) with c, h = split(W_i s_j).
The cell output h_t is the mean of the nodes listed in `concat`, which the space's `output` setting
derives: `mean_all` (DARTS: every intermediate node 1..N) or `mean_loose_ends` (ENAS: the nodes no
other node reads). Genotype description: `{"recurrent": [[activation, predecessor], ...]}` (node i's
pair at index i-1); a `concat` key is accepted only when it equals the derived list, and dropped.
Decisions: `node{i}_pred` then `node{i}_act` for i = 1..N. The network (`rnn_network.py`, shared with
exported code) is DARTS's RNNModel: embedding, the cell, a decoder tied to the embedding (`tied`,
default) or not, variational dropouts. Network settings (`network_keys`): `embedding`, `hidden`, the
five dropouts, `tied`, `init_range`. Seeds: a YAML seed is a genotype description or the name of a
published recurrent cell (`nasx.spaces.published`: darts_v1_rnn, darts_v2_rnn, enas_rnn), and every
published recurrent cell the space can express seeds it by its own name. See docs/rnn.md for the
comparison with the reference code (quark0/darts `rnn/`, google-research `enas_lm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from torch import nn

from ..errors import GenotypeError, NasxError, SpaceError
from ..genotype import Genotype
from .base import Chooser, SearchSpace, SpaceSettings, positive_int
from .registry import get_space, register_kind, space_names
from .rnn_network import RNN_ACTIVATIONS, RecurrentCellLM

OUTPUTS = ("mean_all", "mean_loose_ends")
DROPOUTS = ("dropout", "dropouth", "dropoutx", "dropouti", "dropoute")


@dataclass
class RNNCellSettings(SpaceSettings):
    nodes: int = 8  # intermediate nodes (node 0, the highway of x_t and h_{t-1}, not counted)
    activations: list = field(default_factory=lambda: list(RNN_ACTIVATIONS))
    output: str = "mean_all"  # mean_all (DARTS, enas_lm) | mean_loose_ends (enas_lm's TPU model, the first ENAS code)
    embedding: int = 300  # embedding size (the cell's x input)
    hidden: int = 300  # the cell's hidden-state size
    tied: bool = True  # decoder weight = the embedding matrix (embedding must equal hidden)
    dropout: float = 0.75  # locked dropout on the cell's output
    dropouth: float = 0.25  # variational dropout on the hidden state fed back into the cell (every node's input)
    dropoutx: float = 0.75  # variational dropout on the cell's x input
    dropouti: float = 0.2  # locked dropout on the embedding output
    dropoute: float = 0.0  # embedding dropout: whole word rows of the embedding matrix
    init_range: float = 0.04  # uniform init range of the embedding and the cell's weights

    def check(self, where):
        positive_int(self.nodes, "nodes", where, 1, 64)
        acts = self.activations
        if (not isinstance(acts, list) or not acts or len(set(map(str, acts))) != len(acts)
                or any(a not in RNN_ACTIVATIONS for a in acts)):
            raise SpaceError(f"{where}: activations must be a non-empty list of distinct names among "
                             f"{', '.join(RNN_ACTIVATIONS)}, got {acts!r}")
        if self.output not in OUTPUTS:
            raise SpaceError(f"{where}: output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        positive_int(self.embedding, "embedding", where, 1, 4096)
        positive_int(self.hidden, "hidden", where, 1, 4096)
        if not isinstance(self.tied, bool):
            raise SpaceError(f"{where}: tied must be true or false, got {self.tied!r}")
        if self.tied and self.embedding != self.hidden:
            raise SpaceError(f"{where}: embedding ({self.embedding}) must equal hidden ({self.hidden}) while tied "
                             "is true (the decoder shares the embedding matrix, as in DARTS); set tied false to "
                             "untie them")
        for key in DROPOUTS:
            p = getattr(self, key)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
                raise SpaceError(f"{where}: {key} must be a probability in [0, 1), got {p!r}")
            setattr(self, key, float(p))
        r = self.init_range
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0.0 < r <= 1.0:
            raise SpaceError(f"{where}: init_range must be a number in (0, 1], got {r!r}")
        self.init_range = float(r)
        for name, seed in (self.seeds or {}).items():
            if isinstance(seed, str) and seed not in recurrent_cell_names():
                raise SpaceError(f"{where}: seed {name}: {seed!r} is no published recurrent cell (known: "
                                 f"{', '.join(recurrent_cell_names())})")
            if not isinstance(seed, (str, dict)):
                raise SpaceError(f"{where}: seed {name} must be a genotype description or a published recurrent "
                                 f"cell's name, got {type(seed).__name__}")


def recurrent_cell_names() -> list[str]:
    """The published cells of this kind (`nasx.spaces.published`): darts_v1_rnn, darts_v2_rnn, enas_rnn."""
    from .published import published_names

    return published_names("rnn_cell")


def concat_of(recurrent, output: str) -> list[int]:
    """The nodes the cell output averages: all of 1..N (`mean_all`) or the loose ends (`mean_loose_ends`)."""
    n = len(recurrent)
    if output == "mean_all":
        return list(range(1, n + 1))
    read = {int(pred) for _, pred in recurrent}
    return [i for i in range(1, n + 1) if i not in read]


@register_kind("rnn_cell")
class RNNCellSpace(SearchSpace):
    kind = "rnn_cell"
    task_kind = "language-modelling"
    settings_cls = RNNCellSettings
    network_keys = ("embedding", "hidden", *DROPOUTS, "tied", "init_range")

    def _walk(self, chooser: Chooser) -> dict:
        acts = tuple(self.settings.activations)
        rec = []
        for i in range(1, self.settings.nodes + 1):
            pred = chooser.choose(f"node{i}_pred", tuple(range(i)))
            rec.append([chooser.choose(f"node{i}_act", acts), pred])
        return {"recurrent": rec}

    def canonicalize(self, data: dict) -> dict:
        s, name = self.settings, self.name
        extra = sorted(set(data) - {"recurrent", "concat"})
        if "recurrent" not in data or extra:
            raise GenotypeError(f"space {name}: genotype needs the key 'recurrent' (and optionally 'concat'), "
                                f"got {sorted(data)}")
        rec = data["recurrent"]
        if not isinstance(rec, list) or len(rec) != s.nodes:
            got = f"{len(rec)} nodes" if isinstance(rec, list) else type(rec).__name__
            raise GenotypeError(f"space {name}: recurrent must list {s.nodes} nodes as [activation, predecessor], "
                                f"got {got}")
        out = []
        for i, node in enumerate(rec, start=1):
            where = f"space {name}: node {i}"
            if not isinstance(node, (list, tuple)) or len(node) != 2:
                raise GenotypeError(f"{where}: expected [activation, predecessor], got {node!r}")
            act, pred = node
            if not isinstance(act, str) or act not in s.activations:
                raise GenotypeError(f"{where}: unknown activation {act!r} (space activations: "
                                    f"{', '.join(s.activations)})")
            if isinstance(pred, bool) or not isinstance(pred, int) or not 0 <= pred < i:
                raise GenotypeError(f"{where}: predecessor {pred!r} must be an earlier node in [0, {i - 1}]")
            out.append([act, pred])
        if "concat" in data:
            concat, want = data["concat"], concat_of(out, s.output)
            ok = isinstance(concat, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in concat)
            if not ok or sorted(set(concat)) != want or len(concat) != len(want):
                raise GenotypeError(f"space {name}: concat {concat!r} does not match the space's output "
                                    f"{s.output}, which averages nodes {want}")
        return {"recurrent": out}

    def choices(self, genotype: Genotype) -> dict:
        ch = {}
        for i, (act, pred) in enumerate(genotype.data["recurrent"], start=1):
            ch[f"node{i}_pred"] = pred
            ch[f"node{i}_act"] = act
        return ch

    def size(self) -> int:
        n = self.settings.nodes
        return math.factorial(n) * len(self.settings.activations) ** n

    def concat(self, genotype: Genotype) -> list[int]:
        """The nodes the cell output of `genotype` averages."""
        return concat_of(genotype.data["recurrent"], self.settings.output)

    def seed_genotype(self, name: str) -> Genotype:
        """A seed of the YAML's `seeds:` (a description, or a published recurrent cell's name), or a
        published recurrent cell by its own name (darts_v2_rnn, ...) when this space can express it."""
        from .published import published_genotype

        seeds = self.settings.seeds or {}
        if name in seeds:
            seed = seeds[name]
            return published_genotype(seed, self) if isinstance(seed, str) else self.genotype(dict(seed))
        if name in recurrent_cell_names():
            return published_genotype(name, self)
        others = [n for n in space_names() if n != self.name and get_space(n).kind == self.kind
                  and name in (get_space(n).settings.seeds or {})]
        hint = f" ({name} is a seed of {', '.join(others)})" if others else ""
        raise SpaceError(f"space {self.name} has no seed architecture {name!r}{hint}; available: "
                         f"{', '.join(sorted(seeds)) or 'no seeds'}; published recurrent cells: "
                         f"{', '.join(recurrent_cell_names())}")

    def ops(self) -> list[str]:
        return list(self.settings.activations)

    def with_network(self, **overrides) -> SearchSpace:
        """As the base class; while tied, setting only one of embedding / hidden sets the other too."""
        if overrides.get("tied", self.settings.tied) is True:
            if "hidden" in overrides and "embedding" not in overrides:
                overrides["embedding"] = overrides["hidden"]
            elif "embedding" in overrides and "hidden" not in overrides:
                overrides["hidden"] = overrides["embedding"]
        return super().with_network(**overrides)

    def network_settings(self) -> dict:
        """The keyword arguments of RecurrentCellLM besides the vocabulary and the cell."""
        return {k: getattr(self.settings, k) for k in self.network_keys}

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=None) -> nn.Module:
        """DARTS's RNNModel for `genotype`; `num_classes` is the vocabulary size, `input_size` (the
        sequence length) unused: any length works."""
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise NasxError(f"space {self.name}: the vocabulary size (num_classes) must be an integer >= 2, "
                            f"got {num_classes!r}")
        rec = [(act, pred) for act, pred in genotype.data["recurrent"]]
        return RecurrentCellLM(num_classes, rec, self.concat(genotype), **self.network_settings())


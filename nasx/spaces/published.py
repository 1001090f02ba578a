"""The published NAS cells as named genotypes: `--seed-arch NAME`, `--genotype NAME`, zoo models.

One registry, `PUBLISHED`, of cells of two kinds: NASNet-style CNN cells (`PublishedCell`, space kind
`cells`, default space `cells`) and recurrent cells (`PublishedRecurrentCell`, space kind `rnn_cell`,
default space each cell's own: rnn_darts for DARTS's, rnn_enas for ENAS's). Each cell knows its space
kind, its default space and how to describe itself in a space of that kind; `published_genotype`
resolves any of them the same way.

CNN cell genotypes are transcribed from the authors' reference code, in DARTS's notation (each block is two
(op, input) pairs; inputs 0/1 are the two cell inputs, 2+j block j; `concat` the states the output
concatenates):
  - NASNet-A: the authors' TF-slim `nasnet_utils.py` (NasNetANormalCell / NasNetAReductionCell:
    `operations`, `hiddenstate_indices`, `used_hiddenstates`), read for this file. Their hidden state
    0 is the previous cell's output (after its 1x1 conv) and 1 the one before, so 0 and 1 swap into
    DARTS notation; the output concatenates the states `used_hiddenstates` leaves out. The blocks
    equal quark0/darts `genotypes.py` NASNet; its concat lists do not: DARTS drops h_{i-1} from the
    normal cell's output ([2..6] instead of [0, 2..6]) and block 1 from the reduction cell's ([4,5,6]
    instead of [3,4,5,6]). With the authors' lists NASNet-A has its paper's 3.3M at N=6, F=32.
  - AmoebaNet-A: quark0/darts `genotypes.py` AmoebaNet. The authors' tensorflow/tpu
    `amoeba_net/model_specs.py` ('amoeba_net_a', the same base cell as NASNet's, read for this file)
    is the same cell with inputs 0/1 the other way round, the blocks reordered, one max-pool input
    changed, and a concat that keeps the input state and more blocks; transcribed with NASNet's swap it
    builds 10-16% above the paper's sizes (3.53M at N=6 F=36 vs 3.2M; 5.73M / 645M MACs mobile vs
    5.1M / 555M), while DARTS's transcription builds 2-3% below (3.15M, 4.98M / 576M). The paper's
    figure could not be checked here, so the transcription closer to the paper's sizes is kept.
  - DARTS V1 / V2: quark0/darts `cnn/genotypes.py` (DARTS_V1, DARTS_V2), read for this file.
  - PNASNet-5: chenxi116/PNASNet.pytorch `genotypes.py` (PNASNet), read for this file; the same cell
    serves as normal and reduction cell.
Op names map onto nasx's: `skip_connect` -> `identity` (FactorizedReduce at stride 2, as DARTS;
PNASNet's reference uses a strided 1x1 ReLU-Conv-BN there), `conv_7x1_1x7` -> `conv_1x7_7x1`
(both apply 1x7 then 7x1). Published figures (`figures`) are as listed in DARTS (Liu et al., ICLR
2019) Tables 1 and 2 and the original papers, quoted from memory: see benchmarks/README.md for the
side-by-side comparison with what nasx builds.
  - ENAS: melodyguan/enas `scripts/cifar10_micro_final.sh` (`fixed_arc`, 5 nodes of
    [x_id, x_op, y_id, y_op], ops 0 sep 3x3, 1 sep 5x5, 2 avg 3x3, 3 max 3x3, 4 identity) read for
    this file; the fixed-arc network (`micro_child.py` `_fixed_layer` / `_fixed_combine`) concatenates
    the nodes no other node reads (loose ends), which is the concat list here. The 1x1 conv after the
    concatenation exists only in the search-phase cell (`_enas_layer`), not in the final model.

Recurrent cells (`{"recurrent": [[activation, predecessor], ...]}`, node i at index i-1, node 0 the
highway of x_t and h_{t-1}), read for this file:
  - darts_v1_rnn / darts_v2_rnn: quark0/darts `rnn/genotypes.py` DARTS_V1 / DARTS_V2 (concat
    range(1, 9): the mean of every node, rnn_darts's `mean_all`). google-research `enas_lm/README.md`
    evaluates "the architecture found by DARTS" as fixed_arc '0 2 1 1 1 1 1 3 2 0 5 2 3 0 5 1', which
    decodes to DARTS_V2 exactly.
  - enas_rnn: the cell of ENAS's corrected recurrent code, google-research `enas_lm/README.md`
    fixed_arc '0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2': (predecessor, function) per node, functions 0 tanh,
    1 relu, 2 sigmoid, 3 identity (`enas_lm/src/fixed_lib.py` `_select_function`). The original ENAS
    repository (melodyguan/enas) withdraws its PTB code; its 12-node cell (and DARTS's transcription
    of it, `ENAS` in rnn/genotypes.py) does not fit the 8-node enas_lm space: docs/rnn.md.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..errors import GenotypeError
from ..genotype import Genotype

# space kind -> (what its cells are called in errors, spaces of that kind to suggest)
_KIND_WORDS = {"cells": ("a NASNet-style cell", "a cells-kind space such as cells or pnas"),
               "rnn_cell": ("a recurrent cell", "an rnn_cell-kind space such as rnn_darts or rnn_enas")}
_OP_NAMES = {"skip_connect": "identity", "conv_7x1_1x7": "conv_1x7_7x1"}


@dataclass(frozen=True)
class PublishedCell:
    name: str
    title: str
    citation: str
    source: str
    normal: tuple
    normal_concat: tuple
    reduce: tuple | None = None  # None: the normal cell serves as reduction cell (PNAS)
    reduce_concat: tuple | None = None
    figures: dict = field(default_factory=dict)
    space_kind = "cells"
    default_space = "cells"

    def description(self) -> dict:
        """nasx's genotype description (cells space notation, op names mapped)."""
        def blocks(pairs):
            out = []
            for i in range(0, len(pairs), 2):
                (oa, ia), (ob, ib) = pairs[i], pairs[i + 1]
                out.append([ia, _OP_NAMES.get(oa, oa), ib, _OP_NAMES.get(ob, ob)])
            return out
        d = {"normal": blocks(self.normal), "normal_concat": list(self.normal_concat)}
        d["reduce"] = blocks(self.reduce if self.reduce is not None else self.normal)
        d["reduce_concat"] = list(self.reduce_concat if self.reduce is not None else self.normal_concat)
        return d

    def description_in(self, space) -> dict:
        """The description `space` (a cells-kind space) validates: without the reduction cell when the
        space shares one cell for both, which only a cell with identical normal and reduction cells fits."""
        d = self.description()
        if not space.settings.separate_reduction:
            if d["normal"] != d["reduce"] or d["normal_concat"] != d["reduce_concat"]:
                raise GenotypeError(f"published cell {self.name} has its own reduction cell; space {space.name} "
                                    "shares one cell for both")
            d = {"normal": d["normal"], "normal_concat": d["normal_concat"]}
        return d


@dataclass(frozen=True)
class PublishedRecurrentCell:
    """A recurrent cell: `recurrent[i-1]` = (activation, predecessor) of node i; `default_space` the
    bundled rnn_cell space it was found in (its concat is derived there, never stored)."""

    name: str
    title: str
    citation: str
    source: str
    recurrent: tuple
    default_space: str
    figures: dict = field(default_factory=dict)
    space_kind = "rnn_cell"

    def description(self) -> dict:
        return {"recurrent": [[act, pred] for act, pred in self.recurrent]}

    def description_in(self, space) -> dict:
        return self.description()


PUBLISHED: dict[str, PublishedCell | PublishedRecurrentCell] = {}


def _register(cell: PublishedCell | PublishedRecurrentCell) -> None:
    if cell.name in PUBLISHED:
        raise ValueError(f"published cell {cell.name} is registered twice")
    PUBLISHED[cell.name] = cell


_register(PublishedCell(
    "nasnet_a", "NASNet-A", "Zoph, Vasudevan, Shlens, Le. Learning Transferable Architectures for Scalable "
    "Image Recognition. CVPR 2018", "tensorflow/models research/slim/nets/nasnet/nasnet_utils.py NasNetA*Cell",
    normal=(("sep_conv_5x5", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 0), ("sep_conv_3x3", 0),
            ("avg_pool_3x3", 1), ("skip_connect", 0), ("avg_pool_3x3", 0), ("avg_pool_3x3", 0),
            ("sep_conv_3x3", 1), ("skip_connect", 1)),
    normal_concat=(0, 2, 3, 4, 5, 6),
    reduce=(("sep_conv_5x5", 1), ("sep_conv_7x7", 0), ("max_pool_3x3", 1), ("sep_conv_7x7", 0),
            ("avg_pool_3x3", 1), ("sep_conv_5x5", 0), ("skip_connect", 3), ("avg_pool_3x3", 2),
            ("sep_conv_3x3", 2), ("max_pool_3x3", 1)),
    reduce_concat=(3, 4, 5, 6),
    figures={"cifar10": {"params_m": 3.3, "test_err": 2.65, "note": "NASNet-A + cutout (6 @ 768: N=6, F=32)"},
             "imagenet_mobile": {"params_m": 5.3, "macs_m": 564, "top1_err": 26.0, "note": "N=4, F=44"},
             "imagenet_large": {"params_m": 88.9, "macs_m": 23800, "top1_err": 17.3, "note": "N=6, F=168, 331x331"}}))

_register(PublishedCell(
    "amoebanet_a", "AmoebaNet-A", "Real, Aggarwal, Huang, Le. Regularized Evolution for Image Classifier "
    "Architecture Search. AAAI 2019", "quark0/darts cnn/genotypes.py AmoebaNet",
    normal=(("avg_pool_3x3", 0), ("max_pool_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 2),
            ("sep_conv_3x3", 0), ("avg_pool_3x3", 3), ("sep_conv_3x3", 1), ("skip_connect", 1),
            ("skip_connect", 0), ("avg_pool_3x3", 1)),
    normal_concat=(4, 5, 6),
    reduce=(("avg_pool_3x3", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("sep_conv_7x7", 2),
            ("sep_conv_7x7", 0), ("avg_pool_3x3", 1), ("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("conv_7x1_1x7", 0), ("sep_conv_3x3", 5)),
    reduce_concat=(3, 4, 6),
    figures={"cifar10": {"params_m": 3.2, "test_err": 3.34, "note": "AmoebaNet-A, +-0.06"},
             "imagenet_mobile": {"params_m": 5.1, "macs_m": 555, "top1_err": 25.5, "note": "N=4, F=50"}}))

_register(PublishedCell(
    "pnasnet5", "PNASNet-5", "Liu, Zoph, Neumann, Shlens, Hua, Li, Fei-Fei, Yuille, Huang, Murphy. "
    "Progressive Neural Architecture Search. ECCV 2018", "chenxi116/PNASNet.pytorch genotypes.py PNASNet",
    normal=(("sep_conv_5x5", 0), ("max_pool_3x3", 0), ("sep_conv_7x7", 1), ("max_pool_3x3", 1),
            ("sep_conv_5x5", 1), ("sep_conv_3x3", 1), ("sep_conv_3x3", 4), ("max_pool_3x3", 1),
            ("sep_conv_3x3", 0), ("skip_connect", 1)),
    normal_concat=(2, 3, 4, 5, 6),
    figures={"cifar10": {"params_m": 3.2, "test_err": 3.41, "note": "+-0.09"},
             "imagenet_mobile": {"params_m": 5.1, "macs_m": 588, "top1_err": 25.8, "note": "N=3, F=54"},
             "imagenet_large": {"params_m": 86.1, "macs_m": 25000, "top1_err": 17.1, "note": "N=4, F=216, 331x331"}}))

_register(PublishedCell(
    "darts_v1", "DARTS (first order)", "Liu, Simonyan, Yang. DARTS: Differentiable Architecture Search. ICLR 2019",
    "quark0/darts cnn/genotypes.py DARTS_V1",
    normal=(("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_3x3", 1),
            ("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 2)),
    normal_concat=(2, 3, 4, 5),
    reduce=(("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 0),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0)),
    reduce_concat=(2, 3, 4, 5),
    figures={"cifar10": {"params_m": 3.3, "test_err": 3.00, "note": "+-0.14, C=36, 20 cells"}}))

_register(PublishedCell(
    "darts_v2", "DARTS (second order)", "Liu, Simonyan, Yang. DARTS: Differentiable Architecture Search. ICLR 2019",
    "quark0/darts cnn/genotypes.py DARTS_V2",
    normal=(("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)),
    normal_concat=(2, 3, 4, 5),
    reduce=(("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)),
    reduce_concat=(2, 3, 4, 5),
    figures={"cifar10": {"params_m": 3.3, "params_exact": 3349342, "test_err": 2.76,
                         "note": "+-0.09, C=36, 20 cells; params_exact: the reference code's logged count"},
             "imagenet_mobile": {"params_m": 4.7, "macs_m": 574, "top1_err": 26.7, "note": "C=48, 14 cells"}}))


_register(PublishedCell(
    "enas", "ENAS (micro)", "Pham, Guan, Zoph, Le, Dean. Efficient Neural Architecture Search via Parameter "
    "Sharing. ICML 2018", "melodyguan/enas scripts/cifar10_micro_final.sh fixed_arc",
    # normal "0 2 0 0 | 0 4 0 1 | 0 4 1 1 | 1 0 0 1 | 0 2 1 1": inputs 0 and 1 read, loose ends 2-6
    normal=(("avg_pool_3x3", 0), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_5x5", 0),
            ("skip_connect", 0), ("sep_conv_5x5", 1), ("sep_conv_3x3", 1), ("sep_conv_5x5", 0),
            ("avg_pool_3x3", 0), ("sep_conv_5x5", 1)),
    normal_concat=(2, 3, 4, 5, 6),
    # reduce "1 0 1 0 | 0 3 0 2 | 1 1 3 1 | 1 0 0 4 | 0 3 1 1": node 3 is read by node 4, loose ends 2,4,5,6
    reduce=(("sep_conv_3x3", 1), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("avg_pool_3x3", 0),
            ("sep_conv_5x5", 1), ("sep_conv_5x5", 3), ("sep_conv_3x3", 1), ("skip_connect", 0),
            ("max_pool_3x3", 0), ("sep_conv_5x5", 1)),
    reduce_concat=(2, 4, 5, 6),
    figures={"cifar10": {"params_m": 4.6, "test_err": 2.89,
                         "note": "with cutout; the final script's settings: 36 filters, 15 normal + 2 reduction "
                                 "cells, 630 epochs"}}))


_DARTS_PAPER = "Liu, Simonyan, Yang. DARTS: Differentiable Architecture Search. ICLR 2019"
_ENAS_PAPER = ("Pham, Guan, Zoph, Le, Dean. Efficient Neural Architecture Search via Parameter Sharing. "
               "ICML 2018")

_register(PublishedRecurrentCell(
    "darts_v1_rnn", "DARTS recurrent cell (first order)", _DARTS_PAPER, "quark0/darts rnn/genotypes.py DARTS_V1",
    recurrent=(("relu", 0), ("relu", 1), ("tanh", 2), ("relu", 3), ("relu", 4), ("identity", 1), ("relu", 5),
               ("relu", 1)),
    default_space="rnn_darts",
    figures={"ptb": {"params_m": 23, "test_ppl": 57.6, "note": "DARTS Table 2 (memory, not checked here)"}}))

_register(PublishedRecurrentCell(
    "darts_v2_rnn", "DARTS recurrent cell (second order)", _DARTS_PAPER,
    "quark0/darts rnn/genotypes.py DARTS_V2 (DARTS = DARTS_V2)",
    recurrent=(("sigmoid", 0), ("relu", 1), ("relu", 1), ("identity", 1), ("tanh", 2), ("sigmoid", 5),
               ("tanh", 3), ("relu", 5)),
    default_space="rnn_darts",
    figures={"ptb": {"params_m": 23, "params_exact": 22_960_000, "test_ppl": 55.7,
                     "note": "DARTS Table 2 (23M, 55.7: memory); params_exact: nasx's build at embedding = hidden "
                             "= 850 with 10,000 words (rnn/train.py's sizes), decoder bias included"}}))

_register(PublishedRecurrentCell(
    "enas_rnn", "ENAS recurrent cell (enas_lm)", _ENAS_PAPER,
    "google-research enas_lm/README.md fixed_arc '0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2'",
    recurrent=(("sigmoid", 0), ("tanh", 1), ("relu", 2), ("sigmoid", 2), ("tanh", 4), ("tanh", 5),
               ("sigmoid", 3), ("sigmoid", 6)),
    default_space="rnn_enas",
    figures={"ptb": {"test_ppl": 56.1, "note": "enas_lm/README.md: 56.1 +- 0.1 over 10 runs (TPU, "
                                                 "src/tpu/fixed.py), 57.3 +- 0.1 (GPU, src/fixed.py); checked"}}))


def published_names(space_kind: str | None = None) -> list[str]:
    """The published cells' names, all or those of one space kind (`cells`, `rnn_cell`)."""
    return sorted(n for n, c in PUBLISHED.items() if space_kind is None or c.space_kind == space_kind)


def get_published(name: str) -> PublishedCell | PublishedRecurrentCell:
    if name not in PUBLISHED:
        close = difflib.get_close_matches(name, PUBLISHED, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}" if close else ""
        raise GenotypeError(f"unknown published cell {name!r}{hint}; known: {', '.join(published_names())}")
    return PUBLISHED[name]


def published_genotype(name: str, space=None) -> Genotype:
    """Cell `name` as a genotype of `space` (default: the cell's own space: `cells` for a CNN cell,
    rnn_darts / rnn_enas for a recurrent one), or a one-line GenotypeError saying why the space cannot
    express it (another kind of space, an op it lacks, too many blocks or nodes, one shared cell)."""
    from . import get_space

    cell = get_published(name)
    space = space if space is not None else cell.default_space
    space = get_space(space) if isinstance(space, str) else space
    kind = getattr(space, "kind", "")
    if kind != cell.space_kind:
        what, where = _KIND_WORDS.get(cell.space_kind, (f"a {cell.space_kind} cell", f"a {cell.space_kind} space"))
        raise GenotypeError(f"published cell {name} is {what}; space {space.name} is of kind {kind} (use {where})")
    d = cell.description_in(space)
    try:
        return space.genotype(d)
    except GenotypeError as exc:
        raise GenotypeError(f"published cell {name} cannot be expressed in space {space.name}: {exc}") from None

"""Model compression as in Han et al., Deep Compression (ICLR 2016): prune, share, Huffman-code.

    from nasx.compress import CompressConfig, compress
    result = compress(trained_net, load_dataset("digits"), CompressConfig(sparsity=0.9), "out/")
    result.ratio, result.acc_before, result.acc_after, result.budget.met

Defaults follow the paper: per-layer pruning rates from sensitivity, 8-bit conv and 5-bit fc
codebooks, and an accuracy budget (validation accuracy within `max_drop`) kept by fine-tuning.

`out/model.nasxc` is the compact file (`read_compact` gives the state_dict back exactly) and
`out/weights.pt` the decompressed state_dict, loadable with torch.load(weights_only=True).
"""

from . import sensitivity
from .pipeline import CompressConfig, CompressResult, LayerReport, compress, dense_bytes
from .prune import prunable_layers, prune_to, sparsity
from .share import kmeans_1d
from .storage import read_compact, write_compact

__all__ = ["CompressConfig", "CompressResult", "LayerReport", "compress", "dense_bytes", "kmeans_1d",
           "prunable_layers", "prune_to", "read_compact", "sensitivity", "sparsity", "write_compact"]

"""Language-model batches: a token stream cut into `batch_size` parallel streams, read in windows.

Batch-first (N, T), unlike the seq-first `batchify` of the AWD-LSTM / DARTS `data.py`, so the
tensors match nasx's image batches (N first) and `nn.Embedding` / `batch_first=True` layers.
"""

from __future__ import annotations

import torch

from ..errors import NasxError


def batchify(ids: torch.Tensor, batch_size: int, device=None) -> torch.Tensor:
    """(batch_size, L): row b is the b-th contiguous stretch of `ids`; the remainder is dropped."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise NasxError(f"batch_size {batch_size!r} is not a positive integer")
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    per = len(ids) // batch_size
    if per < 2:
        raise NasxError(f"{len(ids)} tokens in {batch_size} streams leave {per} per stream; each needs at "
                        f"least 2 (an input and its target): use a smaller batch size or more text")
    out = ids[:per * batch_size].view(batch_size, per)
    return out.to(device) if device is not None else out.contiguous()


def get_batch(source: torch.Tensor, i: int, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs source[:, i:i+T] and targets one token on, source[:, i+1:i+1+T], both (N, T) and
    contiguous; T is seq_len, or less at the end of the streams."""
    if seq_len < 1:
        raise NasxError(f"seq_len {seq_len!r} is not a positive integer")
    n = min(seq_len, source.size(1) - 1 - i)
    if i < 0 or n < 1:
        raise NasxError(f"batch start {i} leaves no targets in streams of {source.size(1)} tokens; "
                        f"use 0 <= i < {source.size(1) - 1}")
    return source[:, i:i + n].contiguous(), source[:, i + 1:i + 1 + n].contiguous()

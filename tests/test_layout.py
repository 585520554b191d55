"""The layout's promises: the core is pure and the modules import no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bot"

# The core: plain functions over plain data, with no Telegram, scheduler or database.
PURE = [
    "bot.articles",
    "bot.sentences",
    "bot.summarizer",
    "bot.digest",
    "bot.messages",
    "bot.schedule",
    "bot.stories",
    "bot.filters",
    "bot.feeds.parse",
]
EDGES = ("telegram", "apscheduler", "bot.store", "bot.telegram.app", "bot.telegram.jobs", "sqlite3")


@pytest.mark.parametrize("module", PURE)
def test_core_module_imports_no_telegram_scheduler_or_store(module: str) -> None:
    code = (
        f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith({EDGES!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def test_config_validates_without_numpy_sumy_or_nltk() -> None:
    code = (
        "import sys, bot.config; bot.config.default_config(); "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('numpy', 'sumy', 'nltk')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def _imports(path: Path) -> set[str]:
    """The bot modules a file imports (at any depth of the file, TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("bot"))
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_bot_modules_import_no_cycle() -> None:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {
        name: {target for target in _imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }
    # A package's __init__ re-exports its own modules; that is no cycle.
    for name in graph:
        graph[name] = {
            t for t in graph[name] if not (t.startswith(name + ".") or name.startswith(t + "."))
        }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])

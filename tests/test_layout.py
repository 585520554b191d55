"""The layout's promises: the core is pure, the modules import no cycle, no module reaches
into another's private names, and one job has one path (article rows are written in one
place)."""

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


def test_composing_a_digest_needs_no_telegram_or_scheduler() -> None:
    code = (
        "import sys, bot.compose; "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('telegram', 'apscheduler')"
        " or m.startswith('bot.telegram')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


# -- private names ------------------------------------------------------------------------

# The one module allowed to use python-telegram-bot's private names (its docstring says
# which and why): everything PTB does not promise to keep, in one place.
PRIVATE_NAMES_ALLOWED = {PACKAGE / "telegram" / "ptb.py"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(source: str) -> list[tuple[int, str]]:
    """(line, what) for each private name a module's code reaches into: imported from
    another module (``from x import _y``, ``import x._y``), read off an object that is
    not ``self``, ``cls`` or ``super()`` (``obj._y``), or named in a ``getattr``-like
    call (``getattr(obj, "_y")``). Dunder names are public."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if any(_is_private(part) for part in module.split(".")):
                found.append((node.lineno, f"from {module} import ..."))
            found.extend(
                (node.lineno, f"from {module} import {alias.name}")
                for alias in node.names
                if _is_private(alias.name)
            )
        elif isinstance(node, ast.Import):
            found.extend(
                (node.lineno, f"import {alias.name}")
                for alias in node.names
                if any(_is_private(part) for part in alias.name.split("."))
            )
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and ast.unparse(owner.func) == "super":
                continue
            found.append((node.lineno, ast.unparse(node)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_private_names_check_sees_every_kind_of_reach() -> None:
    source = (
        "from bot.store.base import _lock\n"
        "import telegram._utils\n"
        "from telegram._utils import types\n"
        "x = store._transaction()\n"
        "y = getattr(info, '_is_text_encoding', True)\n"
        "self._db.execute('x'); cls._cache; super()._setup(); obj.__class__; obj.public\n"
    )
    assert sorted(line for line, _ in private_reaches(source)) == [1, 2, 3, 4, 5]


def test_no_module_reaches_into_another_modules_private_names() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in PRIVATE_NAMES_ALLOWED
        for line, what in private_reaches(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "use a public name (or add one to the owning module):\n" + "\n".join(found)


def test_only_ptb_reaches_into_python_telegram_bot_and_says_so() -> None:
    (ptb,) = PRIVATE_NAMES_ALLOWED
    text = ptb.read_text(encoding="utf-8")
    assert private_reaches(text), "ptb.py uses no private name any more: drop the exception"
    assert "tests/test_layout.py" in (ast.get_docstring(ast.parse(text)) or "")


# -- one path per job ----------------------------------------------------------------------


def _functions_with_sql(sql: str) -> list[str]:
    """module:function of every function whose string constants hold ``sql``."""
    found = []
    wanted = " ".join(sql.split()).casefold()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            texts = [
                " ".join(node.value.split()).casefold()
                for node in ast.walk(function)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            ]
            if any(wanted in text for text in texts):
                found.append(f"{_module_name(path)}:{function.name}")
    return found


def test_article_rows_are_written_by_one_function() -> None:
    writer = ["bot.store.articles:write_article"]
    assert _functions_with_sql("INSERT INTO articles") == writer
    assert _functions_with_sql("SET content_hash") == writer


def _calls(path: Path) -> set[str]:
    """The names a module calls (``f(...)`` and ``obj.f(...)``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                found.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                found.add(node.func.attr)
    return found


def test_a_chats_digest_is_composed_in_one_place() -> None:
    steps = {
        "unseen_articles",
        "unseen_numbers",
        "split_entries",
        "story_digest",
        "collapse",
        "digest_messages",
    }
    composing = {
        _module_name(path): sorted(steps & _calls(path))
        for path in sorted(PACKAGE.rglob("*.py"))
        if steps & _calls(path)
    }
    assert composing == {
        "bot.compose": [
            "collapse",
            "digest_messages",
            "split_entries",
            "story_digest",
            "unseen_numbers",
        ]
    }
    # Called, or handed to a worker thread (``common.db(compose_digest, ...)``).
    for caller in ("telegram/jobs.py", "telegram/handlers/commands.py", "commands/database.py"):
        tree = ast.parse((PACKAGE / caller).read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert "compose_digest" in names, caller

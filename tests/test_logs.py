"""Log lines (bot.logs): `[log] format = "json"` writes one JSON object per line, with
the token out of message and traceback alike; a bad format is one line naming the key."""

from __future__ import annotations

import ast
import io
import json
import logging
import re
from pathlib import Path

import pytest

from bot.config import config_from_dict
from bot.errors import ConfigError
from bot.logs import JsonFormatter
from bot.telegram.redaction import install_token_redaction

TOKEN = "424242:JSON-secret-token-never-logged"


def test_json_lines_parse_and_never_hold_the_token() -> None:
    install_token_redaction(TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("bot.test.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("GET https://api.telegram.org/bot%s/getMe\nsecond line", TOKEN)
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getUpdates")
        except ConnectionError:
            log.exception("polling failed: check [telegram] base_url")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    text = stream.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    lines = text.splitlines()
    assert len(lines) == 2  # a message's own newline stays inside its one line
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "bot.test.json"
    assert first["message"] == "GET https://api.telegram.org/bot<token>/getMe\nsecond line"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "polling failed: check [telegram] base_url"
    assert second["exception"].startswith("Traceback")
    assert "bot<token>/getUpdates" in second["exception"]


def test_log_format_is_text_by_default_and_json_when_asked() -> None:
    assert config_from_dict({}, base=Path(".")).log.format == "text"
    assert config_from_dict({"log": {"format": "json"}}, base=Path(".")).log.format == "json"


@pytest.mark.parametrize("value", ["xml", "JSON", 1])
def test_an_unknown_log_format_is_one_line_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"log": {"format": value}}, base=Path("."))
    message = str(caught.value)
    assert message.startswith('[log] format: expected "text" or "json", got ')
    assert "\n" not in message


ACTION = re.compile(
    r": [^:]*\b(check|report|nothing to do|set|update|upgrade|restart|restore|remove)\b[^:]*$"
)


def _warning_and_error_messages() -> list[tuple[str, str]]:
    """(where, format string) of every WARNING-or-worse log call in bot/."""
    found = []
    for path in sorted((Path(__file__).parent.parent / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"warning", "error", "exception", "critical"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "log"
            ):
                first = node.args[0] if node.args else None
                text = first.value if isinstance(first, ast.Constant) else repr(first)
                found.append((f"{path.name}:{node.lineno}", str(text)))
    return found


def test_every_warning_and_error_line_ends_with_what_to_do() -> None:
    messages = _warning_and_error_messages()
    assert len(messages) > 20  # the scan finds the calls
    assert [(where, text) for where, text in messages if not ACTION.search(text)] == []

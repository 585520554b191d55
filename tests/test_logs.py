"""Log lines (bot.logs): `[log] format = "json"` writes one JSON object per line, with
the token out of message and traceback alike; a bad format is one line naming the key."""

from __future__ import annotations

import io
import json
import logging
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

"""Reply texts and keyboards, checked as plain functions (no Bot API needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import default_config
from bot.store import ArticleRecord, Chat
from bot.telegram.replies import (
    COMMANDS,
    PAGE_SIZE,
    TOPIC_NOTE,
    echo,
    help_text,
    list_keyboard,
    next_digest_text,
    start_text,
    status_text,
    subscribed_text,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def chat(**changes: object) -> Chat:
    fields: dict[str, object] = {
        "chat_id": 1,
        "timezone": "Europe/Berlin",
        "digest_time": "08:30",
        "active": True,
        "deactivated_reason": None,
        "last_digest_key": None,
        "created_at": "t",
        "updated_at": "t",
    }
    fields.update(changes)
    return Chat(**fields)  # type: ignore[arg-type]


def record(number: int) -> ArticleRecord:
    return ArticleRecord(
        number=number,
        source=f"s{number}.txt",
        content_hash="h",
        title=f"Title {number}",
        date="2026-11-30",
        url=None,
        language="english",
        text="",
        summary=None,
        added_at="t",
    )


def test_echo_escapes_html_and_cuts_long_input() -> None:
    assert echo("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert echo("a" * 100).endswith("…")
    assert len(echo("a" * 100)) == 40


def test_help_lists_every_command_of_the_menu() -> None:
    text = help_text(default_config())
    for name, _ in COMMANDS:
        assert f"/{name}" in text


def test_start_text_welcomes_back_only_when_asked() -> None:
    config = default_config()
    assert "Welcome back" in start_text(config, welcome_back=True)
    assert "Welcome back" not in start_text(config, welcome_back=False)


def test_next_digest_is_shown_in_the_chats_timezone() -> None:
    assert next_digest_text(chat(), default_config(), NOW) == "Tue 1 Dec 2026, 08:30 CET"


def test_status_of_a_paused_chat_says_why_and_how_to_resume() -> None:
    text = status_text(chat(active=False, deactivated_reason="blocked"), 2, default_config(), NOW)
    assert "Deliveries are paused: blocked." in text
    assert "Articles waiting: 2 new articles" in text
    assert "Next digest" not in text


def test_a_forum_topics_subscription_says_its_digest_goes_to_that_topic() -> None:
    config = default_config()
    topic, group = chat(chat_id=-100, topic=5), chat(chat_id=-100)
    for text in (subscribed_text(topic, config, NOW), status_text(topic, 0, config, NOW)):
        assert TOPIC_NOTE in text
    for text in (subscribed_text(group, config, NOW), status_text(group, 0, config, NOW)):
        assert "topic" not in text
    assert TOPIC_NOTE == (
        "This digest goes to this forum topic; the group and its other topics have their own."
    )


def test_list_keyboard_has_a_button_per_article_and_page_turns() -> None:
    entries = [record(n) for n in range(1, PAGE_SIZE + 1)]
    keyboard = list_keyboard(entries, page=2, pages=3).inline_keyboard
    numbers = [button.callback_data for row in keyboard[:-1] for button in row]
    assert numbers == [f"art:{n}" for n in range(1, PAGE_SIZE + 1)]
    assert [button.callback_data for button in keyboard[-1]] == ["list:1", "list:3"]

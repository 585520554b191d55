"""The fake Bot API answers python-telegram-bot's real HTTP the way Telegram does."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.fakebotapi import EntityParseError, FakeBotAPI, Fault, parse_html, utf16_len


@pytest.fixture
async def bot(fake: FakeBotAPI):
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        yield bot


# -- HTML ----------------------------------------------------------------------


def test_parse_html_decodes_entities_and_reports_bold_spans():
    text, entities = parse_html("<b>&lt;b&gt;&quot;AT&amp;T&quot; &amp; Co</b> &#128512;!")
    assert text == '<b>"AT&T" & Co 😀!'
    assert entities == [{"type": "bold", "offset": 0, "length": 14}]


def test_parse_html_counts_offsets_in_utf16_units():
    text, entities = parse_html("😀 <i>x</i>")
    assert entities == [{"type": "italic", "offset": 3, "length": 1}]
    assert utf16_len(text) == 4


def test_parse_html_links_carry_their_url():
    _, entities = parse_html('<a href="https://e.com/?a=1&amp;b=2">t</a>')
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 1, "url": "https://e.com/?a=1&b=2"}
    ]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("<b>hi", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>hi</i>", 'Unmatched end tag at byte offset 5, expected "</b>", found "</i>"'),
        ("hi</b>", "Unexpected end tag at byte offset 2"),
        ("<b hi", "Unclosed start tag at byte offset 0"),
        ("AT&T", 'Unescaped "&" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ],
)
def test_parse_html_refuses_what_telegram_refuses(html, error):
    with pytest.raises(EntityParseError, match=error.replace("(", r"\(")):
        parse_html(html)


# -- methods over HTTP ----------------------------------------------------------


async def test_get_me_and_commands_round_trip(fake, bot):
    me = await bot.get_me()
    assert me.username == "digest_test_bot"
    await bot.set_my_commands([("start", "Welcome"), ("help", "How to use")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]


async def test_send_message_html_is_stored_as_the_user_sees_it(fake, bot):
    sent = await bot.send_message(5, "<b>&lt;b&gt; Hi</b>", parse_mode=ParseMode.HTML)
    assert sent.text == "<b> Hi"
    message = await fake.wait_for_message(5)
    assert message.bold() == ["<b> Hi"]
    assert message.html == "<b>&lt;b&gt; Hi</b>"


async def test_invalid_html_is_a_bad_request_that_names_the_problem(fake, bot):
    with pytest.raises(
        BadRequest, match='parse entities: unsupported start tag "p" at byte offset 0'
    ):
        await bot.send_message(5, "<p>hi</p>", parse_mode=ParseMode.HTML)
    assert fake.messages(5) == []


async def test_text_over_4096_utf16_units_is_too_long(fake, bot):
    await bot.send_message(5, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(5, "😀" * 2049)  # 4098 UTF-16 units, 2049 characters


async def test_empty_text_is_refused(fake, bot):
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(5, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_callback_data_over_64_bytes_is_refused(fake, bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(5, "hi", reply_markup=markup)


async def test_edit_with_the_same_content_is_not_modified(fake, bot):
    sent = await bot.send_message(5, "hi")
    await bot.edit_message_text("hello", chat_id=5, message_id=sent.message_id)
    assert fake.message(5, sent.message_id).text == "hello"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("hello", chat_id=5, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=5, message_id=999)


async def test_every_call_is_recorded_with_its_parameters(fake, bot):
    await bot.send_message(7, "hi", disable_notification=True)
    call = fake.calls_to("sendMessage")[-1]
    assert call.params["chat_id"] == 7
    assert call.params["disable_notification"] is True
    assert call.status == 200


async def test_wrong_token_is_unauthorized(fake):
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("1:wrong", base_url=fake.base_url):
            pass


# -- updates ----------------------------------------------------------------------


async def test_get_updates_long_polls_and_wakes_on_an_injected_update(fake, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    # The update is injected only once the long poll is waiting inside the server.
    await fake.wait_until(lambda: fake.polling, what="a waiting getUpdates")
    fake.send_command(42, "/article@digest_test_bot 3")
    updates = await asyncio.wait_for(poll, 5)
    assert len(updates) == 1
    message = updates[0].message
    assert message.text == "/article@digest_test_bot 3"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/article@digest_test_bot")


async def test_get_updates_honours_the_offset(fake, bot):
    for n in range(3):
        fake.send_text(1, f"m{n}")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["m0", "m1", "m2"]
    again = await bot.get_updates(offset=first[1].update_id + 1, timeout=0)
    assert [u.message.text for u in again] == ["m2"]
    assert fake.pending_updates == 1
    assert await bot.get_updates(offset=again[0].update_id + 1, timeout=0) == ()


async def test_callback_query_carries_the_message_and_needs_an_answer(fake, bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Next ▶", callback_data="page:2")]])
    sent = await bot.send_message(9, "page 1", reply_markup=markup)
    query_id = fake.click(9, sent.message_id, "Next")
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "page:2"
    assert update.callback_query.message.message_id == sent.message_id
    await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(AssertionError, match="no button"):
        fake.press(9, sent.message_id, "page:3")


async def test_get_updates_conflicts_with_an_active_webhook(fake, bot):
    await bot.set_webhook("https://example.com/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_injected_updates_are_posted_to_the_webhook_with_the_secret(fake, bot):
    received: list[tuple[dict, str | None]] = []
    from aiohttp import web

    async def hook(request):
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        fake.send_text(3, "hello")
        await fake.wait_until(lambda: len(received) == 1 and fake.pending_updates == 0)
        assert received[0][0]["message"]["text"] == "hello"
        assert received[0][1] == "s3cret"
    finally:
        await runner.cleanup()


# -- faults and limits ---------------------------------------------------------


async def test_scripted_faults_hit_one_chat_in_order_then_stop(fake, bot):
    fake.fail(5, Fault.flood(retry_after=3))
    fake.fail(5, Fault.blocked())
    fake.fail(6, Fault.chat_not_found())
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(5, "a")
    assert flood.value.retry_after.total_seconds() == 3
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(5, "a")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(6, "a")
    await bot.send_message(5, "a")
    await bot.send_message(7, "a")
    assert fake.stats.faults == 3
    assert fake.stats.sent == 2


async def test_a_permanent_fault_lasts_until_cleared(fake, bot):
    fake.fail(5, Fault.server_error(), times=None)
    for _ in range(3):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(5, "a")
    fake.clear_faults(5)
    await bot.send_message(5, "a")


async def test_a_delay_longer_than_the_client_timeout_still_delivers(fake, bot):
    fake.fail(5, Fault.delay_only(0.5))
    with pytest.raises(TimedOut):
        await bot.send_message(5, "late", read_timeout=0.1)
    message = await fake.wait_for_message(5, timeout=5)
    assert message.text == "late"


async def test_the_global_cap_answers_429_with_retry_after_and_counts(fake, bot):
    fake.cap = 3
    for n in range(3):
        await bot.send_message(n + 1, "ok")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(9, "too many")
    assert flood.value.retry_after.total_seconds() == 1
    assert fake.stats.sent == 3
    assert fake.stats.rejected_cap == 1
    assert fake.stats.peak_per_second == 3


async def test_stop_refuses_connections_and_start_listens_on_the_same_port(fake, bot):
    port = fake.port
    await fake.stop()
    with pytest.raises(NetworkError):
        await bot.send_message(1, "down")
    await fake.start()
    assert fake.port == port
    await bot.send_message(1, "up")
    assert [m.text for m in fake.messages(1)] == ["up"]


async def test_control_endpoints_serve_stats_and_faults(fake, bot):
    async with ClientSession() as http:
        async with http.post(
            f"http://127.0.0.1:{fake.port}/_fake/fault", json={"chat_id": 4, "kind": "blocked"}
        ) as response:
            assert response.status == 200
        with pytest.raises(Forbidden):
            await bot.send_message(4, "x")
        await bot.send_message(4, "y")
        async with http.get(f"http://127.0.0.1:{fake.port}/_fake/stats") as response:
            stats = await response.json()
    assert stats["sent"] == 1
    assert stats["faults"] == 1


# -- files --------------------------------------------------------------------


async def test_send_document_get_file_and_download_round_trip(fake):
    from telegram import InputFile

    base_file_url = f"http://127.0.0.1:{fake.port}/file/bot"
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=base_file_url) as bot:
        sent = await bot.send_document(
            5,
            InputFile(b"<opml/>", filename="a.opml"),
            caption="<b>two</b> feeds",
            parse_mode=ParseMode.HTML,
        )
        assert sent.caption == "two feeds" and sent.document.file_name == "a.opml"
        assert fake.last_message(5).document.content == b"<opml/>"
        file = await bot.get_file(sent.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"<opml/>"
        assert fake.downloads == [fake.last_message(5).document.file_path]
        # A user's document: its caption command is an entity; its file can be fetched.
        update = fake.send_document(6, b"hello", "h.txt", caption="/opml@bot now")
        message = update["message"]
        assert message["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 9}]
        theirs = await bot.get_file(message["document"]["file_id"])
        assert bytes(await theirs.download_as_bytearray()) == b"hello"
        with pytest.raises(BadRequest, match="Invalid file_id"):
            await bot.get_file("nope")
        with pytest.raises(BadRequest, match="Wrong file identifier"):
            await bot.send_document(5, "unknown-file-id")

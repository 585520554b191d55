"""Flood-control benchmark: a burst of replies, then the digests of the same chats.

    python -m bench.burst                       # 900 chats, cap 30 msg/s, 1 run
    python -m bench.burst --runs 3
    python -m bench.burst --flood 8             # the first 8 replies draw a 429 each

The fake Bot API runs in its own process (``--fake``, driven over stdin/stdout), with
Telegram's limits: at most ``--cap`` messages in any sliding second overall and at most
``--chat-cap`` messages to one chat in any sliding second (429 beyond either). The whole
bot (``bot.telegram.app.build_application``: handlers, store, rate limiter, outbox sender,
job queue) runs in this process with long polling, as ``digestbot run`` does, with
``max_messages_per_second = --cap``.

Each run uses fresh chats:

* **(a) the burst.** The fake queues ``/subscribe HH:MM`` from ``--chats`` chats at the
  same instant. Measured (by the fake's clock): every chat answered, 429s while
  answering, time until the last chat had its answer.
* **(b) the digests.** Right after the last answer, the slot's daily digest job is made
  due now (:func:`fire_digest_jobs`: the job the ``/subscribe`` handler scheduled is told
  to run at once, through the scheduler as at the real time). Measured from that due
  instant to the last chat's first digest message: achieved msg/s (the first digest
  message of every chat counted), 429s, chats without their digest (lost), digest
  messages sent more than once, outbox rows left.
* **(c) one chat flooded** (``--chat-replies``, 0 to skip): ``--chat-flooders`` chats each
  send that many ``/status`` at once; their replies are paced by the per-chat limit.
  Measured: per-chat 429s .

``--flood K`` scripts the fake to answer the first K messages of the burst with a 429
(``retry_after`` 1 s), as a clumped burst on a busy machine can draw them: the limiter
then widens its window margin, and (b) shows whether it recovered. The limiter's window
(1 + margin, seconds) is printed at the due instant and at the end.

The clock in a 2-core machine shared with other work moves the figures; say so with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import FakeProcess, bot_config, serve_fake, wait_each_chat_answered, write_seeds

SLOT_TIME = "07:00"  # the digest time every benchmark chat subscribes to (UTC)


# -- the fake, in its own process -------------------------------------------------------


async def fake_process(cap: float, chat_cap: int) -> None:
    from tests.fakebotapi import Fault

    def sends_since(fake: Any, start: int) -> list[Any]:
        return [c for c in fake.calls[start:] if c.method.lower() == "sendmessage"]

    def stats_delta(fake: Any, before: dict[str, Any]) -> dict[str, Any]:
        now = fake.stats.as_dict()
        keys = ("sent", "rejected_cap", "rejected_chat_cap", "faults")
        return {key: now[key] - before[key] for key in keys}

    async def handle(fake: Any, command: dict[str, Any]) -> dict[str, Any]:
        op = command["op"]
        if op == "flood":
            fake.fail(None, Fault.flood(1), times=command["times"])
            return {"ok": True}
        if op == "commands":
            # Every chat sends its command(s) at the same instant; wait for answers.
            chats = range(command["first"], command["first"] + command["count"])
            each = command.get("each", 1)
            before, start = fake.stats.as_dict(), len(fake.calls)
            t0 = time.monotonic()
            for _ in range(each):
                for chat in chats:
                    fake.send_command(chat, command["text"])
            wanted = set(chats)
            need = dict.fromkeys(chats, each)  # replies still awaited, per chat
            seen = [start]  # calls already looked at: each is looked at once

            def answered() -> bool:
                for call in fake.calls[seen[0] :]:
                    chat = call.params.get("chat_id")
                    ok = call.method.lower() == "sendmessage" and call.status == 200
                    if ok and need.get(chat, 0) > 0:
                        need[chat] -= 1
                        if need[chat] == 0:
                            del need[chat]
                seen[0] = len(fake.calls)
                return not need

            await fake.wait_until(answered, timeout=command.get("timeout", 300))
            sends = sends_since(fake, start)
            ok = [c for c in sends if c.status == 200 and c.params.get("chat_id") in wanted]
            return {
                "t0": t0,
                "last": max(c.time for c in ok),
                "answered": len({c.params.get("chat_id") for c in ok}),
                "replies": len(ok),
                **stats_delta(fake, before),
            }
        if op == "digests":
            # Wait for the first digest message of every chat, sent after `due`.
            chats = set(range(command["first"], command["first"] + command["count"]))
            due, start = command["due"], command["start_call"]
            before = command["stats_before"]
            await wait_each_chat_answered(fake, chats, start, command.get("timeout", 300))
            # Let the sender finish any further messages of a digest (none expected).
            await asyncio.sleep(command.get("settle", 1.0))
            sends = [c for c in sends_since(fake, start) if c.time >= due]
            ok = [c for c in sends if c.status == 200 and c.params.get("chat_id") in chats]
            first: dict[int, float] = {}
            for call in ok:
                first.setdefault(call.params["chat_id"], call.time)
            last_first = max(first.values())
            texts: dict[int, list[str]] = {}
            for call in ok:
                texts.setdefault(call.params["chat_id"], []).append(call.params["text"])
            duplicated = sum(len(t) - len(set(t)) for t in texts.values())
            return {
                "chats_with_digest": len(first),
                "first_messages_by_last": sum(1 for t in first.values() if t <= last_first),
                "messages": len(ok),
                "span": last_first - due,
                "first_after_due": min(first.values()) - due,
                "duplicated": duplicated,
                **stats_delta(fake, before),
            }
        if op == "mark":
            return {"start_call": len(fake.calls), "stats": fake.stats.as_dict()}
        return {"error": f"unknown op {op!r}"}

    await serve_fake(handle, collect=True, cap=cap, chat_cap=(chat_cap, 1.0))


# -- the bot, in this process -----------------------------------------------------------


def fire_digest_jobs(application: Any) -> int:
    """Make every scheduled daily digest job due now; returns how many.

    The one place that knows how the bot wires its digest job to the scheduler: the
    ``/subscribe`` handler gave the slot a daily job named ``digest HH:MM Zone`` in the
    application's job queue; APScheduler is told to run it now (``Job.modify``), so the
    job's own callback runs through PTB's job queue exactly as at the real time. Retarget
    here if the wiring moves (e.g. to ``bot.telegram.jobs``) and the job name changes.
    """
    job_queue = application.job_queue
    now = datetime.now(UTC)
    fired = 0
    for job in job_queue.jobs():
        if job.name and job.name.startswith("digest "):
            job.job.modify(next_run_time=now)
            fired += 1
    if not fired:
        raise SystemExit("no digest job scheduled: has the job's name changed?")
    return fired


def rate_limiter_window(application: Any) -> float:
    return 1.0 + application.bot.rate_limiter.limiter.current_margin()


async def one_run(
    args: argparse.Namespace, ask: Any, application: Any, first: int
) -> dict[str, Any]:
    from bot.telegram.app import runtime

    rt = runtime(application)
    if args.flood:
        await asyncio.to_thread(ask, {"op": "flood", "times": args.flood})
    burst = await asyncio.to_thread(
        ask,
        {"op": "commands", "first": first, "count": args.chats, "text": f"/subscribe {SLOT_TIME}"},
    )
    mark = await asyncio.to_thread(ask, {"op": "mark"})
    window_at_due = rate_limiter_window(application)
    due = time.monotonic()
    fire_digest_jobs(application)
    digests = await asyncio.to_thread(
        ask,
        {
            "op": "digests",
            "first": first,
            "count": args.chats,
            "due": due,
            "start_call": mark["start_call"],
            "stats_before": mark["stats"],
        },
    )
    await rt.sender.wait_idle(timeout=60)
    outbox_left = await asyncio.to_thread(rt.store.count_outbox)
    result = {
        "burst": burst,
        "digests": digests,
        "window_at_due": window_at_due,
        "window_after": rate_limiter_window(application),
        "outbox_left": outbox_left,
    }
    if args.chat_replies:
        flooders = await asyncio.to_thread(
            ask,
            {
                "op": "commands",
                "first": first + args.chats,
                "count": args.chat_flooders,
                "text": "/status",
                "each": args.chat_replies,
            },
        )
        result["flooders"] = flooders
    return result


async def bot_side(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application, prepare_process, running
    from bot.telegram.jobs import rescan_seeds

    fake = FakeProcess("bench.burst", "--cap", str(args.cap), "--chat-cap", str(args.chat_cap))
    tmp = Path(tempfile.mkdtemp(prefix="burst-"))
    write_seeds(tmp / "seeds", 3, title="the harbour and the council", paragraphs=0)
    config = bot_config(
        fake.hello,
        tmp,
        {"max_messages_per_second": args.cap},
        digest={"timezone": "UTC", "max_articles": 3},
    )
    application = build_application(config)
    prepare_process()

    results: list[dict[str, Any]] = []
    try:
        async with running(application, config):
            await rescan_seeds(application)
            for run in range(args.runs):
                first = 1 + run * (args.chats + args.chat_flooders)
                results.append(await one_run(args, fake.ask, application, first))
                await asyncio.sleep(2)  # let the sliding windows empty between runs
    finally:
        fake.close()

    cap, n = args.cap, args.chats
    print(
        f"{n} chats, cap {cap:g} msg/s overall and {args.chat_cap} per chat in any sliding"
        f" second (the fake's); --flood {args.flood}; {args.runs} run(s)"
    )
    for number, result in enumerate(results, 1):
        burst, digests = result["burst"], result["digests"]
        rate = digests["first_messages_by_last"] / digests["span"]
        print(f"run {number}:")
        print(
            f"  (a) /subscribe burst: {burst['answered']}/{n} answered, last after"
            f" {burst['last'] - burst['t0']:.1f} s; 429s: {burst['rejected_cap']} (cap) +"
            f" {burst['rejected_chat_cap']} (per chat) + {burst['faults']} (scripted)"
        )
        print(
            f"  (b) digests: {digests['chats_with_digest']}/{n} chats, last chat's first"
            f" message {digests['span']:.1f} s after due → {rate:.1f} msg/s"
            f" ({100 * rate / cap:.1f} % of the cap); first after"
            f" {1000 * digests['first_after_due']:.0f} ms; 429s: {digests['rejected_cap']} (cap)"
            f" + {digests['rejected_chat_cap']} (per chat); messages {digests['messages']},"
            f" duplicated {digests['duplicated']}, lost {n - digests['chats_with_digest']},"
            f" outbox left {result['outbox_left']}"
        )
        print(
            f"      limiter window at the due instant {result['window_at_due']:.3f} s,"
            f" after the digests {result['window_after']:.3f} s"
        )
        if "flooders" in result:
            flood = result["flooders"]
            print(
                f"  (c) {args.chat_flooders} chats x {args.chat_replies} /status at once:"
                f" {flood['replies']} replies in {flood['last'] - flood['t0']:.1f} s;"
                f" 429s: {flood['rejected_cap']} (cap) + {flood['rejected_chat_cap']}"
                " (per chat)"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=900)
    parser.add_argument("--cap", type=float, default=30.0, help="msgs per sliding second")
    parser.add_argument("--chat-cap", type=int, default=3, help="msgs per chat per second")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--flood", type=int, default=0, help="429s scripted in the burst")
    parser.add_argument("--chat-replies", type=int, default=8, help="(c): /status per chat")
    parser.add_argument("--chat-flooders", type=int, default=5, help="(c): chats")
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake:
        asyncio.run(fake_process(args.cap, args.chat_cap))
        return 0
    os.environ.setdefault("PYTHONHASHSEED", "0")
    return asyncio.run(bot_side(args))


if __name__ == "__main__":
    sys.exit(main())

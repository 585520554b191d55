"""Several ``digestbot run`` processes on one PostgreSQL database: the outbox fan-out.

    python -m bench.processes --database postgresql://postgres@127.0.0.1:5432/postgres \\
        --redis redis://127.0.0.1:6379/13 --processes 1 2 4 --chats 5000 --cap 1000

For each count N of ``--processes``: a new PostgreSQL database on the ``--database``
server (dropped after) holds 5 summarized articles and ``--chats`` subscribers of one
slot, whose digests are queued in the outbox beforehand (``queue_due_digests``, as the
slot's job does) and made due ``--start-after`` seconds later, so that every process has
started and the fan-out begins in all of them at the same moment. N real
``digestbot run`` processes (long polling, one config: ``[storage] url``,
``[cluster] redis_url`` with the Redis database of ``--redis``, its bot's keys deleted
first, ``[telegram] max_messages_per_second = --cap``) then send from the one outbox,
each claiming what it sends for a lease (docs/cluster.md). The leader also answers the
updates.

The fake Bot API runs in its own process (refusing with 429 beyond ``--cap`` in any
sliding second). While the digests go out, it sends ``/article 1`` from a new chat every
``--probe-every`` seconds; the leader's reply latency is timed from the getUpdates answer
that handed the update over to the reply's arrival (the fake's clock).

Printed per N: digests per second (first to last digest accepted by the fake), 429s,
duplicates (messages accepted beyond the outbox's count; 0 unless a process dies), the
outbox left, CPU seconds of each bot process over the whole run (start-up included) and
of the PostgreSQL backends serving the bot's database, CPU ms per digest, and the
/article probe's p50/p99/max; the load average is printed with each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    ROOT,
    FakeProcess,
    cpu_seconds,
    percentile,
    serve_fake,
    stamp_handed_out,
    store_target,
    write_seeds,
)

FIRST_CHAT = 5_000_000
FIRST_PROBE = 9_000_000

# -- the fake, in its own process -------------------------------------------------------


async def fake_process(cap: float) -> None:
    handed_out = stamp_handed_out()

    async def fan_out(fake: Any, command: dict[str, Any]) -> dict[str, Any]:
        first, count = command["first"], command["count"]
        chats = range(first, first + count)
        seen = [0]
        digests: list[float] = []
        replies: dict[int, float] = {}
        rejected = [0]
        missing = set(chats)
        handed_out.clear()  # a probe chat of an earlier run is a new chat now

        def look() -> None:
            calls = fake.calls
            for call in calls[seen[0] :]:
                if call.method.lower() != "sendmessage":
                    continue
                if call.status == 429:
                    rejected[0] += 1
                if call.status != 200:
                    continue
                chat = int(call.params.get("chat_id"))
                if chat >= FIRST_PROBE:
                    replies.setdefault(chat, call.time)
                elif chat in chats:
                    digests.append(call.time)
                    missing.discard(chat)
            seen[0] = len(calls)

        probes = 0
        deadline = time.monotonic() + command["timeout"]
        while missing and time.monotonic() < deadline:
            look()
            if digests:  # the fan-out has begun: ask for an article now and then
                fake.send_command(FIRST_PROBE + probes, "/article 1")
                probes += 1
            await asyncio.sleep(command["probe_every"])
        # The probes' replies.
        deadline = time.monotonic() + 30
        while len(replies) < probes and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            look()
        latencies = [
            1000 * (replies[chat] - handed_out[chat])
            for chat in range(FIRST_PROBE, FIRST_PROBE + probes)
            if chat in replies and chat in handed_out
        ]
        span = digests[-1] - digests[0] if len(digests) > 1 else 0.0
        fake.calls.clear()  # the next run starts afresh
        seen[0] = 0
        return {
            "sent": len(digests),
            "missing": len(missing),
            "span": span,
            "rejected": rejected[0],
            "probes": probes,
            "answered": len(latencies),
            "latencies": latencies,
        }

    await serve_fake(fan_out, cap=cap)


# -- the parent ---------------------------------------------------------------------------


def prepare(url: str, seeds: Path, chats: int, due_at: float) -> tuple[str, int]:
    """Articles, subscribers of one slot twelve hours away (no run of the bot's own
    schedule comes near), their digests queued and due at ``due_at`` (epoch seconds).
    Returns the slot and the messages queued."""
    import psycopg

    from bot.catalog import sync
    from bot.schedule import Slot
    from bot.store import Store
    from bot.telegram.jobs import queue_due_digests

    moment = datetime.now(UTC) + timedelta(hours=12)
    slot = moment.strftime("%H:%M")
    with Store(url) as store:
        sync(store, seeds)
        store.subscribe_many((FIRST_CHAT + i, slot, "UTC") for i in range(chats))
        when = moment.replace(second=0, microsecond=0)
        report = queue_due_digests(
            store, Slot(slot, "UTC"), when, default_timezone="UTC", max_articles=10
        )
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE outbox SET next_attempt_at = %s", (due_at,))
    return slot, report.messages


def clear_redis(url: str, token: str) -> None:
    from redis import Redis

    client = Redis.from_url(url)
    keys = list(client.scan_iter(f"digestbot:{token.split(':')[0]}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def backends_cpu(url: str) -> float:
    """CPU seconds so far of the PostgreSQL backends connected to ``url``'s database (this
    machine's /proc: the server runs here)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        pids = [
            row[0]
            for row in db.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid != pg_backend_pid()"
            )
        ]
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(pid)
    return total


def outbox_left(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute("SELECT count(*) FROM outbox").fetchone()
    return int(row[0]) if row else -1


def wait_log(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


def run_once(args: argparse.Namespace, fake: FakeProcess, count: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"processes-{count}-"))
    write_seeds(tmp / "seeds", 5)
    token = fake.hello["token"]
    clear_redis(args.redis, token)
    with store_target(args.database, f"digestbot_bench_processes_{count}", tmp) as url:
        due_at = time.time() + 3600  # made due once the processes are up (below)
        _, queued = prepare(url, tmp / "seeds", args.chats, due_at)
        due_at = time.time() + args.start_after
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute("UPDATE outbox SET next_attempt_at = %s", (due_at,))
        config = tmp / "config.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{fake.hello["base_url"]}"\n'
            f"max_messages_per_second = {args.cap}\n\n"
            f'[seeds]\ndir = "{tmp / "seeds"}"\nrescan_seconds = 3600\n\n'
            f'[storage]\nurl = "{url}"\n\n'
            f'[cluster]\nredis_url = "{args.redis}"\n'
        )
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "PYTHONPATH": str(ROOT)}
        procs: list[subprocess.Popen[bytes]] = []
        logs = [tmp / f"bot-{n}.log" for n in range(count)]
        try:
            for log in logs:
                with log.open("wb") as out:
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "bot", "run", "--config", str(config)],
                            env=env,
                            cwd=tmp,
                            stdout=out,
                            stderr=out,
                        )
                    )
            ready = all(wait_log(log, "ready", max(1.0, due_at - time.time())) for log in logs)
            late = time.time() - due_at
            answer = fake.ask(
                {
                    "first": FIRST_CHAT,
                    "count": args.chats,
                    "probe_every": args.probe_every,
                    "timeout": args.timeout,
                }
            )
            # Let the last marks commit before reading the outbox.
            time.sleep(1.0)
            cpu = [cpu_seconds(proc.pid) for proc in procs]
            backends = backends_cpu(url)
            left = outbox_left(url)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return {
        "processes": count,
        "queued": queued,
        "all_ready_in_time": ready and late <= 0,
        "cpu": cpu,
        "backends_cpu": backends,
        "left": left,
        "load": os.getloadavg()[0],
        **answer,
    }


def report(result: dict[str, Any]) -> str:
    sent, span = result["sent"], result["span"]
    rate = (sent - 1) / span if span else 0.0
    cpu = result["cpu"]
    latencies = result["latencies"]
    probe = (
        f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms,"
        f" max {max(latencies):.0f} ms"
        if latencies
        else "n/a"
    )
    lines = [
        f"{result['processes']} process(es): {sent} digests of {result['queued']} queued in"
        f" {span:.1f} s: {rate:.0f} digests/s; 429s {result['rejected']};"
        f" duplicates {sent - (result['queued'] - result['left'])};"
        f" chats without a digest {result['missing']}; outbox left {result['left']}"
        + ("" if result["all_ready_in_time"] else " (NOT all started before the due time)"),
        f"  CPU s per bot process (start-up included): {', '.join(f'{c:.1f}' for c in cpu)};"
        f" total {sum(cpu):.1f} s = {1000 * sum(cpu) / max(1, sent):.2f} ms/digest;"
        f" PostgreSQL backends {result['backends_cpu']:.1f} s"
        f" = {1000 * result['backends_cpu'] / max(1, sent):.2f} ms/digest",
        f"  /article during the fan-out ({result['answered']} of {result['probes']} answered),"
        f" from update handed over to reply: {probe}",
        f"  load average: {result['load']:.2f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        metavar="URL",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server (a new database is made on it for each run)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="Redis URL")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--chats", type=int, default=5000, help="subscribers of the slot")
    parser.add_argument("--cap", type=float, default=1000, help="messages a second")
    parser.add_argument("--start-after", type=float, default=40, help="seconds to start up")
    parser.add_argument("--probe-every", type=float, default=0.1, help="seconds")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a run may take")
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake:
        asyncio.run(fake_process(args.cap))
        return 0
    fake = FakeProcess("bench.processes", "--cap", str(args.cap))
    try:
        for count in args.processes:
            print(report(run_once(args, fake, count)), flush=True)
    finally:
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Languages benchmark: what speaking each chat's language costs.

Usage::

    python -m bench.languages                      # 1,000, 10,000 and 100,000 chats
    python -m bench.languages --chats 5000 50000 --lookups 5000

Prints, each as one line:

* loading a language's catalog (read the ``.po``, compile it in memory), once per
  language and process;
* one translated text (``t("…", name=…)``) and one plural, per call;
* for each size of ``--chats`` chats with a language (a fresh SQLite file each): the
  language read before every update (``Store.chat_language``, a primary-key lookup),
  median and 99th percentile, and a digest run's read for a page of 1,000 subscribers
  (``Store.chat_languages``: one primary-key search per id), first and again.

Figures depend on the machine and its load; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot import locales
from bot.store import Store

PAGE = 1000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def catalog_loads() -> None:
    for code in locales.LANGUAGES:
        if code == locales.DEFAULT:
            continue
        started = time.perf_counter()
        locales.Translator.from_catalog(locales.catalog(code), code)
        seconds = time.perf_counter() - started
        print(f"catalog {code}: loaded and compiled in {seconds * 1000:.1f} ms")


def text_calls(calls: int) -> None:
    t = locales.translator("de")
    started = time.perf_counter()
    for _ in range(calls):
        t("Timezone set to <b>{timezone}</b>.", timezone="Europe/Berlin")
    per_text = (time.perf_counter() - started) / calls
    started = time.perf_counter()
    for n in range(calls):
        t.plural("{count} story", "{count} stories", n % 20)
    per_plural = (time.perf_counter() - started) / calls
    print(
        f"one text: {per_text * 1e6:.2f} µs; "
        f"one plural (number formatted): {per_plural * 1e6:.2f} µs"
    )


def store_reads(chats: int, lookups: int, folder: Path) -> None:
    rng = random.Random(chats)
    codes = list(locales.LANGUAGES)
    with Store(folder / f"languages-{chats}.db") as store:
        with store.transaction() as db:
            db.executemany(
                "INSERT INTO chat_languages (chat_id, language, updated_at) VALUES (?, ?, ?)",
                [(chat_id, rng.choice(codes), "2026-12-07T00:00:00Z") for chat_id in range(chats)],
            )
        times = []
        for _ in range(lookups):
            chat_id = rng.randrange(chats * 2)  # half of them have no row yet
            started = time.perf_counter()
            store.chat_language(chat_id)
            times.append(time.perf_counter() - started)
        page = [rng.randrange(chats) for _ in range(PAGE)]
        started = time.perf_counter()
        found = store.chat_languages(page)
        page_seconds = time.perf_counter() - started
        started = time.perf_counter()
        store.chat_languages(page)  # the same pages again, now in SQLite's cache
        warm_seconds = time.perf_counter() - started
    print(
        f"{chats:,} chats: chat_language median {statistics.median(times) * 1e6:.1f} µs, "
        f"p99 {_percentile(times, 0.99) * 1e6:.1f} µs ({lookups:,} lookups); "
        f"chat_languages for {PAGE:,} subscribers: {page_seconds * 1000:.2f} ms, "
        f"again {warm_seconds * 1000:.2f} ms ({len(found):,} found)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    catalog_loads()
    text_calls(args.calls)
    with tempfile.TemporaryDirectory() as folder:
        for chats in args.chats:
            store_reads(chats, args.lookups, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())

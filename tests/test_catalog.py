"""Tests for bot.catalog: syncing the seeds folder into the store, and how often a
skipped seed file is warned about when the folder is synced again and again."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.catalog import sync
from bot.store import Store
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import rescan_seeds
from tests.conftest import write_article
from tests.fakebotapi import FakeBotAPI

SKIPS = {
    "copy.md": "same content as a.md",
    "empty.txt": "empty file",
    "nav.txt": "no article text",
}


def fill(seeds: Path) -> None:
    """One article and three files that are not articles."""
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    (seeds / "copy.md").write_bytes((seeds / "a.md").read_bytes())
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "nav.txt").write_text("Home | World | Sport\n\nMenu\n", encoding="utf-8")


def skip_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.articles" and r.levelno == logging.WARNING
    ]


def test_sync_with_a_reported_set_warns_about_each_skipped_file_once(
    tmp_path: Path, seeds: Path, caplog: pytest.LogCaptureFixture, shared_store_target: str
) -> None:
    fill(seeds)
    reported: set[tuple[str, str]] = set()
    with Store(shared_store_target) as store, caplog.at_level(logging.WARNING):
        first = sync(store, seeds, summaries=False, reported=reported)
        second = sync(store, seeds, summaries=False, reported=reported)
    assert sorted(skip_warnings(caplog)) == [f"skipped {s}: {r}" for s, r in sorted(SKIPS.items())]
    # The report still lists every skipped file, every time.
    assert [s.source for s in first.skipped] == [s.source for s in second.skipped] == sorted(SKIPS)
    assert reported == set(SKIPS.items())


def test_sync_without_a_reported_set_warns_every_time(
    tmp_path: Path, seeds: Path, caplog: pytest.LogCaptureFixture, shared_store_target: str
) -> None:
    fill(seeds)
    with Store(shared_store_target) as store, caplog.at_level(logging.WARNING):
        sync(store, seeds, summaries=False)
        sync(store, seeds, summaries=False)
    assert len(skip_warnings(caplog)) == 2 * len(SKIPS)


async def test_the_running_bot_warns_once_per_skipped_file_over_two_rescans(
    fake: FakeBotAPI, bot_config, seeds: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fill(seeds)
    config = bot_config()
    application = build_application(config)
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        async with running(application, config):
            await rescan_seeds(application)
            await rescan_seeds(application)
            assert runtime(application).reported_skips == set(SKIPS.items())
    # Start-up also schedules a first scan of its own: however many scans ran,
    # each skipped file was warned about exactly once.
    assert sorted(skip_warnings(caplog)) == [f"skipped {s}: {r}" for s, r in sorted(SKIPS.items())]


def add_latin1_named_file(seeds: Path) -> None:
    """``caf\\xe9.txt`` (a Latin-1 é in the name); skips where the file system refuses it."""
    raw = os.path.join(os.fsencode(seeds), b"caf\xe9.txt")
    try:
        with open(raw, "wb") as handle:
            handle.write(b"Cafe reopens\n\nThe cafe reopened on Monday after the storm.\n")
    except OSError:
        pytest.skip("this file system only takes UTF-8 file names")


def test_sync_stores_a_file_whose_name_is_not_utf8_and_keeps_it_on_rescan(
    tmp_path: Path, seeds: Path, shared_store_target: str
) -> None:
    add_latin1_named_file(seeds)
    write_article(seeds, "a.md", "Harbour reopens after storm", date="2024-05-01")
    with Store(shared_store_target) as store:
        first = sync(store, seeds)
        second = sync(store, seeds)
        assert store.visible_sources() == {"caf\\xe9.txt", "a.md"}
    assert (first.added, first.summarized, first.skipped) == (2, 2, [])
    assert (second.unchanged, second.retired) == (2, 0)


async def test_the_running_bot_rescans_past_a_name_that_is_not_utf8_and_an_outside_symlink(
    tmp_path: Path, fake: FakeBotAPI, bot_config, seeds: Path, caplog: pytest.LogCaptureFixture
) -> None:
    add_latin1_named_file(seeds)
    private = tmp_path / "private.txt"
    private.write_text("Private notes\n\nNot for publishing at all.\n", encoding="utf-8")
    (seeds / "link.txt").symlink_to(private)
    config = bot_config()
    application = build_application(config)
    with caplog.at_level(logging.WARNING, logger="bot.articles"):
        async with running(application, config):
            await rescan_seeds(application)
            await rescan_seeds(application)
            sources = runtime(application).store.visible_sources()
    assert sources == {"caf\\xe9.txt"}
    assert sorted(skip_warnings(caplog)) == [
        "caf\\xe9.txt: file name is not valid UTF-8 "
        "(read under this name; rename the file to UTF-8)",
        "skipped link.txt: symlink to a file outside the seeds folder: not followed",
    ]

"""One story once, end to end: the same story from two feeds is one
digest item with "Also:" links, delivering it delivers both, ``/article N`` of either
shows the group, and a story that only shares a word stays apart.

Real HTTP all the way: the fake Bot API and the loopback news site (both 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from bot.config import FeedConfig
from bot.store.stories import StoryStore
from bot.telegram.app import build_application, running, runtime
from bot.telegram.jobs import regroup_stories, rescan_seeds
from tests.conftest import say, write_article
from tests.feedkit import Item, long_text, rss
from tests.newssite import NewsSite

USER = 7102
OTHER = 7103
RSS_TYPE = "application/rss+xml"
WORLD_STORM = "Storm Ciara floods harbour town of Kingsbridge"
DAILY_STORM = "Kingsbridge harbour flooded as Storm Ciara hits coast"
BUDGET = "Council approves harbour tram budget after long debate"
LATE_STORM = "Storm Ciara: Kingsbridge harbour clean-up begins"


def item(path: str, title: str, hours_ago: float) -> Item:
    # Dated relative to now: the stories are grouped over the last 72 hours.
    when = datetime.now(UTC) - timedelta(hours=hours_ago)
    return Item(
        guid=path,
        link=f"http://127.0.0.1/{path}",
        title=title,
        text=long_text(4, title),
        date=format_datetime(when, usegmt=True),
    )


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as news:
        world = [item("world/storm", WORLD_STORM, 5), item("world/budget", BUDGET, 4)]
        news.feeds["/world.xml"] = (rss(world, title="World Wire"), RSS_TYPE)
        daily = [item("daily/storm", DAILY_STORM, 3)]
        news.feeds["/daily.xml"] = (rss(daily, title="Daily Courier"), RSS_TYPE)
        yield news


@pytest.fixture
def make_config(bot_config: Any, site: NewsSite) -> Any:
    def make() -> Any:
        config = bot_config(
            fetch=site.fetch_keys(),
        )
        feeds = (FeedConfig(site.url("/world.xml")), FeedConfig(site.url("/daily.xml")))
        return replace(config, feeds=feeds)

    return make


async def poll_and_group(application: Any) -> None:
    rt = runtime(application)
    await rt.poller.poll_many(rt.feeds.feeds())
    await regroup_stories(rt)


def numbers_by_title(application: Any) -> dict[str, int]:
    return {a.title: a.number for a in runtime(application).store.list_articles(0, 100)}


async def test_two_feeds_with_one_story_give_one_digest_item_with_also(fake, make_config) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_and_group(application)
        numbers = numbers_by_title(application)
        digest = await say(fake, USER, "/digest")
        text = digest.text
        assert "2 stories" in text.splitlines()[0]
        # The story once: one of its titles, the other feed named in the Also line.
        shown = [t for t in (WORLD_STORM, DAILY_STORM) if t in text]
        assert len(shown) == 1
        also = [line for line in text.splitlines() if line.startswith("Also: ")]
        other_source = "Daily Courier" if shown == [WORLD_STORM] else "World Wire"
        other_path = "daily/storm" if shown == [WORLD_STORM] else "world/storm"
        assert also == [f"Also: {other_source}"]
        assert f"http://127.0.0.1/{other_path}" in digest.links()
        # A story sharing the word "harbour" stays a story of its own, without Also.
        assert BUDGET in text and text.count("Also:") == 1
        # Delivered: both members, so neither comes again on its own (updates are
        # handled one after the other: the first /digest recorded its deliveries).
        again = await say(fake, USER, "/digest")
        assert again.text.startswith("Nothing new")
        members = {numbers[WORLD_STORM], numbers[DAILY_STORM]}
        assert members <= runtime(application).store.delivered(USER)


async def test_article_of_any_member_shows_the_group(fake, make_config) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_and_group(application)
        numbers = numbers_by_title(application)
        world = await say(fake, USER, f"/article {numbers[WORLD_STORM]}")
        assert "Also: Daily Courier" in world.text.splitlines()
        assert "http://127.0.0.1/daily/storm" in world.links()
        daily = await say(fake, USER, f"/article {numbers[DAILY_STORM]}")
        assert "Also: World Wire" in daily.text.splitlines()
        budget = await say(fake, USER, f"/article {numbers[BUDGET]}")
        assert "Also:" not in budget.text


async def test_a_chat_without_one_source_still_gets_the_story(fake, make_config) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_and_group(application)
        rt = runtime(application)
        world = next(f for f in rt.feeds.feeds() if f.label == "World Wire")
        rt.feeds.toggle_source(USER, world.id)
        digest = await say(fake, USER, "/digest")
        assert DAILY_STORM in digest.text and WORLD_STORM not in digest.text
        assert "Also:" not in digest.text and "1 story" in digest.text.splitlines()[0]
        # Another chat with every source gets the story once, with its Also line.
        other = await say(fake, OTHER, "/digest")
        assert other.text.count("Also:") == 1


async def test_a_later_article_of_a_delivered_story_is_not_sent_again(
    fake, make_config, site
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_and_group(application)
        await say(fake, USER, "/digest")
        world = [
            item("world/storm", WORLD_STORM, 5),
            item("world/budget", BUDGET, 4),
            item("world/cleanup", LATE_STORM, 1),
        ]
        site.feeds["/world.xml"] = (rss(world, title="World Wire"), RSS_TYPE)
        await poll_and_group(application)
        numbers = numbers_by_title(application)
        rt = runtime(application)
        assert rt.store.get_article(numbers[LATE_STORM]) is not None
        # The clean-up article joined the story the chat already had: not sent again,
        # but recorded (it does not wait for the chat forever)...
        again = await say(fake, USER, "/digest")
        assert again.text.startswith("Nothing new")
        await say(fake, USER, "/digest")  # the one before has recorded what it skipped
        assert numbers[LATE_STORM] in rt.store.delivered(USER)
        # ... while a chat that had nothing yet gets all three as one story.
        other = await say(fake, OTHER, "/digest")
        assert "2 stories" in other.text.splitlines()[0]
        [also] = [line for line in other.text.splitlines() if line.startswith("Also: ")]
        assert also.count(",") == 1


async def test_seed_files_of_one_story_are_grouped_by_the_rescan(fake, bot_config, seeds) -> None:
    write_article(seeds, "a.md", WORLD_STORM, date="2026-11-30", url="https://a.example/storm")
    write_article(seeds, "b.md", DAILY_STORM, date="2026-11-30", url="https://b.example/storm")
    write_article(seeds, "c.md", "Solar farm opens in the valley", date="2026-11-30")
    config = bot_config()
    application = build_application(config)
    async with running(application, config):
        await rescan_seeds(application)  # groups what it read, no separate call
        digest = await say(fake, USER, "/digest")
        assert "2 stories" in digest.text.splitlines()[0]
        [also] = [line for line in digest.text.splitlines() if line.startswith("Also: ")]
        # Seed files have no source name: the Also line names the link's host.
        assert also in ("Also: a.example", "Also: b.example")


async def test_the_scheduled_digest_shows_the_story_once_and_delivers_both(
    fake, make_config
) -> None:
    config = make_config()
    application = build_application(config)
    async with running(application, config):
        await poll_and_group(application)
        numbers = numbers_by_title(application)
        at = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")
        await say(fake, USER, "/start")
        await say(fake, USER, f"/subscribe {at}")
        before = len(fake.messages(USER))
        (job,) = application.job_queue.get_jobs_by_name(f"digest {at} UTC")
        await job.run(application)
        rt = runtime(application)
        await rt.sender.wait_idle(timeout=5)
        [digest] = fake.messages(USER)[before:]
        assert "2 stories" in digest.text.splitlines()[0]
        assert digest.text.count("Also:") == 1 and BUDGET in digest.text
        assert set(numbers.values()) <= rt.store.delivered(USER)
        again = await say(fake, USER, "/digest")
        assert again.text.startswith("Nothing new")


async def test_the_feed_tick_groups_articles_any_poll_added_and_then_skips(
    fake, make_config
) -> None:
    from bot.telegram import jobs

    config = make_config()
    application = build_application(config)
    async with running(application, config):
        rt = runtime(application)
        # The test drives the ticks itself: the real job (first tick 1 s after start)
        # would group the articles before the first check on a slow run.
        for job in application.job_queue.get_jobs_by_name("poll feeds"):
            job.schedule_removal()
        await rt.poller.poll_many(rt.feeds.feeds())  # like /addfeed's own poll: no grouping
        assert StoryStore(rt.store).story_ids(numbers_by_title(application).values()) == {}
        # The next tick of the feed job finds nothing due but groups what changed.
        await jobs._poll_feeds_logged(rt)
        numbers = numbers_by_title(application)
        story = min(numbers[WORLD_STORM], numbers[DAILY_STORM])
        assert set(StoryStore(rt.store).story_ids(numbers.values()).values()) == {story}
        # One more grouping confirms nothing changed; after it, ticks skip at once.
        await jobs._poll_feeds_logged(rt)
        assert rt.stories_version == rt.store.articles_version()

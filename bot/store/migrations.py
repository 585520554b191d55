"""The database's schema history: every migration, in order, each with a name.

:data:`MIGRATIONS` is append-only: never edit a step that has shipped; add a new
one. ``PRAGMA user_version`` records how many steps a database has had, and
:class:`bot.store.Store` applies the missing ones when it opens a database, each
in its own transaction (an old database at any version upgrades step by step).

The schema these steps produce is written down in ``bot/store/schema.sql`` (what
``sqlite_master`` holds for a fresh database), so nobody has to replay the steps
to see a table. ``tests/test_schema.py`` checks that file against a fresh
database; after adding a migration, regenerate it with::

    python -m bot.store.migrations --write
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BASELINE_VERSION",
    "MIGRATIONS",
    "POSTGRESQL_BASELINE",
    "SCHEMA_FILE",
    "Migration",
    "add_functions",
    "body_hash",
    "dump_schema",
    "fresh_schema",
]

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
# PostgreSQL: a new database starts at BASELINE_VERSION with this schema (the one the
# first BASELINE_VERSION steps give SQLite, in PostgreSQL's spelling); every later step
# carries its PostgreSQL spelling (Migration.postgresql).
POSTGRESQL_BASELINE = Path(__file__).with_name("schema_postgresql.sql")
BASELINE_VERSION = 22


@dataclass(frozen=True, slots=True)
class Migration:
    """Schema step ``version`` (1-based: the user_version a database has after it)."""

    version: int
    name: str
    sql: str
    # The same step on PostgreSQL (required after BASELINE_VERSION; one script).
    postgresql: str | None = None

    def statements(self) -> list[str]:
        """The SQL statements of the step, split where SQLite says one is complete
        (``executescript`` would commit the store's transaction, so they run one by one)."""
        statements, current = [], ""
        for line in self.sql.splitlines(keepends=True):
            current += line
            if sqlite3.complete_statement(current):
                statements.append(current.strip())
                current = ""
        if current.strip():
            raise ValueError(
                f"incomplete SQL statement in migration {self.version} ({self.name}):"
                f" {current.strip()[:80]}"
            )
        return statements


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "chats, articles with summaries, deliveries",
        """
        CREATE TABLE chats (
            chat_id            INTEGER PRIMARY KEY,
            timezone           TEXT,
            digest_time        TEXT,
            active             INTEGER NOT NULL DEFAULT 1,
            deactivated_reason TEXT,
            last_digest_key    TEXT,
            created_at         TEXT NOT NULL,
            updated_at         TEXT NOT NULL
        );
        CREATE INDEX chats_subscribed ON chats (digest_time, timezone)
            WHERE active = 1 AND digest_time IS NOT NULL;

        -- AUTOINCREMENT so that a number, once shown to users, is never reused.
        CREATE TABLE articles (
            number       INTEGER PRIMARY KEY AUTOINCREMENT,
            source       TEXT NOT NULL UNIQUE,
            content_hash TEXT NOT NULL,
            title        TEXT NOT NULL,
            date         TEXT,
            url          TEXT,
            language     TEXT NOT NULL,
            text         TEXT NOT NULL,
            summary      TEXT,
            added_at     TEXT NOT NULL,
            retired_at   TEXT
        );
        CREATE INDEX articles_newest ON articles (date DESC, added_at DESC, number DESC);

        CREATE TABLE deliveries (
            chat_id      INTEGER NOT NULL,
            number       INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
            delivered_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, number)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        2,
        "the outbox of scheduled digest messages",
        """
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id         INTEGER NOT NULL,
            run_key         TEXT NOT NULL,
            text            TEXT NOT NULL,
            article_numbers TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error      TEXT,
            created_at      TEXT NOT NULL
        );
        CREATE INDEX outbox_chat ON outbox (chat_id, id);
        """,
    ),
    Migration(
        3,
        "chats.subscribed_at: a digest due before the chat (re)subscribed was never missed",
        """
        ALTER TABLE chats ADD COLUMN subscribed_at TEXT;
        """,
    ),
    Migration(
        4,
        "chats_slot: a slot's chats read in pages by chat id, without sorting the slot",
        """
        DROP INDEX chats_subscribed;
        CREATE INDEX chats_slot ON chats (digest_time, chat_id)
            WHERE active = 1 AND digest_time IS NOT NULL;
        """,
    ),
    Migration(
        5,
        "article_changes: a counter every change to the articles moves (articles_version)",
        # So the bot can keep the /article N replies it composed until an article
        # changes, even when another process (digestbot ingest) made the change.
        """
        CREATE TABLE article_changes (n INTEGER NOT NULL);
        INSERT INTO article_changes (n) VALUES (0);
        CREATE TRIGGER articles_inserted AFTER INSERT ON articles BEGIN
            UPDATE article_changes SET n = n + 1;
        END;
        CREATE TRIGGER articles_updated AFTER UPDATE ON articles BEGIN
            UPDATE article_changes SET n = n + 1;
        END;
        CREATE TRIGGER articles_deleted AFTER DELETE ON articles BEGIN
            UPDATE article_changes SET n = n + 1;
        END;
        """,
    ),
    Migration(
        6,
        "pruned_deliveries: per chat, articles added before this time count as delivered",
        # Store.prune deletes a chat's old deliveries and records here that every
        # article the store had before the cutoff counts as seen by that chat, so
        # an article is never sent to a chat twice after its delivery row is gone.
        """
        CREATE TABLE pruned_deliveries (
            chat_id      INTEGER PRIMARY KEY,
            added_before TEXT NOT NULL
        );
        """,
    ),
    Migration(
        7,
        "articles.title_folded: the casefolded title, so title searches run in SQLite's C",
        # Searching with a Python casefold() per row held the GIL (and the store) for
        # 70-320 ms over 20,000 titles. Filled by Store on upsert and, for rows from
        # before this step, once when the store opens.
        """
        ALTER TABLE articles ADD COLUMN title_folded TEXT;
        """,
    ),
    Migration(
        8,
        "subscriptions: up to four times a day per chat on chosen days, in a forum topic",
        # One row per (chat, time): a slot's job reads its chats through
        # subscriptions_slot, and last_run_key makes each time's run "never twice" on
        # its own. chats.digest_time stays the chat's first time (NULL: not subscribed);
        # chats.days is a mask of Python weekdays (bit 1 << weekday, Monday = 0);
        # chats.thread_id the forum topic digests go to, copied into each outbox row.
        # Existing subscriptions become daily at their time, their last run kept.
        """
        CREATE TABLE subscriptions (
            chat_id      INTEGER NOT NULL,
            digest_time  TEXT NOT NULL,
            last_run_key TEXT,
            PRIMARY KEY (chat_id, digest_time)
        ) WITHOUT ROWID;
        CREATE INDEX subscriptions_slot ON subscriptions (digest_time, chat_id);
        INSERT INTO subscriptions (chat_id, digest_time, last_run_key)
            SELECT chat_id, digest_time, last_digest_key FROM chats
            WHERE digest_time IS NOT NULL;
        ALTER TABLE chats ADD COLUMN days INTEGER NOT NULL DEFAULT 127;
        ALTER TABLE chats ADD COLUMN thread_id INTEGER;
        ALTER TABLE outbox ADD COLUMN message_thread_id INTEGER;
        DROP INDEX chats_slot;
        """,
    ),
    Migration(
        9,
        "chat_filters: each chat's /filter terms; deliveries.held_back: held back by them",
        # A term is keyed by its folded words (bot.filters.Term.key), so "Football" and
        # "football" are one term; terms are listed in rowid order, the order they were
        # added. An article a chat's filters hold back is recorded as a delivery with
        # held_back = 1: done for that chat (never matched again, pruned and moved with
        # the chat's deliveries), and counted by /status.
        """
        CREATE TABLE chat_filters (
            chat_id  INTEGER NOT NULL,
            term_key TEXT NOT NULL,
            mode     TEXT NOT NULL CHECK (mode IN ('+', '-')),
            term     TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, term_key)
        );
        ALTER TABLE deliveries ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        10,
        "feeds, feed articles (feed_id, published_at), entry keys with fingerprints, "
        "sources a chat turned off",
        # entry_keys.number is not a foreign key: a key outlives its article (pruned
        # after [sources] keep_days) so a feed that still lists the entry does not bring
        # it back. chat_sources_off.feed_id 0 is the seeds folder; a chat with no row
        # reads every source.
        """
        CREATE TABLE feeds (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            url              TEXT NOT NULL UNIQUE,
            name             TEXT,
            title            TEXT,
            origin           TEXT NOT NULL,
            added_by         INTEGER,
            interval_minutes REAL,
            language         TEXT,
            etag             TEXT,
            last_modified    TEXT,
            last_success_at  TEXT,
            last_error       TEXT,
            last_error_at    TEXT,
            failing_since    TEXT,
            failures         INTEGER NOT NULL DEFAULT 0,
            next_poll_at     REAL,
            removed_at       TEXT,
            created_at       TEXT NOT NULL
        );
        ALTER TABLE articles ADD COLUMN feed_id INTEGER REFERENCES feeds (id);
        ALTER TABLE articles ADD COLUMN published_at TEXT;
        CREATE INDEX articles_feed ON articles (feed_id, published_at)
            WHERE feed_id IS NOT NULL;
        CREATE TABLE entry_keys (
            key         TEXT PRIMARY KEY,
            number      INTEGER NOT NULL,
            seen_at     TEXT NOT NULL,
            fingerprint TEXT
        ) WITHOUT ROWID;
        CREATE TABLE chat_sources_off (
            chat_id INTEGER NOT NULL,
            feed_id INTEGER NOT NULL,
            PRIMARY KEY (chat_id, feed_id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        11,
        "private articles: pages and texts users summarized and added to their digest",
        # A private article appears only in the digests of the chats that
        # added it (digest_additions; for the pruning horizon its added_at there counts,
        # not the article's), not in the shared /article list, search or counts; the
        # seeds scan never retires it. /article N shows it to anyone with its number.
        """
        ALTER TABLE articles ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE digest_additions (
            chat_id  INTEGER NOT NULL,
            number   INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, number)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        12,
        "articles.story_id: the story an article belongs to (one story once)",
        # Set by bot.compose after feed polls and rescans for the recent articles:
        # the smallest number among the story's members, NULL for an article alone.
        # Writing it moves article_changes (the /article N replies show the group).
        """
        ALTER TABLE articles ADD COLUMN story_id INTEGER;
        CREATE INDEX articles_story ON articles (story_id) WHERE story_id IS NOT NULL;
        """,
    ),
    Migration(
        13,
        "forum topics subscribe on their own: (chat_id, topic) keys every chat's rows",
        # A subscriber is (chat_id, topic): topic is a forum topic's message_thread_id, 0
        # the chat itself. The tables keyed by chat are rebuilt with the topic in their
        # key (SQLite cannot change a primary key in place): the old table is renamed,
        # the new one created under the old name, the rows copied, the old one dropped.
        # A chat whose subscription lived in a topic (chats.thread_id) moves it to that
        # topic's row, with its times, run keys and outbox items; its deliveries,
        # additions, filters, sources and pruning horizon are copied to the topic (so
        # its next digest repeats nothing) and stay with the chat itself (topic 0), which
        # keeps an unsubscribed row with its timezone. Everything else is topic 0. Rows
        # of articles that no longer exist (written with foreign keys off) are not copied.
        """
        CREATE TABLE topics_v12 AS
            SELECT chat_id, thread_id AS topic FROM chats WHERE coalesce(thread_id, 0) != 0;

        ALTER TABLE chats RENAME TO chats_v12;
        CREATE TABLE chats (
            chat_id            INTEGER NOT NULL,
            topic              INTEGER NOT NULL DEFAULT 0,
            timezone           TEXT,
            digest_time        TEXT,
            active             INTEGER NOT NULL DEFAULT 1,
            deactivated_reason TEXT,
            last_digest_key    TEXT,
            created_at         TEXT NOT NULL,
            updated_at         TEXT NOT NULL,
            subscribed_at      TEXT,
            days               INTEGER NOT NULL DEFAULT 127,
            PRIMARY KEY (chat_id, topic)
        ) WITHOUT ROWID;
        INSERT INTO chats (chat_id, topic, timezone, digest_time, active, deactivated_reason,
                last_digest_key, created_at, updated_at, subscribed_at, days)
            SELECT chat_id, coalesce(thread_id, 0), timezone, digest_time, active,
                deactivated_reason, last_digest_key, created_at, updated_at, subscribed_at,
                days
            FROM chats_v12;
        INSERT INTO chats (chat_id, topic, timezone, active, deactivated_reason, created_at,
                updated_at, days)
            SELECT chat_id, 0, timezone, active, deactivated_reason, created_at, updated_at,
                days
            FROM chats_v12 WHERE coalesce(thread_id, 0) != 0;
        DROP TABLE chats_v12;

        DROP INDEX subscriptions_slot;
        ALTER TABLE subscriptions RENAME TO subscriptions_v12;
        CREATE TABLE subscriptions (
            chat_id      INTEGER NOT NULL,
            topic        INTEGER NOT NULL DEFAULT 0,
            digest_time  TEXT NOT NULL,
            last_run_key TEXT,
            PRIMARY KEY (chat_id, topic, digest_time)
        ) WITHOUT ROWID;
        CREATE INDEX subscriptions_slot ON subscriptions (digest_time, chat_id, topic);
        INSERT INTO subscriptions (chat_id, topic, digest_time, last_run_key)
            SELECT s.chat_id, coalesce(t.topic, 0), s.digest_time, s.last_run_key
            FROM subscriptions_v12 s LEFT JOIN topics_v12 t ON t.chat_id = s.chat_id;
        DROP TABLE subscriptions_v12;

        ALTER TABLE deliveries RENAME TO deliveries_v12;
        CREATE TABLE deliveries (
            chat_id      INTEGER NOT NULL,
            topic        INTEGER NOT NULL DEFAULT 0,
            number       INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
            delivered_at TEXT NOT NULL,
            held_back    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (chat_id, topic, number)
        ) WITHOUT ROWID;
        INSERT INTO deliveries (chat_id, topic, number, delivered_at, held_back)
            SELECT chat_id, 0, number, delivered_at, held_back FROM deliveries_v12
            WHERE number IN (SELECT number FROM articles);
        INSERT INTO deliveries (chat_id, topic, number, delivered_at, held_back)
            SELECT d.chat_id, t.topic, d.number, d.delivered_at, d.held_back
            FROM deliveries_v12 d JOIN topics_v12 t ON t.chat_id = d.chat_id
            WHERE d.number IN (SELECT number FROM articles);
        DROP TABLE deliveries_v12;

        ALTER TABLE digest_additions RENAME TO digest_additions_v12;
        CREATE TABLE digest_additions (
            chat_id  INTEGER NOT NULL,
            topic    INTEGER NOT NULL DEFAULT 0,
            number   INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, topic, number)
        ) WITHOUT ROWID;
        INSERT INTO digest_additions (chat_id, topic, number, added_at)
            SELECT chat_id, 0, number, added_at FROM digest_additions_v12
            WHERE number IN (SELECT number FROM articles);
        INSERT INTO digest_additions (chat_id, topic, number, added_at)
            SELECT x.chat_id, t.topic, x.number, x.added_at
            FROM digest_additions_v12 x JOIN topics_v12 t ON t.chat_id = x.chat_id
            WHERE x.number IN (SELECT number FROM articles);
        DROP TABLE digest_additions_v12;

        ALTER TABLE chat_filters RENAME TO chat_filters_v12;
        CREATE TABLE chat_filters (
            chat_id  INTEGER NOT NULL,
            topic    INTEGER NOT NULL DEFAULT 0,
            term_key TEXT NOT NULL,
            mode     TEXT NOT NULL CHECK (mode IN ('+', '-')),
            term     TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, topic, term_key)
        );
        INSERT INTO chat_filters (chat_id, topic, term_key, mode, term, added_at)
            SELECT chat_id, 0, term_key, mode, term, added_at FROM chat_filters_v12
            ORDER BY rowid;
        INSERT INTO chat_filters (chat_id, topic, term_key, mode, term, added_at)
            SELECT f.chat_id, t.topic, f.term_key, f.mode, f.term, f.added_at
            FROM chat_filters_v12 f JOIN topics_v12 t ON t.chat_id = f.chat_id
            ORDER BY f.rowid;
        DROP TABLE chat_filters_v12;

        ALTER TABLE chat_sources_off RENAME TO chat_sources_off_v12;
        CREATE TABLE chat_sources_off (
            chat_id INTEGER NOT NULL,
            topic   INTEGER NOT NULL DEFAULT 0,
            feed_id INTEGER NOT NULL,
            PRIMARY KEY (chat_id, topic, feed_id)
        ) WITHOUT ROWID;
        INSERT INTO chat_sources_off (chat_id, topic, feed_id)
            SELECT chat_id, 0, feed_id FROM chat_sources_off_v12;
        INSERT INTO chat_sources_off (chat_id, topic, feed_id)
            SELECT s.chat_id, t.topic, s.feed_id
            FROM chat_sources_off_v12 s JOIN topics_v12 t ON t.chat_id = s.chat_id;
        DROP TABLE chat_sources_off_v12;

        ALTER TABLE pruned_deliveries RENAME TO pruned_deliveries_v12;
        CREATE TABLE pruned_deliveries (
            chat_id      INTEGER NOT NULL,
            topic        INTEGER NOT NULL DEFAULT 0,
            added_before TEXT NOT NULL,
            PRIMARY KEY (chat_id, topic)
        ) WITHOUT ROWID;
        INSERT INTO pruned_deliveries (chat_id, topic, added_before)
            SELECT chat_id, 0, added_before FROM pruned_deliveries_v12;
        INSERT INTO pruned_deliveries (chat_id, topic, added_before)
            SELECT p.chat_id, t.topic, p.added_before
            FROM pruned_deliveries_v12 p JOIN topics_v12 t ON t.chat_id = p.chat_id;
        DROP TABLE pruned_deliveries_v12;

        ALTER TABLE outbox ADD COLUMN topic INTEGER NOT NULL DEFAULT 0;
        UPDATE outbox SET topic = coalesce(message_thread_id, 0);
        ALTER TABLE outbox DROP COLUMN message_thread_id;

        DROP TABLE topics_v12;
        """,
    ),
    Migration(
        14,
        "articles.url_key: the canonical URL of an article's link, indexed",
        # One link, one article: "Add to my digest" of a page that is already an article
        # (a seed file's or a feed entry's link) finds that article by this key. Written
        # with every article (bot.store.articles.ArticlesMixin.write_article); '' for an
        # article without a usable link. Rows stored before it are filled in when the
        # store opens (a no-op once filled: the index finds the NULL ones).
        """
        ALTER TABLE articles ADD COLUMN url_key TEXT;
        CREATE INDEX articles_url_key ON articles (url_key);
        """,
    ),
    Migration(
        15,
        "every question costs what it returns: foreign-key indexes, the listed articles'"
        " index, title search (FTS5), the listed count, shared outbox bodies",
        # Deleting an article looked up its deliveries and additions by number without
        # an index (a scan of each per deleted article). The listed articles (visible,
        # shared) get their own index, so a page, "Next" and the count walk only them;
        # a chat's unseen articles are found along articles_unseen (which replaces
        # articles_newest); both hold every
        # column their queries test, so a row skipped is never read from the table
        # (the few articles still to summarize are found through articles_unsummarized);
        # article_changes.listed counts them (kept by the triggers, so /status and the
        # list do not count rows). article_titles indexes the folded titles by trigrams
        # (substring search, as instr() did, without reading every title). Feed articles
        # are pruned by age through articles_feed_age, their entry keys through
        # entry_keys_seen. A title still to fold is found
        # through articles_unfolded (empty once filled) instead of a scan at each open.
        # The outbox keeps each distinct message text once (outbox_bodies, by its
        # body_hash): the chats of a slot that get the same digest share it; a body
        # goes with the last item that uses it. outbox_due: the sender's next due time.
        """
        CREATE INDEX deliveries_number ON deliveries (number);
        CREATE INDEX digest_additions_number ON digest_additions (number);
        CREATE INDEX articles_listed
            ON articles (date DESC, added_at DESC, number DESC, retired_at, private)
            WHERE retired_at IS NULL AND private = 0;
        CREATE INDEX articles_unfolded ON articles (number) WHERE title_folded IS NULL;
        DROP INDEX articles_newest;
        CREATE INDEX articles_unsummarized ON articles (number) WHERE summary IS NULL;
        CREATE INDEX articles_unseen ON articles
            (date DESC, added_at DESC, number DESC, private, feed_id, retired_at)
            WHERE retired_at IS NULL;
        CREATE INDEX articles_feed_age ON articles (coalesce(published_at, added_at))
            WHERE feed_id IS NOT NULL;
        CREATE INDEX entry_keys_seen ON entry_keys (seen_at);

        ALTER TABLE article_changes ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
        UPDATE article_changes SET listed =
            (SELECT count(*) FROM articles WHERE retired_at IS NULL AND private = 0);
        DROP TRIGGER articles_inserted;
        DROP TRIGGER articles_updated;
        DROP TRIGGER articles_deleted;
        CREATE TRIGGER articles_inserted AFTER INSERT ON articles BEGIN
            UPDATE article_changes SET n = n + 1,
                listed = listed + (new.retired_at IS NULL AND new.private = 0);
        END;
        CREATE TRIGGER articles_updated AFTER UPDATE ON articles BEGIN
            UPDATE article_changes SET n = n + 1,
                listed = listed + (new.retired_at IS NULL AND new.private = 0)
                    - (old.retired_at IS NULL AND old.private = 0);
        END;
        CREATE TRIGGER articles_deleted AFTER DELETE ON articles BEGIN
            UPDATE article_changes SET n = n + 1,
                listed = listed - (old.retired_at IS NULL AND old.private = 0);
        END;

        CREATE VIRTUAL TABLE article_titles USING fts5(
            title_folded, content = 'articles', content_rowid = 'number',
            tokenize = 'trigram'
        );
        INSERT INTO article_titles (article_titles) VALUES ('rebuild');
        CREATE TRIGGER article_titles_inserted AFTER INSERT ON articles BEGIN
            INSERT INTO article_titles (rowid, title_folded)
                VALUES (new.number, new.title_folded);
        END;
        CREATE TRIGGER article_titles_deleted AFTER DELETE ON articles BEGIN
            INSERT INTO article_titles (article_titles, rowid, title_folded)
                VALUES ('delete', old.number, old.title_folded);
        END;
        CREATE TRIGGER article_titles_updated AFTER UPDATE OF title_folded ON articles BEGIN
            INSERT INTO article_titles (article_titles, rowid, title_folded)
                VALUES ('delete', old.number, old.title_folded);
            INSERT INTO article_titles (rowid, title_folded)
                VALUES (new.number, new.title_folded);
        END;

        CREATE TABLE outbox_bodies (
            hash BLOB PRIMARY KEY,
            text TEXT NOT NULL
        );
        INSERT OR IGNORE INTO outbox_bodies (hash, text)
            SELECT body_hash(text), text FROM outbox;
        ALTER TABLE outbox RENAME TO outbox_v13;
        DROP INDEX outbox_chat;
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id         INTEGER NOT NULL,
            topic           INTEGER NOT NULL DEFAULT 0,
            run_key         TEXT NOT NULL,
            body            BLOB NOT NULL REFERENCES outbox_bodies (hash),
            article_numbers TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error      TEXT,
            created_at      TEXT NOT NULL
        );
        INSERT INTO outbox (id, chat_id, topic, run_key, body, article_numbers, attempts,
                next_attempt_at, last_error, created_at)
            SELECT id, chat_id, topic, run_key, body_hash(text), article_numbers, attempts,
                next_attempt_at, last_error, created_at
            FROM outbox_v13;
        DELETE FROM sqlite_sequence WHERE name = 'outbox';
        UPDATE sqlite_sequence SET name = 'outbox' WHERE name = 'outbox_v13';
        DROP TABLE outbox_v13;
        CREATE INDEX outbox_chat ON outbox (chat_id, id);
        CREATE INDEX outbox_body ON outbox (body);
        CREATE INDEX outbox_due ON outbox (next_attempt_at);
        CREATE TRIGGER outbox_body_released AFTER DELETE ON outbox BEGIN
            DELETE FROM outbox_bodies WHERE hash = old.body
                AND NOT EXISTS (SELECT 1 FROM outbox WHERE body = old.body);
        END;
        """,
    ),
    Migration(
        16,
        "feed_follows: the feeds a chat follows of its own; feeds.shared: the operator's",
        # A feed row is polled once however many chats follow it (the poller polls feeds,
        # not follows). feeds.shared = 1: a feed of the operator's ([[feeds]], /addfeed),
        # in every chat's digest unless turned off; 0: a feed only its followers read
        # (its articles reach the digests of the chats in feed_follows only). A feed is
        # active (removed_at NULL) while it is shared or followed. feeds_shared lists the
        # operator's feeds (a few: the digest query reads the list, and the chat's
        # follows, never the users' many feeds); feeds_active counts the feeds polled.
        # A chat's digest walks the shared articles along articles_unseen_shared (no
        # private row in it: other chats' feeds cost nothing) and its own private ones
        # through articles_feed and digest_additions.
        """
        ALTER TABLE feeds ADD COLUMN shared INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX feeds_shared ON feeds (id) WHERE shared = 1;
        CREATE INDEX feeds_active ON feeds (id) WHERE removed_at IS NULL;
        CREATE INDEX articles_unseen_shared ON articles
            (date DESC, added_at DESC, number DESC, feed_id, retired_at)
            WHERE retired_at IS NULL AND private = 0;
        CREATE TABLE feed_follows (
            chat_id  INTEGER NOT NULL,
            topic    INTEGER NOT NULL DEFAULT 0,
            feed_id  INTEGER NOT NULL REFERENCES feeds (id),
            added_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, topic, feed_id)
        ) WITHOUT ROWID;
        CREATE INDEX feed_follows_feed ON feed_follows (feed_id);
        """,
    ),
    Migration(
        17,
        "chats_subscribed: the active subscriptions, counted along a narrow index",
        # The subscriber count (/stats, the start line, the metrics gauge) read every
        # chat row; this partial index holds only the active subscriptions and the two
        # columns the count tests, so the count walks it alone, never the table (its
        # WHERE must stay the count's, word for word: bot.store.chats.count_subscribers).
        """
        CREATE INDEX chats_subscribed ON chats (active, digest_time)
            WHERE active = 1 AND digest_time IS NOT NULL;
        """,
    ),
    Migration(
        18,
        "digest settings per subscriber (/settings): size, headlines only, silent, previews;"
        " the horizon a queued digest moves once it is sent",
        # digest_size NULL: the config's [digest] max_articles. horizon_pending: a queued
        # digest chose among the articles added before it; once all its messages are sent
        # it becomes pruned_deliveries.added_before (a digest never delivered moves nothing).
        """
        ALTER TABLE chats ADD COLUMN digest_size INTEGER;
        ALTER TABLE chats ADD COLUMN headlines_only INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chats ADD COLUMN silent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chats ADD COLUMN link_previews INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chats ADD COLUMN horizon_pending TEXT;
        """,
    ),
    Migration(
        19,
        "channels the bot administers, their known administrators, private chats' targets",
        # channels: every channel the bot was made an administrator of (my_chat_member),
        # with its title and @username; present = 0 once the bot left or was demoted.
        # channel_admins: users known to administer a channel (who added the bot, the
        # admins Telegram listed then, whoever picked it since): /channel lists a user's
        # channels from here (user_id index), each checked again with getChatMember.
        # chat_targets: the chat a private chat manages instead of itself (/channel).
        """
        CREATE TABLE channels (
            chat_id    INTEGER PRIMARY KEY,
            title      TEXT NOT NULL,
            username   TEXT,
            present    INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX channels_username ON channels (username COLLATE NOCASE)
            WHERE username IS NOT NULL;
        CREATE TABLE channel_admins (
            chat_id  INTEGER NOT NULL REFERENCES channels (chat_id),
            user_id  INTEGER NOT NULL,
            seen_at  TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX channel_admins_user ON channel_admins (user_id);
        CREATE TABLE chat_targets (
            chat_id   INTEGER PRIMARY KEY,
            target    INTEGER NOT NULL REFERENCES channels (chat_id),
            chosen_at TEXT NOT NULL
        );
        CREATE INDEX chat_targets_target ON chat_targets (target);
        """,
    ),
    Migration(
        20,
        "chat_languages: the language each chat is spoken to in",
        # One row per chat (its forum topics share it); a chat without one is spoken
        # to in English. Read by chat id (the primary key), per update and per page of
        # a digest run.
        """
        CREATE TABLE chat_languages (
            chat_id    INTEGER PRIMARY KEY,
            language   TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        21,
        "deliveries.delivered_at in integer seconds since the epoch (was ISO text)",
        # A delivery row is written for every article of every digest sent: the
        # 32-character ISO time was most of its bytes. A value that is not a time
        # (none the store wrote) is kept as it is; a row whose article is gone (only
        # a database written with foreign keys off has one) is left behind.
        """
        ALTER TABLE deliveries RENAME TO deliveries_v20;
        CREATE TABLE deliveries (
            chat_id      INTEGER NOT NULL,
            topic        INTEGER NOT NULL DEFAULT 0,
            number       INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
            delivered_at INTEGER NOT NULL,
            held_back    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (chat_id, topic, number)
        ) WITHOUT ROWID;
        INSERT INTO deliveries (chat_id, topic, number, delivered_at, held_back)
            SELECT chat_id, topic, number,
                coalesce(CAST(strftime('%s', delivered_at) AS INTEGER), delivered_at),
                held_back
            FROM deliveries_v20 WHERE number IN (SELECT number FROM articles);
        DROP TABLE deliveries_v20;
        CREATE INDEX deliveries_number ON deliveries (number);
        """,
    ),
    Migration(
        22,
        "articles_unseen_added: the shared articles in the order they were added",
        # A subscriber's unseen shared articles are those added since its horizon
        # (pruned_deliveries.added_before, moved by every digest it received): this
        # index walks just those, and holds every column the unseen test reads.
        """
        CREATE INDEX articles_unseen_added ON articles
            (added_at, date, number, feed_id, private, retired_at)
            WHERE retired_at IS NULL AND private = 0;
        """,
    ),
)


def body_hash(text: str) -> bytes:
    """The key an outbox message text is stored under (``outbox_bodies.hash``): 16 bytes
    of BLAKE2b, so equal texts share one row and different ones (practically) never do."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def add_functions(db: sqlite3.Connection) -> None:
    """The SQL functions the migrations use (``body_hash``) on ``db``."""
    db.create_function("body_hash", 1, body_hash, deterministic=True)


def dump_schema(db: sqlite3.Connection) -> str:
    """The schema of ``db`` as SQL text, in a stable order: its user_version, then
    every table, index, trigger and view ``sqlite_master`` holds (SQLite's own
    ``sqlite_*`` objects left out), by kind then name."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    rows = db.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
        " WHEN 'trigger' THEN 2 ELSE 3 END, name"
    ).fetchall()
    header = (
        f"-- digestbot's database schema at version {version}"
        f" (PRAGMA user_version = {version}).\n"
        "-- Generated from bot/store/migrations.py, do not edit: after adding a migration run\n"
        "--     python -m bot.store.migrations --write\n"
        "-- (tests/test_schema.py fails while this file is out of date).\n"
    )
    return header + "".join(f"\n{_dedent(row[0])};\n" for row in rows)


def fresh_schema(migrations: Sequence[Migration] = MIGRATIONS) -> str:
    """:func:`dump_schema` of a new in-memory database after every step."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    add_functions(db)
    try:
        for migration in migrations:
            for statement in migration.statements():
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {migration.version}")
        return dump_schema(db)
    finally:
        db.close()


def _dedent(sql: str) -> str:
    # sqlite_master keeps a statement as written, indented like the migration's source;
    # strip the common indentation of the continuation lines so the file reads well.
    first, *rest = sql.splitlines()
    # A lone continuation (an index's WHERE) keeps four spaces.
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    cut = min(indents, default=0) - (4 if len(set(indents)) == 1 else 0)
    cut = max(cut, 0)
    return "\n".join([first, *(line[cut:] for line in rest)])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.store.migrations``: print the schema, or ``--write`` it to schema.sql."""
    parser = argparse.ArgumentParser(prog="python -m bot.store.migrations", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_FILE}")
    args = parser.parse_args(argv)
    schema = fresh_schema()
    if args.write:
        SCHEMA_FILE.write_text(schema, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    else:
        sys.stdout.write(schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

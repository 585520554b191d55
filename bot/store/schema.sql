-- digestbot's database schema at version 22 (PRAGMA user_version = 22).
-- Generated from bot/store/migrations.py, do not edit: after adding a migration run
--     python -m bot.store.migrations --write
-- (tests/test_schema.py fails while this file is out of date).

CREATE TABLE article_changes (n INTEGER NOT NULL, listed INTEGER NOT NULL DEFAULT 0);

CREATE VIRTUAL TABLE article_titles USING fts5(
    title_folded, content = 'articles', content_rowid = 'number',
    tokenize = 'trigram'
);

CREATE TABLE 'article_titles_config'(k PRIMARY KEY, v) WITHOUT ROWID;

CREATE TABLE 'article_titles_data'(id INTEGER PRIMARY KEY, block BLOB);

CREATE TABLE 'article_titles_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

CREATE TABLE 'article_titles_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

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
, title_folded TEXT, feed_id INTEGER REFERENCES feeds (id), published_at TEXT, private INTEGER NOT NULL DEFAULT 0, story_id INTEGER, url_key TEXT);

CREATE TABLE channel_admins (
    chat_id  INTEGER NOT NULL REFERENCES channels (chat_id),
    user_id  INTEGER NOT NULL,
    seen_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;

CREATE TABLE channels (
    chat_id    INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    username   TEXT,
    present    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);

CREATE TABLE chat_filters (
    chat_id  INTEGER NOT NULL,
    topic    INTEGER NOT NULL DEFAULT 0,
    term_key TEXT NOT NULL,
    mode     TEXT NOT NULL CHECK (mode IN ('+', '-')),
    term     TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, topic, term_key)
);

CREATE TABLE chat_languages (
    chat_id    INTEGER PRIMARY KEY,
    language   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE chat_sources_off (
    chat_id INTEGER NOT NULL,
    topic   INTEGER NOT NULL DEFAULT 0,
    feed_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, topic, feed_id)
) WITHOUT ROWID;

CREATE TABLE chat_targets (
    chat_id   INTEGER PRIMARY KEY,
    target    INTEGER NOT NULL REFERENCES channels (chat_id),
    chosen_at TEXT NOT NULL
);

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
    days               INTEGER NOT NULL DEFAULT 127, digest_size INTEGER, headlines_only INTEGER NOT NULL DEFAULT 0, silent INTEGER NOT NULL DEFAULT 0, link_previews INTEGER NOT NULL DEFAULT 0, horizon_pending TEXT,
    PRIMARY KEY (chat_id, topic)
) WITHOUT ROWID;

CREATE TABLE deliveries (
    chat_id      INTEGER NOT NULL,
    topic        INTEGER NOT NULL DEFAULT 0,
    number       INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
    delivered_at INTEGER NOT NULL,
    held_back    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, topic, number)
) WITHOUT ROWID;

CREATE TABLE digest_additions (
    chat_id  INTEGER NOT NULL,
    topic    INTEGER NOT NULL DEFAULT 0,
    number   INTEGER NOT NULL REFERENCES articles (number) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, topic, number)
) WITHOUT ROWID;

CREATE TABLE entry_keys (
    key         TEXT PRIMARY KEY,
    number      INTEGER NOT NULL,
    seen_at     TEXT NOT NULL,
    fingerprint TEXT
) WITHOUT ROWID;

CREATE TABLE feed_follows (
    chat_id  INTEGER NOT NULL,
    topic    INTEGER NOT NULL DEFAULT 0,
    feed_id  INTEGER NOT NULL REFERENCES feeds (id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, topic, feed_id)
) WITHOUT ROWID;

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
, shared INTEGER NOT NULL DEFAULT 1);

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

CREATE TABLE outbox_bodies (
    hash BLOB PRIMARY KEY,
    text TEXT NOT NULL
);

CREATE TABLE pruned_deliveries (
    chat_id      INTEGER NOT NULL,
    topic        INTEGER NOT NULL DEFAULT 0,
    added_before TEXT NOT NULL,
    PRIMARY KEY (chat_id, topic)
) WITHOUT ROWID;

CREATE TABLE subscriptions (
    chat_id      INTEGER NOT NULL,
    topic        INTEGER NOT NULL DEFAULT 0,
    digest_time  TEXT NOT NULL,
    last_run_key TEXT,
    PRIMARY KEY (chat_id, topic, digest_time)
) WITHOUT ROWID;

CREATE INDEX articles_feed ON articles (feed_id, published_at)
    WHERE feed_id IS NOT NULL;

CREATE INDEX articles_feed_age ON articles (coalesce(published_at, added_at))
    WHERE feed_id IS NOT NULL;

CREATE INDEX articles_listed
    ON articles (date DESC, added_at DESC, number DESC, retired_at, private)
    WHERE retired_at IS NULL AND private = 0;

CREATE INDEX articles_story ON articles (story_id) WHERE story_id IS NOT NULL;

CREATE INDEX articles_unfolded ON articles (number) WHERE title_folded IS NULL;

CREATE INDEX articles_unseen ON articles
    (date DESC, added_at DESC, number DESC, private, feed_id, retired_at)
    WHERE retired_at IS NULL;

CREATE INDEX articles_unseen_added ON articles
    (added_at, date, number, feed_id, private, retired_at)
    WHERE retired_at IS NULL AND private = 0;

CREATE INDEX articles_unseen_shared ON articles
    (date DESC, added_at DESC, number DESC, feed_id, retired_at)
    WHERE retired_at IS NULL AND private = 0;

CREATE INDEX articles_unsummarized ON articles (number) WHERE summary IS NULL;

CREATE INDEX articles_url_key ON articles (url_key);

CREATE INDEX channel_admins_user ON channel_admins (user_id);

CREATE INDEX channels_username ON channels (username COLLATE NOCASE)
    WHERE username IS NOT NULL;

CREATE INDEX chat_targets_target ON chat_targets (target);

CREATE INDEX chats_subscribed ON chats (active, digest_time)
    WHERE active = 1 AND digest_time IS NOT NULL;

CREATE INDEX deliveries_number ON deliveries (number);

CREATE INDEX digest_additions_number ON digest_additions (number);

CREATE INDEX entry_keys_seen ON entry_keys (seen_at);

CREATE INDEX feed_follows_feed ON feed_follows (feed_id);

CREATE INDEX feeds_active ON feeds (id) WHERE removed_at IS NULL;

CREATE INDEX feeds_shared ON feeds (id) WHERE shared = 1;

CREATE INDEX outbox_body ON outbox (body);

CREATE INDEX outbox_chat ON outbox (chat_id, id);

CREATE INDEX outbox_due ON outbox (next_attempt_at);

CREATE INDEX subscriptions_slot ON subscriptions (digest_time, chat_id, topic);

CREATE TRIGGER article_titles_deleted AFTER DELETE ON articles BEGIN
    INSERT INTO article_titles (article_titles, rowid, title_folded)
        VALUES ('delete', old.number, old.title_folded);
END;

CREATE TRIGGER article_titles_inserted AFTER INSERT ON articles BEGIN
    INSERT INTO article_titles (rowid, title_folded)
        VALUES (new.number, new.title_folded);
END;

CREATE TRIGGER article_titles_updated AFTER UPDATE OF title_folded ON articles BEGIN
    INSERT INTO article_titles (article_titles, rowid, title_folded)
        VALUES ('delete', old.number, old.title_folded);
    INSERT INTO article_titles (rowid, title_folded)
        VALUES (new.number, new.title_folded);
END;

CREATE TRIGGER articles_deleted AFTER DELETE ON articles BEGIN
    UPDATE article_changes SET n = n + 1,
        listed = listed - (old.retired_at IS NULL AND old.private = 0);
END;

CREATE TRIGGER articles_inserted AFTER INSERT ON articles BEGIN
    UPDATE article_changes SET n = n + 1,
        listed = listed + (new.retired_at IS NULL AND new.private = 0);
END;

CREATE TRIGGER articles_updated AFTER UPDATE ON articles BEGIN
    UPDATE article_changes SET n = n + 1,
        listed = listed + (new.retired_at IS NULL AND new.private = 0)
            - (old.retired_at IS NULL AND old.private = 0);
END;

CREATE TRIGGER outbox_body_released AFTER DELETE ON outbox BEGIN
    DELETE FROM outbox_bodies WHERE hash = old.body
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE body = old.body);
END;

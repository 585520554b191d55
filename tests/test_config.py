"""The TOML config: defaults, relative paths, the token override, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import __version__
from bot.config import TOKEN_ENV, FetchConfig, default_config, load_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_documented_defaults() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.telegram.token is None  # empty in the example: no token
    assert config.telegram.base_url == "https://api.telegram.org/bot"
    assert config.telegram.max_messages_per_second == 30
    assert config.telegram.mode == "polling"
    assert config.seeds.rescan_seconds == 300
    assert config.summary.sentences == 3
    assert config.summary.language == "english"
    assert (config.digest.time, config.digest.timezone) == ("08:00", "UTC")
    assert config.digest.max_articles == 10
    assert config.digest.missed_grace_seconds == 3600
    assert config.fetch == FetchConfig()  # the example shows the defaults


def test_fetch_section_is_read_and_networks_normalised(tmp_path: Path) -> None:
    text = (
        "[fetch]\nconnect_timeout = 3\ntotal_timeout = 7.5\nmax_bytes = 1000\n"
        "allow_ports = [80, 443, 8080]\nallow_networks = ['10.1.2.0/24', '127.0.0.1', '::1']\n"
        "per_chat_per_hour = 5\ncache_minutes = 0\nmax_concurrent = 3\nper_host = 1\n"
        "user_agent = 'digestbot/test (ops@example.org)'\n"
    )
    fetch = load_config(write(tmp_path, text), env={}).fetch
    assert (fetch.connect_timeout, fetch.total_timeout, fetch.max_bytes) == (3.0, 7.5, 1000)
    assert fetch.allow_ports == (80, 443, 8080)
    assert fetch.allow_networks == ("10.1.2.0/24", "127.0.0.1/32", "::1/128")
    assert (fetch.per_chat_per_hour, fetch.cache_minutes) == (5, 0.0)
    assert (fetch.max_concurrent, fetch.per_host) == (3, 1)
    assert fetch.user_agent == "digestbot/test (ops@example.org)"


def test_default_user_agent_names_digestbot_and_its_version() -> None:
    assert FetchConfig().user_agent.startswith(f"digestbot/{__version__} ")


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[seeds]\ndir = "articles"\n[storage]\npath = "data/bot.db"\n')
    config = load_config(path, env={})
    assert config.seeds.dir == tmp_path.resolve() / "articles"
    assert config.storage.path == tmp_path.resolve() / "data/bot.db"


def test_default_paths_resolve_against_the_config_folder_too(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), env={})
    assert config.seeds.dir == tmp_path.resolve() / "seeds"
    assert config.storage.path == tmp_path.resolve() / "digestbot.sqlite3"


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[storage]\npath = "/var/lib/digestbot/db"\n'), env={})
    assert config.storage.path == Path("/var/lib/digestbot/db")


def test_a_storage_url_names_the_database_and_wins_over_the_path(tmp_path: Path) -> None:
    url = "postgresql://bot:secret@db.internal:5432/news"
    config = load_config(write(tmp_path, f'[storage]\nurl = "{url}"\n'), env={})
    assert config.storage.database == url and not config.storage.is_file
    relative = load_config(write(tmp_path, '[storage]\nurl = "sqlite:///data/b.db"\n'), env={})
    assert relative.storage.database == f"sqlite:///{tmp_path.resolve() / 'data/b.db'}"
    assert relative.storage.is_file
    assert load_config(write(tmp_path, ""), env={}).storage.database == (
        tmp_path.resolve() / "digestbot.sqlite3"
    )


@pytest.mark.parametrize("url", ["mysql://h/db", "bot.db", "sqlite://relative.db"])
def test_a_storage_url_of_another_kind_is_refused_naming_the_key(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=r"^\[storage\] url: expected"):
        load_config(write(tmp_path, f'[storage]\nurl = "{url}"\n'), env={})


def test_environment_token_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "from-file"\n')
    assert load_config(path, env={}).telegram.token == "from-file"
    assert load_config(path, env={TOKEN_ENV: "from-env"}).telegram.token == "from-env"


def test_blank_token_means_no_token(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "  "\n')
    assert load_config(path, env={TOKEN_ENV: ""}).telegram.token is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[digest]\nmax_article = 3\n", "[digest] max_article: unknown key"),
        ("[digset]\ntime = '08:00'\n", "[digset]: unknown section"),
        ("[digest]\nmax_articles = '10'\n", "[digest] max_articles: expected a positive integer"),
        ("[digest]\nmax_articles = 0\n", "[digest] max_articles: expected a positive integer"),
        ("[digest]\ntime = '25:99'\n", '[digest] time: expected a time "HH:MM"'),
        ("[digest]\ntimezone = 'Mars/Olympus'\n", "[digest] timezone: expected an IANA timezone"),
        ("[telegram]\nport = true\n", "[telegram] port: expected a port number"),
        ("[telegram]\nmax_messages_per_second = -1\n", "max_messages_per_second: expected a"),
        ("[telegram]\nmode = 'push'\n", '[telegram] mode: expected "polling" or "webhook"'),
        ("[telegram]\nadmin_ids = ['me']\n", "[telegram] admin_ids: expected a list of integer"),
        ("[seeds]\ndir = 5\n", "[seeds] dir: expected a path"),
        ("[summary]\nlanguage = 'klingon'\n", "[summary] language: unsupported 'klingon'"),
        ("[telegram]\nmode = 'webhook'\n", '[telegram] url: required when mode = "webhook"'),
        ("seeds = 3\n", "seeds: expected a [seeds] table"),
        ("[fetch]\nmax_byte = 5\n", "[fetch] max_byte: unknown key"),
        ("[fetch]\nmax_bytes = '5MB'\n", "[fetch] max_bytes: expected a positive integer"),
        ("[fetch]\ntotal_timeout = 0\n", "[fetch] total_timeout: expected a positive number"),
        ("[fetch]\nallow_ports = [80, 0]\n", "[fetch] allow_ports: expected a list of port"),
        ("[fetch]\nallow_ports = 80\n", "[fetch] allow_ports: expected a list of port"),
        ("[fetch]\nallow_networks = '10.0.0.0/8'\n", "[fetch] allow_networks: expected a list"),
        ("[fetch]\nallow_networks = ['10.1.2.3/24']\n", "[fetch] allow_networks: '10.1.2.3/24'"),
        ("[fetch]\nallow_networks = ['intranet']\n", "[fetch] allow_networks: 'intranet' is not"),
        ("[fetch]\ncache_minutes = -1\n", "[fetch] cache_minutes: expected a non-negative"),
        ("[fetch]\nuser_agent = ''\n", "[fetch] user_agent: expected a non-empty string"),
        ("[fetch]\nper_host = true\n", "[fetch] per_host: expected a positive integer"),
        (
            "[fetch]\nconnect_timeout = 30\n",
            "[fetch] connect_timeout: must not exceed total_timeout",
        ),
    ],
)
def test_bad_values_are_errors_that_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    assert message in str(caught.value)


def test_webhook_mode_needs_a_well_formed_secret_token(tmp_path: Path) -> None:
    base = "[telegram]\nmode = 'webhook'\nurl = 'https://bot.example.org/hook'\n"
    with pytest.raises(ConfigError, match="secret_token: required"):
        load_config(write(tmp_path, base), env={})
    with pytest.raises(ConfigError, match="secret_token: expected 1-256 characters"):
        load_config(write(tmp_path, base + "secret_token = 'has spaces'\n"), env={})
    config = load_config(write(tmp_path, base + "secret_token = 's3cret_-X'\n"), env={})
    assert config.telegram.webhook_url == "https://bot.example.org/hook"
    assert config.telegram.secret_token == "s3cret_-X"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(write(tmp_path, "[digest\n"), env={})


def test_default_config_without_a_file_uses_the_given_folder(tmp_path: Path) -> None:
    config = default_config(tmp_path, env={})
    assert config.seeds.dir == tmp_path.resolve() / "seeds"
    assert config.source is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[telegram]\nmax_messages_per_second = nan\n",
            "[telegram] max_messages_per_second: expected a positive number from 0.1 to 1000, "
            "got nan",
        ),
        (
            "[telegram]\nmax_messages_per_second = inf\n",
            "[telegram] max_messages_per_second: expected a positive number from 0.1 to 1000",
        ),
        (
            "[seeds]\nrescan_seconds = 1e300\n",
            "[seeds] rescan_seconds: expected a positive number from 1 to 604800",
        ),
        ('[digest]\ntime = "²3:00"\n', '[digest] time: expected a time "HH:MM"'),
        ('[storage]\npath = "a\\u0000b"\n', "[storage] path: contains a NUL character"),
        (
            "[digest]\nmax_articles = 99999999999999999999\n",
            "[digest] max_articles: expected a positive integer from 1 to 100",
        ),
    ],
)
def test_absurd_values_are_one_line_naming_the_key_and_range(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# -- [[feeds]] and [sources] ---------------------------------------------------


def test_feeds_are_read_with_their_optional_keys(tmp_path) -> None:
    from bot.config import FeedConfig, config_from_dict

    config = config_from_dict(
        {
            "feeds": [
                {"url": "https://a.example/rss", "name": "A", "interval_minutes": 15},
                {"url": "http://b.example/feed.json", "language": "de"},
            ],
            "sources": {"keep_days": 7},
        },
        base=tmp_path,
    )
    assert config.feeds == (
        FeedConfig("https://a.example/rss", "A", 15.0, None),
        FeedConfig("http://b.example/feed.json", None, None, "german"),
    )
    assert config.sources.keep_days == 7 and config.sources.interval_minutes == 60


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"feeds": [{"name": "x"}]}, "[[feeds]] #1 url: required"),
        ({"feeds": [{"url": "ftp://x/"}]}, "[[feeds]] url: expected an http(s) URL"),
        ({"feeds": [{"url": "http://x/", "colour": 1}]}, "[[feeds]] #1 colour: unknown key"),
        ({"feeds": [{"url": "http://x/", "interval_minutes": 0}]}, "[[feeds]] interval_minutes"),
        ({"feeds": [{"url": "http://x/", "language": "klingon"}]}, "[[feeds]] language"),
        ({"feeds": [{"url": "http://x/"}, {"url": "http://x/"}]}, "#2 url: listed twice"),
        ({"feeds": {"url": "http://x/"}}, "feeds: expected [[feeds]] tables"),
        ({"sources": {"keep_days": 0}}, "[sources] keep_days"),
        ({"sources": {"keep_days": "30"}}, "[sources] keep_days"),
    ],
)
def test_bad_feed_settings_stop_start_up_in_one_line(tmp_path, raw, message) -> None:
    from bot.config import config_from_dict

    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw, base=tmp_path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_example_config_shows_two_commented_feeds() -> None:
    text = (Path(__file__).parents[1] / "config.example.toml").read_text(encoding="utf-8")
    assert text.count("# [[feeds]]") == 2
    uncommented = "\n".join(line.removeprefix("# ") for line in text.splitlines())
    assert "[[feeds]]" in uncommented


def test_cluster_redis_url_is_read_and_a_wrong_one_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[cluster]\nredis_url = " redis://127.0.0.1:6379/2 "\n')
    assert load_config(path, env={}).cluster.redis_url == "redis://127.0.0.1:6379/2"
    assert load_config(write(tmp_path, ""), env={}).cluster.redis_url is None
    with pytest.raises(ConfigError, match=r"\[cluster\] redis_url"):
        load_config(write(tmp_path, '[cluster]\nredis_url = "http://x"\n'), env={})

"""The real PostgreSQL and Redis the cluster tests use, on loopback.

A test that needs one asks for the ``postgres_dsn`` or ``redis_url`` fixture
(tests/conftest.py): when the service cannot be reached the test is skipped with one line
saying so, except under CI (the ``CI`` environment variable set), where it fails.
"""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_DSN = os.environ.get(
    "DIGESTBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("DIGESTBOT_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def need(service: str, host: str, port: int) -> None:
    """Skip (fail under CI) when ``service`` does not answer at ``host:port``."""
    if _reachable(host, port):
        return
    message = f"{service} is not reachable at {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must start it)")
    pytest.skip(f"{message}: start it to run this test")

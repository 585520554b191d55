"""``digestbot init``, ``digestbot doctor`` and ``digestbot run``: the bot as a service, its
config written, checked end to end, and the bot run with it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.commands.common import DEFAULT_CONFIG, load
from bot.errors import ConfigError, DigestbotError


def init_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.config import TOKEN_ENV, example_config_text, render_config

    path: Path = args.config
    if path.exists() and not args.force:
        raise DigestbotError(f"{path} already exists: edit it, or add --force to replace it")
    token, source = args.token, "--token"
    if token is None and (os.environ.get(TOKEN_ENV) or "").strip():
        token, source = os.environ[TOKEN_ENV], TOKEN_ENV
    if token is None and sys.stdin.isatty():
        import getpass

        asked = getpass.getpass("Bot token from @BotFather (Enter: leave it out): ").strip()
        token, source = asked or None, "the terminal"
    text = render_config(example_config_text(), token)
    # Only its owner may read it: it may hold the token.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    if token is None:
        told = f"no token in it: set {TOKEN_ENV} or [telegram] token"
    else:
        told = f"with the token from {source}"
    out.write(f"wrote {path} ({told})\n")
    out.write(f"next: digestbot doctor --config {path}, then digestbot run --config {path}\n")
    return 0


def doctor_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.doctor import Finding, config_finding, diagnose, summary_line

    path = args.config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    try:
        config = load(args)
    except ConfigError as exc:
        findings = [Finding("config", str(exc), ok=False)]
    else:
        findings = [config_finding(path), *asyncio.run(diagnose(config, integrity=args.integrity))]
    for finding in findings:
        out.write(finding.line() + "\n")
    out.write(summary_line(findings) + "\n")
    return 0 if all(f.ok for f in findings) else 1


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    from bot.logs import use_format
    from bot.telegram.app import run

    config = load(args)
    use_format(config.log.format)
    return run(config)

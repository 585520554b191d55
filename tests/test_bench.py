"""Every benchmark answers ``python -m bench.NAME --help`` and does nothing before its
arguments are parsed: no file written, no process or server left behind. The shared
harness's pure parts (percentiles, seed files, JSON-lines) are checked here too."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import bench
from bench import harness

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name != "harness")
# What the `bench` extra installs (rouge-score, nltk): not in a test-only install.
NEEDS_BENCH_EXTRA = {"rouge", "sweep"}


def test_every_file_in_bench_is_a_module_of_the_package() -> None:
    files = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")
    assert files == sorted([*BENCHES, "harness"])
    assert len(BENCHES) >= 10


@pytest.mark.parametrize("name", BENCHES)
def test_each_bench_answers_help_without_side_effects(name: str, tmp_path: Path) -> None:
    if name in NEEDS_BENCH_EXTRA and importlib.util.find_spec("rouge_score") is None:
        pytest.skip("needs the bench extra (pip install -e '.[bench]')")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: "), done.stdout[:200]
    assert "--help" in done.stdout
    assert done.stderr == ""
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"] and not any(scratch.iterdir())


def test_percentiles_are_nearest_rank_and_interpolated() -> None:
    values = [float(v) for v in range(1, 101)]
    assert harness.percentile(values, 0.5) == 50.0
    assert harness.percentile(values, 0.99) == 99.0
    assert harness.percentile([7.0], 0.95) == 7.0
    assert harness.figures([1.0, 2.0, 3.0]).startswith("p50    2.0 ms")
    assert harness.quantiles_ms([0.001, 0.002, 0.003], (50,)) == "p50 2 ms, max 3 ms"
    assert harness.quantiles_ms([0.5]) == "n/a"


def test_seed_files_are_read_by_the_bot_as_articles(tmp_path: Path) -> None:
    from bot.articles import scan

    harness.write_seeds(tmp_path / "a", 3)
    harness.write_seeds(tmp_path / "b", 2, title="the council", paragraphs=0, url=False)
    first = scan(tmp_path / "a").articles
    second = scan(tmp_path / "b").articles
    assert [a.title for a in first] == [f"Article {n}: the harbour, the council & the valley"
                                        for n in range(3)]  # fmt: skip
    assert first[1].url == "https://news.example.com/1" and len(first[1].blocks) == 4
    assert [a.title for a in second] == ["Article 0: the council", "Article 1: the council"]
    assert second[0].url is None and len(second[0].blocks) == 1


def test_json_lines_are_read_gzipped_or_not_up_to_a_limit(tmp_path: Path) -> None:
    rows = [{"id": n} for n in range(5)]
    text = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    (tmp_path / "plain.jsonl").write_text(text)
    (tmp_path / "zipped.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    assert harness.read_jsonl(tmp_path / "plain.jsonl") == rows
    assert harness.read_jsonl(tmp_path / "zipped.jsonl.gz", limit=2) == rows[:2]

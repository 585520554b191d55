"""Every benchmark answers ``python -m bench.NAME --help`` and does nothing before its
arguments are parsed: no file written. The shared
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
HAVE_BENCH_EXTRA = importlib.util.find_spec("rouge_score") is not None


def test_every_file_in_bench_is_a_module_of_the_package() -> None:
    files = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")
    assert files == sorted([*BENCHES, "harness"])
    assert len(BENCHES) >= 10


# Runs each bench as `python -m bench.NAME --help` does (runpy, as __main__), one after
# the other in one interpreter: the imports they share are paid for once.
DRIVER = """
import contextlib, io, json, runpy, sys
results = {}
for name in sys.argv[1:]:
    sys.argv = [f"bench.{name}", "--help"]
    sys.modules.pop(f"bench.{name}", None)  # imported by another bench: run it afresh
    out, err = io.StringIO(), io.StringIO()
    code = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            code = exit.code
        except BaseException as error:
            code = repr(error)
    results[name] = {"code": code, "out": out.getvalue(), "err": err.getvalue()}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Path]:
    """Every bench's ``--help`` (code, stdout, stderr), run in a scratch folder with
    TMPDIR inside it; and that folder, to see what was left there."""
    names = [n for n in BENCHES if n not in NEEDS_BENCH_EXTRA or HAVE_BENCH_EXTRA]
    folder = tmp_path_factory.mktemp("bench-help")
    (folder / "tmp").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(folder / "tmp")}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *names],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), folder


@pytest.mark.parametrize("name", BENCHES)
def test_each_bench_answers_help(name: str, helps: tuple[dict[str, dict], Path]) -> None:
    if name in NEEDS_BENCH_EXTRA and not HAVE_BENCH_EXTRA:
        pytest.skip("needs the bench extra (pip install -e '.[bench]')")
    result = helps[0][name]
    assert result["code"] == 0, result
    assert result["out"].startswith("usage: "), result["out"][:200]
    assert "--help" in result["out"] and result["err"] == ""


def test_no_bench_writes_anything_before_parsing_its_arguments(
    helps: tuple[dict[str, dict], Path],
) -> None:
    folder = helps[1]
    assert [p.name for p in folder.iterdir()] == ["tmp"]
    assert not any((folder / "tmp").iterdir())


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


def test_a_synthetic_page_is_the_same_every_time_and_about_its_size() -> None:
    page = harness.synthetic_page(7, 20_000)
    assert page == harness.synthetic_page(7, 20_000) != harness.synthetic_page(8, 20_000)
    assert 20_000 <= len(page) < 22_000 and b"<article>" not in page
    assert b"<article><h1>Story 7</h1>" in harness.synthetic_page(7, 5_000, article=True)


def test_benches_run_as_modules_of_the_package() -> None:
    """``python -m bench.NAME`` from the checkout: no bench edits sys.path or tells the
    reader to run it as a file (the shared code is imported as ``bench.harness``)."""
    for path in sorted((ROOT / "bench").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "sys.path.insert" not in text, path.name
        assert f"python bench/{path.name}" not in text, path.name

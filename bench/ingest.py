"""Ingestion benchmark: how long ``bot.articles.scan`` takes over a folder of seed files.

Usage::

    python -m bench.ingest                 # 1,000 files in a temporary folder
    python -m bench.ingest --files 5000 --repeat 5
    python -m bench.ingest --keep /tmp/seeds-1000   # keep the generated folder

It writes ``--files`` article files into a fresh folder, then times
``scan(folder)`` ``--repeat`` times (the first run draws a progress bar on
stderr) and prints files, articles, skipped, megabytes, seconds and files/s
for each run. The files are a mix, like a real seeds folder:

* variants of the example DW page (``seeds/000_4ebf0534fdb740ea.txt``): other
  title, date format, order of paragraphs, numbers;
* synthetic scraped pages in English, German or French: navigation lists,
  kicker, title, a date in one of several formats, byline, lede, 6-14
  paragraphs with sub-headings, photo caption and credit, agency credit and
  footer furniture; some hard-wrapped at 72 columns, some CRLF, some Latin-1;
* Markdown files with TOML front matter;
* saved web pages (``.html``, about 15 %): metadata, navigation, the article, related
  links and a footer, read with trafilatura;
* about 1 % bad files (empty, binary, navigation only), which are skipped.

Each file's text is distinct, so none is skipped as a duplicate. The files are
written just before timing, so they are in the page cache: the figure is
parsing speed, not disk speed.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

from bot.articles import scan
from bot.progress import ProgressBar

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "seeds" / "000_4ebf0534fdb740ea.txt"

WORDS = {
    "english": """government minister officials said country police election president
    people city year week report security military company market prices economy
    talks agreement plan support opposition leaders parliament court law health
    hospital school children workers union strike protest border region capital
    deal trade energy oil gas power water climate weather storm flood fire
    investigation witnesses statement spokesman agency news sources local national
    international foreign defense budget tax reform vote campaign party coalition
    and the of to in a that for on with was is by as from at which has have were
    will would could their its after before during while about against between""",
    "german": """Regierung Minister Beamte sagte Land Polizei Wahl Präsident Menschen
    Stadt Jahr Woche Bericht Sicherheit Unternehmen Markt Preise Wirtschaft Gespräche
    Abkommen Plan Opposition Parlament Gericht Gesetz Gesundheit Schule Kinder
    Arbeiter Streik Grenze Region Hauptstadt Handel Energie Klima Wetter Behörde
    und der die das in den von zu mit sich des auf für ist im dem nicht ein eine
    als auch es an werden aus er hat dass sie nach wird bei einer über noch""",
    "french": """gouvernement ministre responsables déclaré pays police élection président
    personnes ville année semaine rapport sécurité entreprise marché prix économie
    négociations accord plan opposition parlement tribunal loi santé école enfants
    travailleurs grève frontière région capitale commerce énergie climat météo
    le la les de des et un une du en que qui dans pour pas sur au avec par ce il
    sont plus elle ont aux mais été cette selon entre leur""",
}
HEADINGS = {
    "english": [
        "Growing fears",
        "Historic distrust",
        "What comes next",
        "A long road",
        "Reactions",
    ],
    "german": ["Kritik der Verbände", "Wie es weitergeht", "Lange Vorgeschichte", "Reaktionen"],
    "french": ["Un vote serré", "Les réactions", "Et maintenant", "Un long chemin"],
}
MONTHS = {
    "english": ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"],
    "german": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
               "September", "Oktober", "November", "Dezember"],
    "french": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
}  # fmt: skip
NAV = [
    ["1. Skip to content", "2. Skip to main menu", "3. Skip to more DW sites"],
    ["* Home", "* World", "* Business", "* Sport"],
    ["Home | World | Business | Tech | Culture"],
    ["- Startseite", "- Politik", "- Wirtschaft"],
]
BYLINES = {"english": "By {name}", "german": "Von {name}", "french": "Par {name}"}
NAMES = ["Jane Doe", "John Roe", "Maria Schmidt", "Jean Dupont", "Ana García", "Kim Lee"]
CREDITS = ["ksb/tj (AP, AFP)", "(Reuters)", "dh/rc (dpa, Reuters)", "jm/sms (AFP, dpa)"]
IMAGE_PREFIX = {"english": "Image", "german": "Bild", "french": "Photo"}


def sentence(rng: random.Random, language: str) -> str:
    words = WORDS[language].split()
    chosen = [rng.choice(words) for _ in range(rng.randint(12, 26))]
    chosen[0] = chosen[0].capitalize()
    if rng.random() < 0.3:
        chosen.insert(rng.randint(1, len(chosen) - 1), f"{rng.randint(2, 9999):,}")
    return " ".join(chosen) + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng: random.Random, language: str) -> str:
    return " ".join(sentence(rng, language) for _ in range(rng.randint(2, 5)))


def written_date(rng: random.Random, language: str) -> str:
    year, month, day = rng.randint(2000, 2025), rng.randint(1, 12), rng.randint(1, 28)
    name = MONTHS[language][month - 1]
    return rng.choice(
        [
            f"{name} {day}, {year}" if language == "english" else f"{day}. {name} {year}",
            f"{day} {name} {year}",
            f"{day:02d}.{month:02d}.{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"Published: {year}-{month:02d}-{day:02d}T10:{day:02d}:00Z",
        ]
    )


def synthetic_page(rng: random.Random, number: int) -> tuple[str, str, str]:
    """(file name, text, encoding) of one scraped news page."""
    language = rng.choice(["english", "english", "english", "german", "french"])
    title = " ".join(sentence(rng, language).split()[: rng.randint(5, 10)]).rstrip(".?!")
    lines = [*rng.choice(NAV), ""]
    if rng.random() < 0.5:
        lines += [rng.choice(["Politics", "Asia", "Politik", "Europe"]), ""]
    lines += [title, "", written_date(rng, language), ""]
    if rng.random() < 0.5:
        lines += [BYLINES[language].format(name=rng.choice(NAMES)), ""]
    lines += [paragraph(rng, language), ""]
    lines += [f"https://example.com/p/{number:06d}", sentence(rng, language).rstrip(".?!")]
    lines += [f"{IMAGE_PREFIX[language]}: picture-alliance/dpa/{rng.choice(NAMES)}", ""]
    wrap = rng.random() < 0.3
    for index in range(rng.randint(6, 14)):
        if index and index % 4 == 0:
            lines += [rng.choice(HEADINGS[language]), ""]
        text = paragraph(rng, language)
        lines += [*(textwrap.wrap(text, 72) if wrap else [text]), ""]
    lines += [rng.choice(CREDITS), "", "Share", "", "© 2014 Example Media"]
    newline = "\r\n" if rng.random() < 0.1 else "\n"
    encoding = "latin-1" if language != "english" and rng.random() < 0.3 else "utf-8"
    return f"{number:06d}_page.txt", newline.join(lines) + newline, encoding


def example_variant(rng: random.Random, number: int) -> tuple[str, str, str]:
    """The example DW page with another title, date format, paragraph order and numbers."""
    text = EXAMPLE.read_text(encoding="utf-8")
    head, _, body = text.partition("According to")
    body_paragraphs = ("According to" + body).split("\n\n")
    ending = body_paragraphs.pop()  # keep the agency credit last
    rng.shuffle(body_paragraphs)
    head = head.replace("intel-sharing pact", f"intel-sharing pact no. {number}")
    head = head.replace("December 26, 2014", written_date(rng, "english"))
    body = "\n\n".join([*body_paragraphs, ending]).replace("1910-45", f"1910-{number % 100:02d}")
    return f"{number:06d}_dw.txt", head + body, "utf-8"


def markdown_seed(rng: random.Random, number: int) -> tuple[str, str, str]:
    language = rng.choice(["english", "german", "french"])
    blocks = [
        "+++",
        f'title = "Seed {number}: {sentence(rng, language).rstrip(".?!")[:60]}"',
        f'url = "https://example.org/seeds/{number}"',
        f"date = {rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f'language = "{language}"',
        "+++",
        "",
    ]
    for index in range(rng.randint(6, 12)):
        if index and index % 4 == 0:
            blocks += [f"## {rng.choice(HEADINGS[language])}", ""]
        blocks += [paragraph(rng, language).replace(" and ", " **and** ", 1), ""]
    return f"{number:06d}_seed.md", "\n".join(blocks), "utf-8"


def html_page(rng: random.Random, number: int) -> tuple[str, str, str]:
    """A saved web page: head metadata, navigation, the article, related links, footer."""
    language = rng.choice(["english", "english", "german", "french"])
    code = {"english": "en", "german": "de", "french": "fr"}[language]
    title = " ".join(sentence(rng, language).split()[: rng.randint(5, 10)]).rstrip(".?!")
    nav = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in rng.choice(NAV))
    body = []
    for index in range(rng.randint(6, 14)):
        if index and index % 4 == 0:
            body.append(f"<h2>{rng.choice(HEADINGS[language])}</h2>")
        body.append(f"<p>{paragraph(rng, language)}</p>")
    related = "".join(
        f'<li><a href="/p/{rng.randint(1, 99999)}">{sentence(rng, language)}</a></li>'
        for _ in range(5)
    )
    day = f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    html = (
        f'<!doctype html><html lang="{code}"><head><meta charset="utf-8">'
        f"<title>{title} | Example News</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{day}T08:00:00Z">'
        f'<link rel="canonical" href="https://example.com/html/{number:06d}"></head>'
        f"<body><header><ul>{nav}</ul></header><main><article><h1>{title}</h1>"
        + "".join(body)
        + f"</article><aside><h3>Related</h3><ul>{related}</ul></aside></main>"
        "<footer><p>© 2024 Example Media. All rights reserved.</p></footer></body></html>"
    )
    return f"{number:06d}_page.html", html, "utf-8"


def bad_file(rng: random.Random, number: int) -> tuple[str, bytes]:
    kind = rng.choice(["empty", "binary", "nav"])
    if kind == "empty":
        return f"{number:06d}_empty.txt", b""
    if kind == "binary":
        return f"{number:06d}_image.txt", b"\x89PNG\r\n\x1a\n\x00\x00" + rng.randbytes(4000)
    return f"{number:06d}_nav.txt", "\n".join(rng.choice(NAV)).encode()


def generate(folder: Path, count: int, seed: int) -> int:
    """Write ``count`` files into ``folder``; return the number of bytes written."""
    rng = random.Random(seed)
    total = 0
    for number in range(count):
        roll = rng.random()
        if roll < 0.01:
            name, data = bad_file(rng, number)
        else:
            if roll < 0.25:
                name, text, encoding = example_variant(rng, number)
            elif roll < 0.40:
                name, text, encoding = markdown_seed(rng, number)
            elif roll < 0.55:
                name, text, encoding = html_page(rng, number)
            else:
                name, text, encoding = synthetic_page(rng, number)
            data = text.encode(encoding)
        # A few subfolders, as people organize seeds.
        path = folder / f"batch{number % 4}" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="files to generate (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed scans (3)")
    parser.add_argument("--seed", type=int, default=20141226, help="random seed")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--ingest",
        action="store_true",
        help="then time `digestbot ingest` on the folder (read, store, summarize)",
    )
    args = parser.parse_args(argv)
    # One warning per skipped file would scroll the bar away; they are counted below.
    logging.getLogger("bot.articles").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="digestbot-ingest-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        size = generate(folder, args.files, args.seed)
        print(f"generated {args.files} files, {size / 1e6:.1f} MB, in {folder}")
        print(
            f"{'run':>3} {'files':>6} {'articles':>8} {'skipped':>7} {'seconds':>8} {'files/s':>8}"
        )
        for run in range(1, args.repeat + 1):
            progress = ProgressBar(sys.stderr, label="ingest") if run == 1 else None
            started = time.perf_counter()
            result = scan(folder, progress=progress)
            seconds = time.perf_counter() - started
            files = len(result.articles) + len(result.skipped)
            print(
                f"{run:>3} {files:>6} {len(result.articles):>8} {len(result.skipped):>7} "
                f"{seconds:>8.3f} {files / seconds:>8.0f}"
            )
        reasons = Counter(skipped.reason for skipped in result.skipped)
        for reason, count in sorted(reasons.items()):
            print(f"skipped {count:>3} x {reason}")
        if args.ingest:
            time_ingest(folder)
    return 0


def time_ingest(folder: Path) -> None:
    """`digestbot ingest` as a person runs it (progress bar on stderr), timed."""
    import subprocess

    config = folder.parent / f"{folder.name}-ingest.toml"
    database = folder.parent / f"{folder.name}-ingest.sqlite3"
    config.write_text(f'[seeds]\ndir = "{folder}"\n[storage]\npath = "{database}"\n')
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    print(f"digestbot ingest: {seconds:.1f} s, exit {done.returncode}: {done.stdout.strip()}")
    for path in (config, database):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())

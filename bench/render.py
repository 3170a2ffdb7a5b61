"""Crawl speed with ``--render`` against without, on a small generated world (and the scripted site).

Serves a world of ``--sites`` sites (``--pages-per-site`` pages each) plus ``scripted.test``
(``linkspider.web.scripted``) through the local web, and crawls all of it with ``linkspider
crawl`` three ways, alternating their order over ``--rounds`` rounds: raw HTML only,
``--render`` (every page rendered in headless Chromium) and ``--render-sample 2``. Each
figure is the median over the rounds: pages/s by wall time of the whole command (browser
start-up included) and by the span of ``pages.fetched_at`` (first to last row), the links
rendering added, CPU seconds of the crawl process and its children (Chromium included).
Prints the table and replaces the ``## Rendering`` section of ``bench/RESULTS.md``.

``.venv/bin/python -m bench.render [--rounds 3] [--sites 10] [--pages-per-site 10]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Rendering: crawl --render against raw HTML only"
MODES = {
    "raw": (),
    "render": ("--render",),
    "sample": ("--render-sample", "2"),
}
LABELS = {"raw": "raw HTML only", "render": "--render (every page)", "sample": "--render-sample 2"}


def crawl_once(mode: str, seeds: list[str], proxy: str, out: Path, concurrency: int) -> dict:
    """Run one crawl; return its wall seconds, CPU seconds, pages, span and links added."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "linkspider", "crawl", *seeds, "--proxy", proxy, "--out", str(out),
               "--run-id", mode, "--no-throttle", "--concurrency", str(concurrency), "--quiet",
               "--log-level", "WARNING", "-s", "LINKSPIDER_HISTORY_UPDATE=0", *MODES[mode]]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{mode} crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    pages, first, last, rendered = duckdb.sql(f"""
        SELECT count(*), epoch_us(min(fetched_at)), epoch_us(max(fetched_at)), count(render_status)
        FROM read_parquet('{out}/pages/*/*/*.parquet', union_by_name = true)""").fetchall()[0]  # fmt: skip
    (added,) = duckdb.sql(f"""SELECT count(*) FILTER (WHERE seen_in = 'rendered')
        FROM read_parquet('{out}/links/*/*/*.parquet')""").fetchall()[0]  # fmt: skip
    span = (last - first) / 1e6 if pages > 1 else 0.0
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "pages": pages, "span": span, "rendered": rendered, "added": added}


def table(runs: dict[str, list[dict]]) -> list[str]:
    """Return the Markdown table of the medians."""
    lines = ["| mode | pages | pages rendered | links added by rendering | pages/s (wall) | "
             "pages/s (fetched_at span) | wall s | CPU s (with Chromium) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    base = None
    for mode, rows in runs.items():
        med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        rate = med["pages"] / med["wall"]
        span_rate = med["pages"] / med["span"] if med["span"] else float("nan")
        base = base or rate
        lines.append(f"| {LABELS[mode]} | {med['pages']:.0f} | {med['rendered']:.0f} | {med['added']:.0f} | "
                     f"{rate:.1f} | {span_rate:.1f} | {med['wall']:.1f} | {med['cpu']:.1f} |")  # fmt: skip
    return lines


def write_section(lines: list[str]) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# linkspider benchmark results\n"
    section = "\n".join([SECTION, "", *lines]) + "\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--pages-per-site", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--work", default=str(ROOT / "bench" / "work" / "render"))
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args(argv)
    from linkspider.web import LocalWebProcess, World, WorldConfig
    from linkspider.web.scripted import ScriptedWeb

    world = World(WorldConfig(seed=7, sites=args.sites, pages_per_site=args.pages_per_site))
    source = ScriptedWeb(fallback=world)
    seeds = [*world.seeds(), *source.seeds()]
    work = Path(args.work)
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    with LocalWebProcess(source) as web:
        for round_no in range(args.rounds):
            order = list(MODES) if round_no % 2 == 0 else list(reversed(MODES))
            for mode in order:
                runs[mode].append(crawl_once(mode, seeds, web.proxy_url, work / mode, args.concurrency))
                print(f"round {round_no + 1} {mode}: {runs[mode][-1]}", flush=True)
    lines = table(runs)
    raw_rate = statistics.median(r["pages"] / r["wall"] for r in runs["raw"])
    render_rate = statistics.median(r["pages"] / r["wall"] for r in runs["render"])
    cpu = os.cpu_count()
    lines += [
        "",
        f"- --render / raw, pages/s by wall time: **{render_rate / raw_rate:.2f}**",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; {cpu} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end (a shared machine: other work ran meanwhile)",
        f"- world seed 7: {args.sites} sites x {args.pages_per_site} pages, plus scripted.test; "
        f"concurrency {args.concurrency}, no throttling, {args.rounds} rounds (order alternating), "
        "medians; LINKSPIDER_RENDER_PAGES 4 tabs, LINKSPIDER_RENDER_QUIET 0.5 s (a page settles "
        "no sooner), Debian's chromium",
        f"- command: `.venv/bin/python -m bench.render --rounds {args.rounds} --sites {args.sites} "
        f"--pages-per-site {args.pages_per_site}`",
    ]  # fmt: skip
    print("\n".join(lines))
    if not args.no_write:
        write_section(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

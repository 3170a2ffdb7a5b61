"""Benchmark of ``linkspider extract`` on a GNU wget WARC of the Python docs. Not a test.

Contenders, each a whole process, run in alternating order in one session (the shared machine
drifts), ``--rounds`` times, medians reported (wall seconds, and CPU: user+sys of the process
and its children, from ``getrusage(RUSAGE_CHILDREN)``):

- ``extract``: ``linkspider extract WARC --processes 1`` (links and pages as Parquet);
- ``ceiling``: FastWARC reads the same file and lexbor parses each HTML payload, nothing else
  (``bench/contenders/warc_readers.py``); the goal is ``extract`` >= 0.60 of its speed;
- ``page-work``: the same extract's record reading, page work and pipelines called in a plain
  loop, without Scrapy's engine or crawler (``bench/contenders/page_work.py``): what an extract
  that bypassed the engine could at best reach;
- ``cc-style``: a cc-pyspark-style job: warcio, a regex for ``href``, ``urljoin``, (source,
  target) pairs written to Parquet;
- ``split-p1`` and ``split-p2``: ``extract --processes 1`` and ``2`` on the same records split
  into ``--parts`` files (one file is read by one process); the goal is >= 1.6x on 2 cores;
  each is also run once sampled by psutil for its ``critical_path`` (the wall time with a core
  per process), which the other agents' load does not skew;
- ``split-spark``: ``extract --spark local[2]`` on the split files (one task per file): the
  Spark overhead against ``split-p2`` (its CPU seconds are not measured: the executors are
  the JVM's children);
- ``start-up``: ``extract`` of a 22-record warcio archive: the fixed cost in every extract figure.

The corpus (``bench/warc_corpus.py``; ``--corpus world``: a generated world instead) is cached
in ``bench/.cache/``. ``--profile`` then runs one ``extract`` under py-spy
(``bench/requirements.txt``) and prints where the time goes. ``--smoke``: one round on a tiny
warcio archive, nothing written to RESULTS.md.

``.venv/bin/python -m bench.extract [--copies 2] [--parts 8] [--rounds 3] [--profile]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Web archives: linkspider extract"
RUN_TIMEOUT = 900
CONTENDERS = ("extract", "page-work", "ceiling", "cc-style", "split-p1", "split-p2", "split-spark",
              "start-up")
DESCRIPTIONS = {
    "extract": "`linkspider extract --processes 1`, one file",
    "page-work": "extract's page work and pipelines in a loop, no Scrapy engine",
    "ceiling": "FastWARC + lexbor parse of each HTML payload (ceiling)",
    "cc-style": "cc-pyspark style: warcio + href regex + urljoin, Parquet",
    "split-p1": "`linkspider extract --processes 1`, split files",
    "split-p2": "`linkspider extract --processes 2`, split files",
    "split-spark": "`linkspider extract --spark local[2]`, split files",
    "start-up": "`linkspider extract` of a 22-record archive (start-up)",
}


@dataclass
class Run:
    """One contender run: its times and what it read and wrote."""

    wall_s: float
    cpu_s: float
    pages: int
    links: int
    #: ``--processes N``: the wall seconds the run would take with a core per process, from
    #: each process's CPU seconds and when it started (``critical_path``)
    critical_s: float | None = None


class BenchError(RuntimeError):
    """A contender failed; the message has its exit code and the end of its stderr."""


def timed(command: list[str], cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run ``command`` to completion; return it, its wall seconds and the CPU seconds
    (user+sys) of it and its descendants."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)  # fmt: skip
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command[:6])} ... exited {done.returncode}: "
                         f"{done.stderr.strip()[-800:]}")  # fmt: skip
    return done, wall, cpu


def critical_path(command: list[str], cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``command`` (an extract with worker processes) sampling its process tree with psutil
    every 20 ms; return it and the wall seconds it would take with a core per process: the
    largest, over its processes, of the extract's CPU seconds when the process started plus
    the process's own CPU seconds. A figure the other agents' load does not change (CFS shares
    the cores by session, so two processes of one session get no more CPU than one)."""
    import psutil

    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    root = psutil.Process(process.pid)
    started_at: dict[int, float] = {}  # worker pid -> the extract's CPU seconds when it began
    used: dict[int, float] = {}  # pid -> CPU seconds last seen
    while process.poll() is None:
        try:
            times = root.cpu_times()
            used[root.pid] = times.user + times.system
            for child in root.children(recursive=False):
                child_times = child.cpu_times()
                started_at.setdefault(child.pid, used[root.pid])
                used[child.pid] = child_times.user + child_times.system
        except psutil.Error:
            pass
        time.sleep(0.02)
    stdout, stderr = process.communicate()
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    critical = max([used.get(root.pid, 0.0)] + [started_at[pid] + used[pid] for pid in started_at])
    return done, critical


def extract_command(files: list[Path], out: Path, processes: int, spark: str | None = None
                    ) -> list[str]:  # fmt: skip
    """Return the command line of an extract of ``files`` into ``out`` (``spark``: a master)."""
    workers = ["--spark", spark] if spark else ["--processes", str(processes)]
    return [sys.executable, "-m", "linkspider", "extract", *map(str, files), "--out", str(out),
            *workers, "--quiet", "--log-level", "WARNING"]  # fmt: skip


def dataset_rows(out: Path, table: str) -> int:
    """Return the rows of ``table`` (links or pages) an extract wrote under ``out``."""
    import pyarrow.dataset as ds

    return ds.dataset(out / table, format="parquet", partitioning="hive").count_rows()


def run_extract(files: list[Path], processes: int, work: Path, spark: str | None = None,
                critical: bool = False) -> Run:  # fmt: skip
    """Run ``linkspider extract`` once; return its figures (rows read back from Parquet);
    ``critical``: then once more, sampled, for its ``critical_path``."""
    out = Path(tempfile.mkdtemp(prefix="extract-", dir=work))
    try:
        _, wall, cpu = timed(extract_command(files, out, processes, spark))
        run = Run(wall, cpu, dataset_rows(out, "pages"), dataset_rows(out, "links"))
        if critical:
            shutil.rmtree(out, ignore_errors=True)
            done, run.critical_s = critical_path(extract_command(files, out, processes, spark))
            if done.returncode != 0:
                raise BenchError(f"sampled extract exited {done.returncode}: {done.stderr[-800:]}")
        return run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_reader(reader: str, files: list[Path], work: Path) -> Run:
    """Run one of ``bench/contenders/warc_readers.py``'s readers once; return its figures."""
    out = work / "pairs.parquet"
    done, wall, cpu = timed([sys.executable, "-m", "bench.contenders.warc_readers", reader,
                             *map(str, files), "--out", str(out)])  # fmt: skip
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    if out.exists():
        import pyarrow.parquet as pq

        assert pq.read_metadata(out).num_rows == counts["links"], "pairs written = pairs counted"
        out.unlink()
    return Run(wall, cpu, counts["pages"], counts["links"])


def run_page_work(files: list[Path], work: Path) -> Run:
    """Run ``bench/contenders/page_work.py`` once; return its figures (rows read back)."""
    out = Path(tempfile.mkdtemp(prefix="page-work-", dir=work))
    try:
        done, wall, cpu = timed([sys.executable, "-m", "bench.contenders.page_work",
                                 *map(str, files), "--out", str(out)])  # fmt: skip
        counts = json.loads(done.stdout.strip().splitlines()[-1])
        assert dataset_rows(out, "links") == counts["links"], "rows written = rows counted"
        return Run(wall, cpu, dataset_rows(out, "pages"), counts["links"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_contender(name: str, corpus: dict, work: Path) -> Run:
    """Run contender ``name`` once on the ``corpus`` files."""
    if name == "extract":
        return run_extract([corpus["warc"]], 1, work)
    if name == "page-work":
        return run_page_work([corpus["warc"]], work)
    if name == "split-spark":
        return run_extract(corpus["parts"], 2, work, spark="local[2]")
    if name == "ceiling":
        return run_reader("ceiling", [corpus["warc"]], work)
    if name == "cc-style":
        return run_reader("cc-style", [corpus["warc"]], work)
    if name == "start-up":
        return run_extract([corpus["tiny"]], 1, work)
    return run_extract(corpus["parts"], 2 if name == "split-p2" else 1, work, critical=True)


def median_run(runs: list[Run]) -> Run:
    """Return the medians of wall and CPU time (counts of the first run: all are equal)."""
    return Run(statistics.median(r.wall_s for r in runs), statistics.median(r.cpu_s for r in runs),
               runs[0].pages, runs[0].links)  # fmt: skip


def ratio_line(label: str, fast: list[Run], slow: list[Run], goal: float | None = None,
               cpu_ratio: bool = True) -> str:  # fmt: skip
    """Return a line with the median of slow/fast wall times per round, the rounds and (with
    ``cpu_ratio``) the ratio of the CPU seconds; ``goal``: say whether the median meets it."""
    per_round = [s.wall_s / f.wall_s for f, s in zip(fast, slow)]
    value = statistics.median(per_round)
    cpu = statistics.median(s.cpu_s for s in slow) / statistics.median(f.cpu_s for f in fast)
    text = (f"- {label}: **{value:.2f}** (rounds: {', '.join(f'{r:.2f}' for r in per_round)}"
            + (f"; by CPU seconds: {cpu:.2f})" if cpu_ratio else ")"))
    if goal is not None:
        text += f"; goal >= {goal}: " + ("met" if value >= goal else f"missed by {goal / value:.1f}x")
    return text


def table_lines(runs: dict[str, list[Run]], corpus: dict) -> list[str]:
    """Return the Markdown table of the medians, per contender."""
    mb = corpus["bytes"] / 1e6
    lines = ["| contender | processes | wall s | CPU s | pages | links | pages/s | links/s "
             "| MB/s | pages/s per core | links/s per core | MB/s per core | links per CPU s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name in CONTENDERS:
        if name not in runs:
            continue
        run = median_run(runs[name])
        cores = 2 if name in ("split-p2", "split-spark") else 1
        size = corpus["tiny_bytes"] / 1e6 if name == "start-up" else mb
        links = f"{run.links:,}" if run.links else "-"
        rate = run.links / run.wall_s
        lines.append(
            # Spark's executors are the JVM's children, which getrusage of this process misses
            f"| {DESCRIPTIONS[name]} | {cores} | {run.wall_s:.2f} "
            f"| {'n/a' if name == 'split-spark' else f'{run.cpu_s:.2f}'} | {run.pages:,} "
            f"| {links} | {run.pages / run.wall_s:,.0f} | {f'{rate:,.0f}' if run.links else '-'} "
            f"| {size / run.wall_s:.2f} | {run.pages / run.wall_s / cores:,.0f} "
            f"| {f'{rate / cores:,.0f}' if run.links else '-'} | {size / run.wall_s / cores:.2f} "
            f"| {f'{run.links / run.cpu_s:,.0f}' if run.links and name != 'split-spark' else '-'} |")
    return lines


def summary_lines(runs: dict[str, list[Run]]) -> list[str]:
    """Return the ratio lines of the acceptance goals."""
    lines = []
    if "ceiling" in runs:
        lines.append(ratio_line("extract / ceiling (speed; same file)", runs["extract"],
                                runs["ceiling"], goal=0.60))  # fmt: skip
        if "start-up" in runs:
            startup = statistics.median(r.wall_s for r in runs["start-up"])
            work = statistics.median(r.wall_s for r in runs["extract"]) - startup
            ceiling = statistics.median(r.wall_s for r in runs["ceiling"])
            if work > 0:
                lines.append(f"- extract / ceiling with the extract's start-up ({startup:.1f} s) "
                             f"taken off: {ceiling / work:.2f}")  # fmt: skip
    if "cc-style" in runs:
        lines.append(ratio_line("extract / cc-style (speed; same file)", runs["extract"],
                                runs["cc-style"]))  # fmt: skip
    if "split-p2" in runs and "split-p1" in runs:
        lines.append(ratio_line("--processes 2 / --processes 1 (split files)", runs["split-p2"],
                                runs["split-p1"], goal=1.6, cpu_ratio=False))  # fmt: skip
        one, two = (statistics.median(r.cpu_s for r in runs[n]) for n in ("split-p1", "split-p2"))
        lines.append(f"- two processes use {two / one:.2f}x the CPU seconds of one: with two idle "
                     f"cores --processes 2 could reach at most {2 * one / two:.2f}x")  # fmt: skip
        critical = [(a.critical_s, b.critical_s) for a, b in zip(runs["split-p1"], runs["split-p2"])
                    if a.critical_s and b.critical_s]  # fmt: skip
        if critical:
            per_round = [a / b for a, b in critical]
            lines.append(
                "- --processes 2 / --processes 1 with a core per process (each process's CPU "
                "seconds from when it started, sampled: `critical_path`): "
                f"**{statistics.median(per_round):.2f}** (rounds: "
                f"{', '.join(f'{r:.2f}' for r in per_round)}; critical path "
                f"{statistics.median(b for _, b in critical):.2f} s against "
                f"{statistics.median(a for a, _ in critical):.2f} s); goal >= 1.6: "
                + ("met" if statistics.median(per_round) >= 1.6 else "missed"))
    if "page-work" in runs:
        lines.append(ratio_line("extract / page-work (what the engine, the crawler's start-up "
                                "and the run record cost)", runs["extract"], runs["page-work"]))
        if "ceiling" in runs:
            lines.append(ratio_line("page-work / ceiling (the page work's own cost: the best an "
                                    "extract without the engine could reach)", runs["page-work"],
                                    runs["ceiling"], goal=0.60))  # fmt: skip
    if "split-spark" in runs and "split-p2" in runs:
        spark, local = (statistics.median(r.wall_s for r in runs[n]) for n in ("split-spark", "split-p2"))
        lines.append(ratio_line("Spark local[2] overhead: --spark local[2] wall / --processes 2 wall",
                                runs["split-p2"], runs["split-spark"], cpu_ratio=False)
                     + f"; {spark - local:+.1f} s")
    return lines


def git_commit() -> str:
    """Return the short commit of the working tree (``+dirty`` when it has changes other than
    RESULTS.md, which the runs write)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()  # fmt: skip

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def write_results(path: Path, section: str, lines: list[str]) -> None:
    """Put ``lines`` into ``path`` as the section headed ``section``, replacing an earlier one."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# linkspider benchmark results\n"
    start = text.find(section + "\n")
    body = "\n".join([section, "", *lines]) + "\n"
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(section))
        text = text[:start] + body + (text[end + 1:] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def make_corpus(args: argparse.Namespace, work: Path) -> dict:
    """Return the corpus files: the WARC, its split parts, the tiny start-up archive."""
    from bench.warc_corpus import docs_warc, split_warc, tiny_warc, world_warc

    tiny = tiny_warc(work / "tiny.warc.gz")
    if args.smoke:
        warc = tiny_warc(work / "smoke.warc.gz", pages=60)
    elif args.corpus == "world":
        warc = world_warc(args.sites, args.pages)
    else:
        warc = docs_warc(args.copies)
    parts = split_warc(warc, args.parts)
    return {"warc": warc, "parts": parts, "tiny": tiny, "bytes": warc.stat().st_size,
            "tiny_bytes": tiny.stat().st_size}  # fmt: skip


#: Stage -> frames of an extract's profile (the frame nearest the leaf decides, as in
#: ``bench.profile.STAGES``): cap_nesting and cut_after_links inside parse_document count as
#: themselves, the rest of parse_document is extract_page (lexbor parse and the link walk).
EXTRACT_STAGES = {
    "imports (start-up)": [("_call_with_frames_removed", "<frozen importlib._bootstrap>")],
    "reading records (FastWARC, HTTP response built)": [("_read_with_fastwarc", "archives/records.py")],
    "cap_nesting (depth-cap scan of the markup; C when _nestscan is built)": [("cap_nesting", "extraction/nesting.py")],
    "cut_after_links (links-per-page bound)": [("cut_after_links", "extraction/parsing.py")],
    "fill_link_contexts (context, word count)": [("fill_link_contexts", "extraction/page.py")],
    "resolve_links (ada join, host, domain)": [("resolve_links", "extraction/links.py")],
    "extract_page (lexbor parse, links, regions, dom_path)": [("extract_page", "extraction/page.py")],
    "rest of parse_page (decode, sha1, page facts)": [("parse_page", "spiders/backlinks.py"),
                                                      ("_page_output", "spiders/backlinks.py")],
    "normalize pipeline (anchor, rel, follow)": [("process_item", "pipelines/normalize.py")],
    "dedupe pipeline": [("process_item", "pipelines/dedupe.py")],
    "parquet export (buffers, Arrow, zstd write)": [("process_item", "pipelines/parquet.py"),
                                                    ("close_spider", "pipelines/parquet.py")],
}


def profile_extract(warc: Path, work: Path) -> list[str]:
    """Return where one ``extract --processes 1`` of ``warc`` spends its time, as lines."""
    py_spy = Path(sys.executable).parent / "py-spy"
    out = work / "profile-out"
    command = extract_command([warc], out, 1)
    if py_spy.exists():  # sampling: the shares are not skewed as cProfile's are
        from bench.profile import profile_command, summarize

        collapsed = profile_command(command, output=work / "extract.txt", cwd=ROOT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        found = summarize(collapsed, top=20, stages_of=EXTRACT_STAGES,
                          rest="Scrapy, Twisted, the parse threads' hand-off and the rest")
        lines = [f"py-spy, {found['samples']} samples at 250 Hz of one `linkspider extract "
                 "--processes 1` (start-up included)", "", "| where | share |", "|---|---:|"]
        lines += [f"| {k} | {v * 100:.1f}% |" for k, v in found["stages"].items()]
        lines += ["", "| function (self time) | share |", "|---|---:|"]
        lines += [f"| `{n}` | {s * 100:.1f}% |" for n, s in found["top_self"]]
        lines += ["", "| linkspider function (inclusive) | share |", "|---|---:|"]
        lines += [f"| `{n}` | {s * 100:.1f}% |" for n, s in found["top_inclusive_project"]]
        return lines
    raise BenchError(f"{py_spy} is missing: .venv/bin/pip install -r bench/requirements.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2,
                        help="copies of the docs in the archive (530 HTML pages each)")
    parser.add_argument("--corpus", choices=("docs", "world"), default="docs",
                        help="the Python docs (default) or a generated world (small pages)")
    parser.add_argument("--sites", type=int, default=200, help="sites of the world corpus")
    parser.add_argument("--pages", type=int, default=10, help="pages per site of the world corpus")
    parser.add_argument("--parts", type=int, default=8, help="files the split contenders read")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders, comma-separated")
    parser.add_argument("--profile", action="store_true", help="then profile one extract")
    parser.add_argument("--smoke", action="store_true",
                        help="one round on a tiny warcio archive; RESULTS.md is left alone")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file to write the section to")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.parts = 1, 2
    sys.path.insert(0, str(ROOT))
    from bench.warc_corpus import CorpusError

    names = [n for n in CONTENDERS if n in args.only.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-extract-"))
    try:
        corpus = make_corpus(args, work)
        started, load_before = datetime.now(timezone.utc), os.getloadavg()[0]
        print(f"corpus: {corpus['warc']} ({corpus['bytes'] / 1e6:.1f} MB), {len(corpus['parts'])} "
              f"split files; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}", flush=True)
        runs: dict[str, list[Run]] = {n: [] for n in names}
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                runs[name].append(run_contender(name, corpus, work))
                last = runs[name][-1]
                print(f"  round {round_ + 1} {name}: {last.wall_s:.2f} s wall, {last.cpu_s:.2f} s CPU, "
                      f"{last.pages} pages, {last.links} links", flush=True)
        load = os.getloadavg()[0]
        lines = table_lines(runs, corpus) + [""] + summary_lines(runs)
        print("\n" + "\n".join(lines))
        profile = profile_extract(corpus["warc"], work) if args.profile else []
        if profile:
            print("\n" + "\n".join(profile))
    except (CorpusError, BenchError) as exc:
        print(f"bench.extract: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.smoke:
        command = ".venv/bin/python -m bench.extract " + " ".join(argv if argv is not None else sys.argv[1:])
        if args.corpus == "world":
            what = (f"GNU wget's WARC of a generated world (seed 7, {args.sites} sites x "
                    f"{args.pages} pages, 3 external links a page) through the local web")
        else:
            what = (f"GNU wget's WARC of {args.copies} copies of the Python 3.11 docs (Debian "
                    "python3.11-doc) served on 127.0.0.1")
        head = [
            f"- date: {started:%Y-%m-%d %H:%M} UTC; commit {git_commit()}; {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; load average {load_before:.1f} at the start, "
            f"{load:.1f} at the end (the machine is shared with other agents: wall times drift, "
            "CPU seconds less)",
            f"- command: `{command.strip()}`",
            f"- corpus: `{corpus['warc'].name}`, {what}: {corpus['bytes'] / 1e6:.1f} MB gzip, "
            f"{median_run(runs.get('ceiling') or runs[names[0]]).pages:,} response "
            f"records; split into {len(corpus['parts'])} files at record boundaries for the split "
            "contenders",
            f"- {args.rounds} rounds, contender order rotated each round; medians; whole processes "
            "(start-up included); CPU = user+sys of the process and its children",
            "",
        ]  # fmt: skip
        section = SECTION + (" (generated world)" if args.corpus == "world" else "")
        write_results(Path(args.results), section,
                      head + lines + ([""] + profile if profile else []))
        print(f"\nwritten to {args.results} ({section})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

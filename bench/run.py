"""The linkspider benchmark, in one command: ``.venv/bin/python bench/run.py [--rounds N] [--quick]``.

Serves two targets on 127.0.0.1 (the Python 3.11 docs through nginx; a generated world of
>= 200 sites through linkspider's local web proxy), runs four contenders on the same URL list
of each target, alternating their order over ``--rounds`` rounds (no-op Scrapy spider,
LinkExtractor spider, advertools' crawl, linkspider), measures linkspider's per-page work on
one core in-process, runs a >= 1,000,000-link scale crawl with RSS marks, times three DuckDB
queries on its dataset, profiles linkspider's crawl with py-spy, prints the tables and writes
``bench/RESULTS.md``. Work files go to ``bench/work/`` (git-ignored). Not part of the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))


def ensure_python_packages() -> None:
    """Install ``bench/requirements.txt`` into this interpreter's venv when a module is missing."""
    try:
        import advertools  # noqa: F401
        import psutil  # noqa: F401
    except ImportError:
        print("installing bench/requirements.txt", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r",
                        str(BENCH / "requirements.txt")], check=True)  # fmt: skip
    if not (Path(sys.executable).parent / "py-spy").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r",
                        str(BENCH / "requirements.txt")], check=True)  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per target (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="1 round, smaller world and scale run (a smoke test, minutes)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="concurrent requests, in total and per host, for every contender")
    parser.add_argument("--targets", default="docs,world", help="docs,world")
    parser.add_argument("--contenders", default="noop,linkextractor,advertools,linkspider")
    parser.add_argument("--world-sites", type=int, default=200)
    parser.add_argument("--world-pages-per-site", type=int, default=10)
    parser.add_argument("--scale-sites", type=int, default=300)
    parser.add_argument("--scale-pages-per-site", type=int, default=70)
    parser.add_argument("--scale-external-links", type=int, default=10)
    parser.add_argument("--no-scale", action="store_true", help="skip the scale run and queries")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the one-core benchmark")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy/linkspider setting for linkspider's runs (repeatable)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per contender run")
    parser.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="Markdown output")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
        args.scale_sites, args.scale_pages_per_site = 200, 15
    return args


def run_contender(contender: str, target, urls_file: Path, run_dir: Path, args, round_no: int,
                  expected_pages: int) -> dict:  # fmt: skip
    """Run one contender on one target once; return its metrics."""
    from bench.contenders.commands import count_output_links, invocation
    from bench.measure import directory_bytes, read_crawl_stats, run_process

    shutil.rmtree(run_dir, ignore_errors=True)
    inv = invocation(contender, urls_file=urls_file, run_dir=run_dir,
                     concurrency=args.concurrency, proxy=target.proxy,
                     allowed_domains=target.allowed_domains(),
                     linkspider_settings=args.setting)  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    proc = run_process(inv.command, cwd=inv.cwd, env=inv.env, log=run_dir / "log.txt",
                       timeout=args.timeout)  # fmt: skip
    stats = read_crawl_stats(inv.stats_dir)
    pages = sum(s["pages"] for s in stats)
    elapsed = sum(s["elapsed_s"] for s in stats)
    cpu = sum(s["cpu_user_s"] + s["cpu_sys_s"] for s in stats)
    pids = {s["pid"] for s in stats}
    links = count_output_links(contender, inv.output, stats)
    output_bytes = directory_bytes(inv.output) if contender != "noop" else 0
    ok = proc.returncode == 0 and not proc.timed_out and pages == expected_pages
    metrics = {
        "round": round_no, "contender": contender, "ok": ok, "returncode": proc.returncode,
        "timed_out": proc.timed_out, "processes": len(stats), "pages": pages, "links": links,
        "elapsed_s": elapsed, "wall_s": proc.wall_s,
        "pages_per_s": pages / elapsed if elapsed else None,
        "links_per_s": links / elapsed if elapsed and links else None,
        "links_per_page": links / pages if pages and links else None,
        "cpu_s": cpu, "tree_cpu_s": proc.tree_cpu_s,
        "cpu_per_1000_pages": 1000 * cpu / pages if pages else None,
        "peak_rss_mb": proc.peak_rss(pids) / 1e6, "tree_peak_rss_mb": proc.peak_rss() / 1e6,
        "output_bytes": output_bytes,
        "bytes_per_link": output_bytes / links if links else None,
    }  # fmt: skip
    if not ok:
        print(f"  ! {contender} round {round_no}: rc={proc.returncode} pages={pages}/{expected_pages}"
              f" timed_out={proc.timed_out}; see {run_dir / 'log.txt'}", flush=True)  # fmt: skip
    return metrics


def bench_target(target, work: Path, args, contenders: list[str]) -> dict:
    """Run the rounds on one (started) target; return its runs."""
    urls = target.urls()
    urls_file = work / f"urls-{target.name}.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    print(f"\n== {target.name}: {target.describe()}", flush=True)
    runs = []
    for round_no in range(args.rounds):
        order = contenders if round_no % 2 == 0 else list(reversed(contenders))
        for contender in order:
            metrics = run_contender(contender, target, urls_file,
                                    work / target.name / f"round{round_no}" / contender,
                                    args, round_no, len(urls))  # fmt: skip
            runs.append(metrics)
            print(f"  round {round_no} {contender:13s} {metrics['pages_per_s'] or 0:8.1f} pages/s "
                  f"{metrics['links_per_s'] or 0:9.0f} links/s  cpu {metrics['cpu_s']:6.2f} s  "
                  f"rss {metrics['peak_rss_mb']:5.0f} MB", flush=True)  # fmt: skip
    return {"description": target.describe(), "urls": len(urls), "runs": runs}


def profile_target(target, work: Path, args) -> dict:
    """Profile one linkspider crawl of the target's URL list with py-spy."""
    from bench.contenders.commands import invocation
    from bench.profile import profile_command, summarize

    run_dir = work / target.name / "profile"
    shutil.rmtree(run_dir, ignore_errors=True)
    inv = invocation("linkspider", urls_file=work / f"urls-{target.name}.txt", run_dir=run_dir,
                     concurrency=args.concurrency, proxy=target.proxy, allowed_domains=[],
                     linkspider_settings=args.setting)  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    raw = profile_command(inv.command, output=run_dir / "py-spy.txt", cwd=inv.cwd, env=inv.env,
                          timeout=args.timeout)  # fmt: skip
    return summarize(raw)


def pipeline_bench(target, work: Path, args) -> dict:
    """Run ``bench.pipeline`` for the target in a subprocess pinned to one CPU."""
    from bench.contenders.commands import clean_env

    command = [sys.executable, "-m", "bench.pipeline", "--target", target.name,
               "--urls-file", str(work / f"urls-{target.name}.txt"),
               "--out", str(work / target.name / "pipeline-out"), "--passes", "5"]  # fmt: skip
    if target.name == "docs":
        command += ["--docs-base", target.base_url]
    else:
        c = target.config
        command += ["--world-sites", str(c.sites), "--world-pages-per-site", str(c.pages_per_site),
                    "--world-external-links", str(c.external_links_per_page),
                    "--world-seed", str(c.seed)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                          check=True, timeout=args.timeout)  # fmt: skip
    return json.loads(done.stdout)


def scale_run(work: Path, args) -> tuple[dict, Path]:
    """Crawl a large world with linkspider (following links); return RSS marks and the dataset."""
    from bench.contenders.commands import invocation
    from bench.measure import directory_bytes, read_crawl_stats, run_process
    from bench.targets import WorldTarget

    run_dir = work / "scale"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    with WorldTarget(work / "scale-web", sites=args.scale_sites,
                     pages_per_site=args.scale_pages_per_site,
                     external_links_per_page=args.scale_external_links) as target:  # fmt: skip
        seeds = run_dir / "seeds.txt"
        seeds.write_text("\n".join(target.seeds()) + "\n", encoding="utf-8")
        inv = invocation("linkspider", urls_file=seeds, run_dir=run_dir,
                         concurrency=args.concurrency, proxy=target.proxy, allowed_domains=[],
                         linkspider_settings=args.setting, max_depth=1000, run_id="scale")  # fmt: skip
        command, out, stats_dir = inv.command, inv.output, inv.stats_dir
        c = target.config
        description = (f"a generated world of {c.sites} sites x {c.pages_per_site} pages, "
                       f"{c.external_links_per_page} external links per page, following links")  # fmt: skip
        print(f"\n== scale: {description}", flush=True)
        proc = run_process(command, cwd=inv.cwd, env=inv.env, log=run_dir / "log.txt",
                           timeout=max(args.timeout, 1500))  # fmt: skip
    stats = read_crawl_stats(stats_dir)
    if not stats:
        raise RuntimeError(f"the scale crawl wrote no stats; see {run_dir / 'log.txt'}")
    record = stats[0]
    pids = {record["pid"]}
    progress = record["progress"]
    final_links = progress[-1][2]
    marks = []
    for percent in (10, 50, 100):
        when, links = next((t, n) for t, _, n in progress if n >= final_links * percent / 100)
        marks.append({"percent": percent, "links": links, "time": when,
                      "peak_rss_mb": proc.peak_rss_until(when, pids) / 1e6})  # fmt: skip
    marks[-1]["peak_rss_mb"] = proc.peak_rss(pids) / 1e6  # the end of the run: every sample
    result = {
        "description": description, "command": shlex.join(command),
        "returncode": proc.returncode, "pages": record["pages"],
        "links": int(record["stats"].get("linkspider/links_rows_written", final_links)),
        "links_normalized": final_links, "elapsed_s": record["elapsed_s"],
        "cpu_s": record["cpu_user_s"] + record["cpu_sys_s"],
        "output_bytes": directory_bytes(out), "rss_marks": marks,
        "rss_growth_mb": marks[-1]["peak_rss_mb"] - marks[0]["peak_rss_mb"],
        "rss_samples": [(t, per.get(record["pid"], 0)) for t, _, per in proc.samples],
    }  # fmt: skip
    print(f"  {result['pages']:,} pages, {result['links']:,} links in {result['elapsed_s']:.0f} s; "
          f"RSS marks {[round(m['peak_rss_mb']) for m in marks]} MB", flush=True)  # fmt: skip
    return result, out


def time_queries(dataset: Path) -> dict:
    from bench.contenders.commands import clean_env

    done = subprocess.run([sys.executable, "-m", "bench.queries", "--dataset", str(dataset)],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    import duckdb

    result["duckdb_version"] = duckdb.__version__
    result["repeats"] = 5
    return result


NOTES = [
    "- pages/s and links/s are measured inside each crawling process, from `spider_opened` to "
    "`spider_closed` (interpreter start-up and imports excluded); CPU is that window's user+sys "
    "time of the crawling process (`getrusage`); peak RSS is the crawling process's, sampled "
    "with psutil every 0.2 s. advertools' `crawl` splits a URL list longer than its "
    "100,000-character command-line limit into consecutive `scrapy runspider` processes: their "
    "windows and CPU are added, and the peak RSS is the largest of them.",
    "- links/s counts the links each contender writes: linkspider every link, redirect rows "
    "included; LinkExtractor its defaults (unique per page, no mailto:, images, .pdf ...); "
    "advertools the `links_url` entries of its rows. Output bytes: files written "
    "(Parquet for linkspider, JSON lines for the others).",
    "- All contenders obey robots.txt and log at INFO (advertools' default is DEBUG, which "
    "costs it more); the no-op, LinkExtractor and advertools contenders reach the world through "
    "`http_proxy` (robots.txt too), linkspider through `--proxy`; linkspider runs with "
    "`--max-depth 0` so it fetches exactly the listed URLs.",
    "- On the world, the no-op, LinkExtractor and advertools contenders fetch 86 pages fewer "
    "(the `!` lines of the log): Scrapy's MetaRefreshMiddleware, on in their settings, takes the "
    "world's `<meta http-equiv=refresh>` pages for redirects to pages already requested, and its "
    "duplicate filter drops them, so those pages and their links never reach the spider. "
    "linkspider turns that middleware off and records such a page, its links and a "
    "`meta_refresh` link.",
    "- Peak RSS of the scale run is marked where the crawl's normalized-links counter "
    "(`linkspider/links`, sampled in-process every 0.2 s) first reaches 10%, 50% and 100% of "
    "its final value; each figure is the highest RSS sampled up to that moment.",
]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_python_packages()
    from bench import report
    from bench.targets import DocsTarget, WorldTarget, ensure_apt_packages

    ensure_apt_packages()
    started = dt.datetime.now(dt.timezone.utc)
    work = BENCH / "work" / started.strftime("%Y%m%dT%H%M%SZ")
    work.mkdir(parents=True, exist_ok=True)
    import psutil

    results: dict = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / 2**30,
        "platform": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "command": shlex.join([os.path.relpath(sys.executable, ROOT), "bench/run.py",
                               *(argv if argv is not None else sys.argv[1:])]),
        "rounds": args.rounds, "concurrency": args.concurrency,
        "targets": {}, "pipeline": {}, "profile": {}, "notes": NOTES,
    }  # fmt: skip
    contenders = args.contenders.split(",")
    for name in filter(None, args.targets.split(",")):
        target = (DocsTarget(work) if name == "docs" else
                  WorldTarget(work, sites=args.world_sites, pages_per_site=args.world_pages_per_site))  # fmt: skip
        with target:
            results["targets"][name] = bench_target(target, work, args, contenders)
            if "linkspider" in contenders and not args.no_profile:
                print(f"  profiling linkspider on {name}", flush=True)
                results["profile"][name] = profile_target(target, work, args)
        if not args.no_pipeline:
            print(f"  one-core pipeline benchmark on {name}", flush=True)
            results["pipeline"][name] = pipeline_bench(target, work, args)
    if not args.no_scale:
        results["scale"], dataset = scale_run(work, args)
        results["queries"] = time_queries(dataset)
    results["finished"] = dt.datetime.now(dt.timezone.utc).isoformat()
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    shutil.copyfile(work / "results.json", BENCH / "work" / "latest.json")
    text = report.render(results)
    print("\n" + text)
    Path(args.results).write_text(text + "\n", encoding="utf-8")
    print(f"\nwrote {args.results}; raw results in {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

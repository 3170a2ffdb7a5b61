"""The ``linkspider`` command: ``crawl``, ``runs``, ``web``, ``demo``, ``report`` and ``deploy``.

``linkspider crawl`` runs the ``backlinks`` spider through Scrapy's engine with the project
settings, as ``scrapy crawl backlinks`` does, with options for the common settings and
``-s NAME=VALUE`` for any other. Its exit code says how the run ended
(``linkspider.runs.exitcodes``; README, Exit codes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from linkspider import __version__


def _setting_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by ``crawl`` and ``demo``."""
    parser.add_argument("--out", metavar="DIR", help="dataset root (default: output)")
    parser.add_argument("--run-id", help="identifier of this run (default: from the time)")
    parser.add_argument("--max-depth", type=int, help="links followed from a seed (default 5)")
    parser.add_argument("--max-pages-per-site", type=int,
                        help="pages requested per site at most (default 1000; 0 = no limit)")
    parser.add_argument("--external-hops", type=int,
                        help="other sites followed this many hops out (default 0)")
    parser.add_argument("--proxy", metavar="URL", help="HTTP proxy for every request")
    parser.add_argument("--allow-private-addresses", action="store_true",
                        help="allow loopback and private addresses (refused by default)")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="concurrent requests, in total and per host")
    parser.add_argument("--no-throttle", action="store_true",
                        help="turn AutoThrottle off (benchmarks, trusted hosts)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[],
                        type=_setting_pair, metavar="NAME=VALUE", help="any Scrapy setting")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress: no live status line, no progress log lines")


def crawl_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the Scrapy settings that ``args`` asks for (command-line priority)."""
    settings: dict[str, Any] = {}
    if args.out:
        settings["LINKSPIDER_OUTPUT_DIR"] = args.out
    if args.run_id:
        settings["LINKSPIDER_RUN_ID"] = args.run_id
    if args.max_depth is not None:
        settings["LINKSPIDER_MAX_DEPTH"] = args.max_depth
    if args.max_pages_per_site is not None:
        settings["LINKSPIDER_MAX_PAGES_PER_SITE"] = args.max_pages_per_site
    if args.external_hops is not None:
        settings["LINKSPIDER_EXTERNAL_HOPS"] = args.external_hops
    if getattr(args, "redis", None):  # one crawl on many workers (linkspider.distributed)
        settings["LINKSPIDER_REDIS_URL"] = args.redis
    settings.update(fetch_settings(args))
    return settings


def fetch_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the settings of the fetch options ``crawl`` shares with ``check-targets``
    (proxy, private addresses, concurrency, throttle, log level, progress, ``-s``)."""
    settings: dict[str, Any] = {}
    if args.proxy:
        settings["LINKSPIDER_PROXY"] = args.proxy
    if args.allow_private_addresses:
        settings["LINKSPIDER_ALLOW_PRIVATE_ADDRESSES"] = True
    if args.concurrency:
        settings["CONCURRENT_REQUESTS"] = args.concurrency
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = args.concurrency
    if args.no_throttle:
        settings["AUTOTHROTTLE_ENABLED"] = False
        settings["DOWNLOAD_DELAY"] = 0
    if args.log_level:
        settings["LOG_LEVEL"] = args.log_level.upper()
    if args.quiet:
        settings["LINKSPIDER_PROGRESS"] = "off"
    settings.update(dict(args.settings))
    return settings


def run_crawl(seeds: Sequence[str], overrides: dict[str, Any], seeds_file: str | None = None) -> dict:
    """Run the ``backlinks`` spider in this process; return the crawl's final stats.

    Raises ``RunSetupError`` or ``InvalidRunId`` (usage), ``OutputNotWritable`` (checked before
    any request is made), or what made the crawl fail to start.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from linkspider.dataset.layout import ensure_writable
    from linkspider.runs.context import RunContext, RunSetupError
    from linkspider.spiders.backlinks import BacklinksSpider, read_seeds

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    shared = bool(settings.get("LINKSPIDER_REDIS_URL"))
    if shared:  # a worker of a distributed run
        from linkspider.distributed.worker import distributed_settings, join_run

        distributed_settings(settings)
        context = join_run(settings)
    else:
        context = RunContext.from_settings(settings)  # validates the run id, JOBDIR, resume
    settings.set("LINKSPIDER_RUN_ID", context.run_id, priority="cmdline")
    seed_urls = read_seeds(list(seeds), seeds_file)  # fail early, before Scrapy starts
    if not seed_urls and context.previous is not None:
        if context.previous.seeds_count != len(context.previous.seeds):
            raise RunSetupError(f"run {context.run_id} had {context.previous.seeds_count} seeds, "
                                "more than its record keeps: give the same --seeds-file")  # fmt: skip
        seed_urls = list(context.previous.seeds)
    if not seed_urls and not shared:
        raise RunSetupError("no seeds: give URLs or --seeds-file FILE")
    ensure_writable(context.root, context.run_id)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BacklinksSpider)
    RunContext._by_crawler[crawler] = context
    failures: list[Any] = []
    extra = {"shared_frontier": True} if shared else {}
    process.crawl(crawler, seeds=seed_urls, **extra).addErrback(failures.append)
    process.start()
    if failures:
        failures[0].raiseException()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    stats["linkspider/run_id"] = context.run_id
    stats["linkspider/output_dir"] = str(context.root)
    return stats


def _finish(stats: dict, report: bool) -> int:
    from linkspider.runs.exitcodes import ExitCode

    reason = stats.get("finish_reason")
    code = ExitCode(stats.get("linkspider/exit_code", ExitCode.ENDED_EARLY))
    run = f"run {stats.get('linkspider/run_id')}"
    if report and stats.get("linkspider/pages_rows_written"):
        from linkspider.dataset.run_summary import summarize

        print(summarize(stats["linkspider/output_dir"], stats["linkspider/run_id"]))
    if code == ExitCode.OUTPUT_FAILED:
        print(f"linkspider: {stats.get('linkspider/output_error')}", file=sys.stderr)
    elif code == ExitCode.ENDED_EARLY and stats.get("linkspider/redis_worker"):
        print(f"linkspider: this worker of {run} ended early ({reason}); its files are complete "
              "and its unfinished requests are back in the run's queue; other workers, or one "
              "started with the same --redis and --run-id, continue it", file=sys.stderr)
    elif code == ExitCode.ENDED_EARLY:
        print(f"linkspider: {run} ended early ({reason}); the files written are complete; "
              f"continue it with --resume {stats.get('linkspider/run_id')}", file=sys.stderr)
    elif code == ExitCode.NOTHING_FETCHED:
        print(f"linkspider: {run} fetched nothing: no page answered 2xx. Check the seeds, the "
              "network or proxy and robots.txt; the pages table says why each failed",
              file=sys.stderr)  # fmt: skip
    return int(code)


def cmd_crawl(args: argparse.Namespace) -> int:
    from linkspider.dataset.layout import OutputNotWritable
    from linkspider.runs import ExitCode, InvalidRunId
    from linkspider.runs.context import RunSetupError

    if not args.urls and not args.seeds_file and not args.resume and not args.redis:
        print("linkspider crawl: give seed URLs or --seeds-file FILE", file=sys.stderr)
        return ExitCode.USAGE
    overrides = crawl_settings(args)
    if args.resume:
        overrides.update(LINKSPIDER_RUN_ID=args.resume, LINKSPIDER_RESUME=True)
    try:
        stats = run_crawl(args.urls, overrides, args.seeds_file)
    except OutputNotWritable as exc:
        print(f"linkspider crawl: {exc}", file=sys.stderr)
        return ExitCode.OUTPUT_NOT_WRITABLE
    except (RunSetupError, InvalidRunId, ValueError, OSError) as exc:
        print(f"linkspider crawl: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    code = _finish(stats, args.report)
    # link history (issue 10): fold the run into link_history when it ended complete
    # (a distributed run's workers each end complete: fold it once, with linkspider history update)
    if code == ExitCode.COMPLETE and not args.redis and str(overrides.get("LINKSPIDER_HISTORY_UPDATE", "1")).lower() not in ("0", "false"):
        from linkspider.history.cli import history_after_crawl

        history_after_crawl(stats["linkspider/output_dir"], stats["linkspider/run_id"])
    if args.check_targets and stats.get("linkspider/pages_rows_written"):  # issue 12
        from linkspider.targets.cli import check_after_crawl, politeness_argv

        check_after_crawl(stats["linkspider/output_dir"], stats["linkspider/run_id"], politeness_argv(args))
    return code


def cmd_runs(args: argparse.Namespace) -> int:
    from linkspider.runs import read_runs
    from linkspider.runs.listing import runs_json, runs_table

    records = read_runs(args.out)
    if args.run:
        print(next((r.status for r in records if r.run_id == args.run), "none"))
    elif args.json:
        print(runs_json(records))
    elif not records:
        print(f"no runs in {args.out}")
    else:
        print(runs_table(records))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from linkspider.web.server import LocalWebProcess
    from linkspider.web.world import World, WorldConfig

    world = World(WorldConfig(seed=args.seed, sites=args.sites, link_rot=True))
    started = time.monotonic()
    with LocalWebProcess(world) as web:
        print(f"local web: {len(world.seeds())} generated sites behind proxy {web.proxy_url}")
        overrides = crawl_settings(args)
        overrides.setdefault("LINKSPIDER_PROXY", web.proxy_url)
        overrides["LINKSPIDER_ALLOW_PRIVATE_ADDRESSES"] = True
        overrides.setdefault("LOG_LEVEL", "WARNING")
        stats = run_crawl(world.seeds(), overrides)
        if stats.get("linkspider/pages_rows_written"):  # issue 12: targets, analysis, HTML report
            from linkspider.htmlreport.demo import check_demo_targets

            check_demo_targets(stats, overrides["LINKSPIDER_PROXY"])
    elapsed = time.monotonic() - started
    code = _finish(stats, report=True)
    if stats.get("linkspider/pages_rows_written"):
        from linkspider.htmlreport.demo import write_demo_report

        write_demo_report(stats)
    print(f"demo finished in {time.monotonic() - started:.1f} s (crawl and target checks {elapsed:.1f} s)")
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from linkspider.htmlreport.cli import cmd_html_report, wants_html_report  # issue 12
    from linkspider.analysis.rollups import AnalysisError
    from linkspider.analysis.summary import report_section
    from linkspider.dataset.run_summary import ReportError, summarize

    if wants_html_report(args):
        return cmd_html_report(args)

    try:
        print(summarize(args.out, args.run, top=args.top))
        profile = report_section(args.out, args.run, args.target, top=args.top)  # issue 11
        if profile:
            print(profile)
    except (ReportError, AnalysisError) as exc:
        print(f"linkspider report: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from linkspider.web.server import run_web

    return run_web(args)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``linkspider`` command."""
    parser = argparse.ArgumentParser(prog="linkspider", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"linkspider {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl", help="crawl seed sites and write the dataset")
    crawl.add_argument("urls", nargs="*", metavar="URL", help="seed URLs")
    crawl.add_argument("--seeds-file", metavar="FILE", help="file with one seed URL per line")
    crawl.add_argument("--report", action="store_true", help="print a summary at the end")
    crawl.add_argument("--resume", metavar="RUN_ID",
                       help="continue a killed or stopped run (same seeds, options and --out)")
    crawl.add_argument("--check-targets", action="store_true",
                       help="then check the run's external targets (linkspider check-targets)")
    add_crawl_arguments(crawl)
    crawl.set_defaults(func=cmd_crawl)

    from linkspider.distributed.cli import add_distributed_commands  # --redis, status (issue 13)

    add_distributed_commands(crawl, sub)

    demo = sub.add_parser("demo", help="crawl the bundled local web and print a report")
    demo.add_argument("--sites", type=int, default=24, help="generated sites (default 24)")
    demo.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    add_crawl_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    runs = sub.add_parser("runs", help="list the runs of a dataset with their status")
    runs.add_argument("--out", default="output", metavar="DIR", help="dataset root")
    runs.add_argument("--json", action="store_true", help="print JSON (one object per run)")
    runs.add_argument("--run", metavar="ID", help="print only this run's status (none if absent)")
    runs.set_defaults(func=cmd_runs)

    report = sub.add_parser("report", help="summarize a run of the dataset")
    report.add_argument("--out", default="output", metavar="DIR", help="dataset root")
    report.add_argument("--run", help="run id (default: the latest)")
    report.add_argument("--top", type=int, default=5, help="rows in each top list")
    report.add_argument("--target", metavar="DOMAIN",
                        help="the backlink profile of this domain (from linkspider analyze); with --html/--json, "
                             "report on its backlinks only")
    from linkspider.htmlreport.cli import add_html_report_arguments  # --html, --json (issue 12)

    add_html_report_arguments(report)
    report.set_defaults(func=cmd_report)

    from linkspider.scrapyd.deploy import add_deploy_command

    add_deploy_command(sub)

    from linkspider.history.cli import add_history_commands  # diff, history, monitor (issue 10)

    add_history_commands(sub)

    from linkspider.targets.cli import add_targets_commands  # check-targets (issue 12)

    add_targets_commands(sub)

    from linkspider.analysis.cli import add_analysis_commands  # analyze (issue 11)

    add_analysis_commands(sub)

    web = sub.add_parser("web", help="serve the local web (an HTTP proxy for any host name)")
    try:
        from linkspider.web.server import add_web_arguments

        add_web_arguments(web)
    except ImportError:  # pragma: no cover - the web package is part of the project
        pass
    web.set_defaults(func=cmd_web)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``linkspider`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

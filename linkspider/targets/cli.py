"""``linkspider check-targets`` and the crawl's ``--check-targets``: the status of a run's
external targets, in the ``targets`` table.

The targets the run fetched itself are copied from its ``pages`` rows; the others are requested
by the ``check_targets`` spider in this process. URLs the run's ``targets`` table holds already
are not checked again, so an interrupted check continues where it stopped.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def add_targets_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``check-targets`` to the ``linkspider`` subcommands."""
    check = sub.add_parser("check-targets", help="fetch the external targets of a run (HEAD, GET "
                           "where refused) into the targets table")  # fmt: skip
    check.add_argument("--out", default="output", metavar="DIR", help="dataset root (default: output)")
    check.add_argument("--run", metavar="ID", help="run whose links' targets to check (default: the "
                       "latest complete run)")  # fmt: skip
    check.add_argument("--domain", action="append", default=[], metavar="D",
                       help="only targets on this domain or its subdomains (repeatable)")
    add_politeness_arguments(check)
    check.set_defaults(func=cmd_check_targets)


def add_politeness_arguments(parser: argparse.ArgumentParser) -> None:
    """The fetch options ``check-targets`` shares with ``crawl``."""
    parser.add_argument("--proxy", metavar="URL", help="HTTP proxy for every request")
    parser.add_argument("--allow-private-addresses", action="store_true",
                        help="allow loopback and private addresses (refused by default)")
    parser.add_argument("--concurrency", type=int, metavar="N", help="concurrent requests, in total and per host")
    parser.add_argument("--no-throttle", action="store_true", help="turn AutoThrottle off")
    from linkspider.cli.options import setting_pair

    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        type=setting_pair, help="any Scrapy setting")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default WARNING)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from linkspider.cli.options import fetch_settings

    return {"LOG_LEVEL": "WARNING", **fetch_settings(args)}


def check_targets(root: str | os.PathLike[str], run_id: str, domains: list[str],
                  overrides: dict[str, Any]) -> Counter[str]:  # fmt: skip
    """Check the run's targets not checked yet; return the outcomes of the new rows (and
    ``crawl``: how many came from the run's own pages)."""
    from linkspider.dataset.layout import ensure_writable
    from linkspider.targets.selection import checked_urls, crawled_rows, run_targets
    from linkspider.targets.writer import write_targets

    ensure_writable(root, run_id)
    done = checked_urls(root, run_id)
    urls = [u for u in run_targets(root, run_id, domains) if u not in done]
    counts: Counter[str] = Counter()
    crawled = crawled_rows(root, run_id, urls)
    write_targets(root, run_id, crawled)
    counts.update(crawled.column("outcome").to_pylist())
    counts["crawl"] = crawled.num_rows
    fetched = set(crawled.column("url").to_pylist())
    todo = [u for u in urls if u not in fetched]
    if todo:
        counts.update(_run_spider(root, run_id, todo, overrides))
    counts["check"] = len(todo)
    return counts


def _run_spider(root: str | os.PathLike[str], run_id: str, urls: list[str], overrides: dict[str, Any]) -> Counter[str]:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from linkspider.targets.spider import TargetCheckSpider

    settings = get_project_settings()
    settings.setdict({**overrides, "LINKSPIDER_OUTPUT_DIR": str(root), "LINKSPIDER_TARGETS_RUN_ID": run_id},
                     priority="cmdline")  # fmt: skip
    process = CrawlerProcess(settings)
    # A target host that is down fails its robots.txt too: Scrapy logs each such failure as an
    # error with a traceback, though the target's row says what happened. (Set after
    # CrawlerProcess, which configures logging.)
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    crawler = process.create_crawler(TargetCheckSpider)
    outcomes: Counter[str] = Counter()
    crawler.signals.connect(lambda item, **_: outcomes.update([item["outcome"]]), signal=_item_scraped(), weak=False)
    failures: list[Any] = []
    process.crawl(crawler, urls=urls, run_id=run_id).addErrback(failures.append)
    process.start()
    if failures:
        failures[0].raiseException()
    return outcomes


def _item_scraped() -> Any:
    from scrapy import signals

    return signals.item_scraped


def latest_complete_run(root: str | os.PathLike[str]) -> str | None:
    """Return the latest complete run of the dataset, else its latest run of any status."""
    from linkspider.runs import latest_run

    return latest_run(root) or latest_run(root, status=None)


def cmd_check_targets(args: argparse.Namespace) -> int:
    from linkspider.dataset.layout import OutputNotWritable, run_files

    root = Path(args.out)
    run_id = args.run or latest_complete_run(root)
    if run_id is None or not run_files(root, "links", run_id):
        where = f"run {run_id}" if run_id else f"{root}"
        print(f"linkspider check-targets: {where} has no links; crawl first (linkspider crawl ... "
              f"--out {root}) or pass --run ID of a run in {root}", file=sys.stderr)  # fmt: skip
        return 2
    try:
        counts = check_targets(root, run_id, args.domain, _overrides(args))
    except OutputNotWritable as exc:
        print(f"linkspider check-targets: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"linkspider check-targets: {exc}", file=sys.stderr)
        return 2
    print(summary_line(run_id, counts, root))
    return 0


def summary_line(run_id: str, counts: Counter[str], root: Path) -> str:
    """Return the one-line summary of a check."""
    checked = counts["crawl"] + counts["check"]
    outcomes = ", ".join(f"{counts[o]} {o}" for o in ("ok", "redirected", "broken", "blocked"))
    return (f"targets of run {run_id}: {checked} new ({counts['check']} fetched, {counts['crawl']} "
            f"from the crawl's pages): {outcomes}; table: {root / 'targets' / f'run={run_id}'}")  # fmt: skip


def politeness_argv(args: argparse.Namespace) -> list[str]:
    """Return the ``check-targets`` options that repeat a crawl's fetch options."""
    argv: list[str] = []
    if getattr(args, "proxy", None):
        argv += ["--proxy", args.proxy]
    if getattr(args, "allow_private_addresses", False):
        argv.append("--allow-private-addresses")
    if getattr(args, "concurrency", None):
        argv += ["--concurrency", str(args.concurrency)]
    if getattr(args, "no_throttle", False):
        argv.append("--no-throttle")
    for name, value in getattr(args, "settings", []):
        argv += ["-s", f"{name}={value}"]
    if getattr(args, "log_level", None):
        argv += ["--log-level", args.log_level]
    if getattr(args, "quiet", False):
        argv.append("--quiet")
    return argv


def check_after_crawl(root: str, run_id: str, argv: list[str]) -> None:
    """Check a finished run's targets (``linkspider crawl --check-targets``) in a new process
    (Twisted's reactor runs once per process); a failure is reported, the crawl's exit code
    stays."""
    command = [sys.executable, "-m", "linkspider", "check-targets", "--out", root, "--run", run_id, *argv]
    result = subprocess.run(command, check=False)
    if result.returncode:
        print(f"linkspider: targets not checked (exit {result.returncode}); retry with "
              f"`linkspider check-targets --out {root} --run {run_id}`", file=sys.stderr)  # fmt: skip

"""The history's subcommands: ``linkspider diff``, ``linkspider history update`` and
``linkspider monitor``, registered on the ``linkspider`` parser by :func:`add_history_commands`;
and :func:`history_after_crawl`, which ``linkspider crawl`` calls when a run ends."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def add_history_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``diff``, ``history`` and ``monitor`` to the ``linkspider`` subcommands."""
    diff = sub.add_parser("diff", help="new, lost, changed and restored links between two complete runs")
    diff.add_argument("--out", default="output", metavar="DIR", help="dataset root (default: output)")
    diff.add_argument("--from", dest="from_run", metavar="RUN", help="earlier run (default: the one before --to)")
    diff.add_argument("--to", dest="to_run", metavar="RUN", help="later run (default: the last complete run)")
    diff.add_argument("--top", type=int, default=10, help="targets listed in the summary (default 10)")
    diff.add_argument("--fail-on", action="append", default=[], choices=("new", "lost", "changed", "restored"),
                      metavar="CHANGE", help="exit 1 when the step has changes of this kind (repeatable)")
    diff.add_argument("--transient-runs", type=int, metavar="N",
                      help="runs a 5xx/unreachable page must fail before its links are lost "
                           "(default: LINKSPIDER_HISTORY_TRANSIENT_RUNS, 2)")
    diff.add_argument("--memory-limit", metavar="SIZE",
                      help="DuckDB memory limit, e.g. 1GB (default: LINKSPIDER_HISTORY_MEMORY_LIMIT, 256MB)")
    diff.set_defaults(func=cmd_diff)

    history = sub.add_parser("history", help="the link_history table")
    history_sub = history.add_subparsers(dest="history_command", required=True)
    update = history_sub.add_parser("update", help="fold every complete run not in link_history yet")
    update.add_argument("--out", default="output", metavar="DIR", help="dataset root (default: output)")
    update.add_argument("--transient-runs", type=int, metavar="N", help="as for diff")
    update.add_argument("--memory-limit", metavar="SIZE", help="as for diff")
    update.set_defaults(func=cmd_history_update)

    monitor = sub.add_parser("monitor", help="check expected backlinks now; exit 1 degraded, 3 missing")
    monitor.add_argument("expected", nargs="?", metavar="EXPECTED.csv",
                         help="CSV: source page URL, target URL or domain, [anchor], [follow]")
    monitor.add_argument("--from-history", metavar="DOMAIN",
                         help="check every backlink link_history holds live for DOMAIN")
    monitor.add_argument("--out", default="output", metavar="DIR", help="dataset root (default: output)")
    monitor.add_argument("--report", metavar="FILE",
                         help="report file, .csv or .json (default: DIR/monitor/run=<id>/report.csv)")
    monitor.add_argument("--proxy", metavar="URL", help="HTTP proxy for every request")
    monitor.add_argument("--allow-private-addresses", action="store_true",
                         help="allow loopback and private addresses (refused by default)")
    monitor.add_argument("--concurrency", type=int, metavar="N", help="concurrent requests")
    monitor.add_argument("--no-throttle", action="store_true", help="turn AutoThrottle off")
    monitor.add_argument("--transient-runs", type=int, metavar="N",
                         help="monitor runs in a row a 5xx/unreachable source page must fail before "
                              "its links are missing, unknown until then (default: "
                              "LINKSPIDER_HISTORY_TRANSIENT_RUNS, 2)")
    monitor.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                         help="any Scrapy setting, passed to the crawl")
    monitor.set_defaults(func=cmd_monitor)


def cmd_diff(args: argparse.Namespace) -> int:
    from linkspider.history.diff import diff
    from linkspider.history.fold import HistoryError, HistoryMemoryError

    try:
        summary = diff(args.out, args.from_run, args.to_run, top=args.top, transient_runs=args.transient_runs,
                       memory_limit=args.memory_limit)
    except HistoryError as exc:
        print(f"linkspider diff: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, HistoryMemoryError) else 2
    print(summary.text())
    alerting = {change for change, _, links in summary.counts if links} & set(args.fail_on)
    return 1 if alerting else 0


def cmd_history_update(args: argparse.Namespace) -> int:
    from linkspider.history.fold import HistoryError, HistoryMemoryError
    from linkspider.history.update import update_history

    try:
        steps = update_history(args.out, args.transient_runs, args.memory_limit)
    except HistoryError as exc:
        print(f"linkspider history update: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, HistoryMemoryError) else 2
    if not steps:
        print(f"link_history in {args.out} is up to date")
    for step in steps:
        if step.rebuild_reason:
            print(step.rebuild_reason)
        since = f"{step.changes} link changes since {step.from_run}" if step.from_run else "first run"
        print(f"folded run {step.run_id}: {since}; {step.identities} links in link_history")
        if step.note():
            print(step.note())
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from linkspider.history.monitor import (
        MonitorError, MonitorExit, expected_from_history, exit_code, read_expected, run_monitor,
    )  # fmt: skip

    if bool(args.expected) == bool(args.from_history):
        print("linkspider monitor: give EXPECTED.csv or --from-history DOMAIN (one of them)", file=sys.stderr)
        return MonitorExit.USAGE
    try:
        if args.expected:
            expected = read_expected(args.expected)
        else:
            expected = expected_from_history(args.out, args.from_history)
    except MonitorError as exc:
        print(f"linkspider monitor: {exc}", file=sys.stderr)
        return MonitorExit.USAGE
    crawl_args: list[str] = []
    if args.proxy:
        crawl_args += ["--proxy", args.proxy]
    if args.allow_private_addresses:
        crawl_args.append("--allow-private-addresses")
    if args.concurrency:
        crawl_args += ["--concurrency", str(args.concurrency)]
    if args.no_throttle:
        crawl_args.append("--no-throttle")
    for setting in args.settings:
        crawl_args += ["-s", setting]
    crawl_args += ["--log-level", "ERROR"]
    try:
        verdicts, report = run_monitor(args.out, expected, crawl_args, args.report, args.transient_runs)
    except MonitorError as exc:
        print(f"linkspider monitor: {exc}", file=sys.stderr)
        return MonitorExit.USAGE
    except RuntimeError as exc:
        print(f"linkspider monitor: {exc}", file=sys.stderr)
        return MonitorExit.FETCH_FAILED
    counts = {kind: sum(v.verdict == kind for v in verdicts) for kind in ("ok", "degraded", "unknown", "missing")}
    for v in verdicts:
        if v.verdict != "ok":
            print(f"{v.verdict:<9} {v.reason:<28} {v.source_url} -> {v.expected_target}")
    print(f"{len(verdicts)} expected links: {counts['ok']} ok, {counts['degraded']} degraded, "
          f"{counts['unknown']} unknown, {counts['missing']} missing; report: {report}")
    return exit_code(verdicts)


def history_after_crawl(root: str, run_id: str, settings: Mapping[str, Any] | None = None) -> None:
    """Update link_history after a crawl run ended (``linkspider crawl``), with the crawl's
    ``LINKSPIDER_HISTORY_MEMORY_LIMIT`` and ``LINKSPIDER_HISTORY_TRANSIENT_RUNS`` when its
    ``settings`` (``-s``) give them; a failure is reported and never changes the crawl's exit
    code."""
    import duckdb

    from linkspider.crawl.memory import release_freed_memory
    from linkspider.history.fold import HistoryError
    from linkspider.history.update import update_after_run

    release_freed_memory()  # the crawl's freed pages, before DuckDB takes its own
    try:
        settings = settings or {}
        transient = settings.get("LINKSPIDER_HISTORY_TRANSIENT_RUNS")
        steps = update_after_run(root, run_id, int(transient) if transient else None,
                                 settings.get("LINKSPIDER_HISTORY_MEMORY_LIMIT"))  # fmt: skip
    except (HistoryError, OSError, duckdb.Error) as exc:  # duckdb: any other DuckDB failure
        print(f"linkspider: link_history not updated: {exc}; run `linkspider history update "
              f"--out {root}` to retry", file=sys.stderr)  # fmt: skip
        return
    for step in steps:
        if step.rebuild_reason:
            print(f"linkspider: {step.rebuild_reason}", file=sys.stderr)
        if step.from_run:
            print(f"link_history: {step.changes} link changes from {step.from_run} to {step.run_id} "
                  f"(linkspider diff --out {root})", file=sys.stderr)  # fmt: skip
        if step.note():
            print(step.note(), file=sys.stderr)

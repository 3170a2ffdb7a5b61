"""The ``linkspider report`` options of the HTML/JSON report: ``--html FILE``, ``--json FILE``,
``--target DOMAIN`` (declared with the text report's arguments), ``--limit N``,
``--explorer-rows N``."""

from __future__ import annotations

import argparse
import sys


def add_html_report_arguments(report: argparse.ArgumentParser) -> None:
    """Add the HTML/JSON report's options to the ``report`` subcommand."""
    report.add_argument("--html", metavar="FILE", help="write the self-contained HTML report here")
    report.add_argument("--json", metavar="FILE", help="write the report's figures as JSON here")
    report.add_argument("--limit", type=int, default=50, metavar="N", help="rows of each long table (default 50)")
    report.add_argument("--explorer-rows", type=int, default=100_000, metavar="N",
                        help="backlinks in the explorer and the JSON's backlinks list, the most equity first "
                             "(default 100000)")


def wants_html_report(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "html", None) or getattr(args, "json", None))


def cmd_html_report(args: argparse.Namespace) -> int:
    from linkspider.htmlreport.build import build_report, write_report
    from linkspider.htmlreport.dataset import ReportError

    try:
        figures = build_report(args.out, args.run, args.target, args.limit, args.explorer_rows)
        write_report(figures, args.html, args.json)
    except (ReportError, OSError) as exc:
        print(f"linkspider report: {exc}", file=sys.stderr)
        return 2
    for path in (args.html, args.json):
        if path:
            print(f"report of run {figures['run_id']} written to {path}")
    return 0

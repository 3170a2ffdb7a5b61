"""The ``linkspider`` command and its subcommands (``linkspider --help`` lists them)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from linkspider import __version__
from linkspider.cli.crawl import cmd_crawl, cmd_demo, run_crawl
from linkspider.cli.options import add_crawl_arguments, crawl_settings, fetch_settings, setting_pair

__all__ = ["add_crawl_arguments", "build_parser", "crawl_settings", "fetch_settings", "main",
           "run_crawl", "setting_pair"]


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


def cmd_report(args: argparse.Namespace) -> int:
    from linkspider.htmlreport.cli import cmd_html_report, wants_html_report
    from linkspider.analysis.rollups import AnalysisError
    from linkspider.analysis.summary import report_section
    from linkspider.dataset.run_summary import ReportError, summarize

    if wants_html_report(args):
        return cmd_html_report(args)

    try:
        print(summarize(args.out, args.run, top=args.top))
        profile = report_section(args.out, args.run, args.target, top=args.top)
        if profile:
            print(profile)
    except (ReportError, AnalysisError) as exc:
        print(f"linkspider report: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from linkspider.web.server import run_web

    return run_web(args)


#: One example per subcommand, shown at the end of its ``--help``.
EXAMPLES = {
    "crawl": "linkspider crawl https://example.com/ --out output --max-pages-per-site 200 --report",
    "status": "linkspider status --redis redis://127.0.0.1:6379/0 --run-id weekly-1",
    "demo": "linkspider demo --out output",
    "runs": "linkspider runs --out output",
    "report": "linkspider report --out output --target example.com --html output/report.html",
    "deploy": "linkspider deploy production -v 2026-12-07   # [deploy:production] of scrapy.cfg",
    "diff": "linkspider diff --out output --from run-1 --to run-2",
    "history": "linkspider history update --out output",
    "monitor": "linkspider monitor expected.csv --out output",
    "check-targets": "linkspider check-targets --out output --run run-1",
    "analyze": "linkspider analyze --out output --brand example.com=Example",
    "web": "linkspider web --sites 24 --port 8899",
    "extract": "linkspider extract crawl-data/*.warc.gz --out output --processes 4",
}

SUMMARY = """\
commands:
  crawl          crawl seed sites and write their links and pages as Parquet
  demo           crawl the bundled local web, then write a report (no internet needed)
  extract        read WARC/ARC web archives into links and pages, as a crawl writes them
  runs           list a dataset's runs and how each ended
  report         print a run's summary and backlink profile, or write it as HTML or JSON
  analyze        compute a run's backlink profile: referring domains, ranks, anchors, signals
  check-targets  fetch a run's external link targets and record what each answers
  diff           compare two runs: new, lost, changed and restored links
  history        fold complete runs into the link history table
  monitor        check that expected backlinks are still there (exit 1 degraded, 3 missing)
  status         show a distributed run's queue, in-flight requests and workers
  deploy         build the project's egg and deploy it to a Scrapyd server
  web            serve the local web: an HTTP proxy that answers for any host name

Run 'linkspider COMMAND --help' for a command's options and an example."""


def _describe(sub: argparse._SubParsersAction) -> None:
    """Give every subcommand's ``--help`` its one-line summary as description and an example."""
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, parser in sub.choices.items():
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        if parser.description is None and helps.get(name):
            parser.description = helps[name][0].upper() + helps[name][1:] + "."
        if name in EXAMPLES and parser.epilog is None:
            parser.epilog = f"example:\n  {EXAMPLES[name]}"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``linkspider`` command."""
    parser = argparse.ArgumentParser(
        prog="linkspider", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="linkspider: a backlink discovery crawler. It records every link on every "
                    "page it fetches\n(source, referring domain, target, anchor, rel, follow) as "
                    "a Parquet dataset.", epilog=SUMMARY)  # fmt: skip
    parser.add_argument("--version", action="version", version=f"linkspider {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help=argparse.SUPPRESS)

    crawl = sub.add_parser("crawl", help="crawl seed sites and write their links and pages as Parquet")
    crawl.add_argument("urls", nargs="*", metavar="URL", help="seed URLs")
    crawl.add_argument("--seeds-file", metavar="FILE", help="file with one seed URL per line")
    crawl.add_argument("--report", action="store_true", help="print a summary at the end")
    crawl.add_argument("--resume", metavar="RUN_ID",
                       help="continue a killed or stopped run (same seeds, options and --out)")
    crawl.add_argument("--check-targets", action="store_true",
                       help="then check the run's external targets (linkspider check-targets)")
    add_crawl_arguments(crawl)
    crawl.set_defaults(func=cmd_crawl)

    from linkspider.distributed.cli import add_distributed_commands  # crawl --redis, status

    add_distributed_commands(crawl, sub)

    demo = sub.add_parser("demo", help="crawl the bundled local web, then write a report (no internet needed)")
    demo.add_argument("--sites", type=int, default=24, help="generated sites (default 24)")
    demo.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    add_crawl_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    runs = sub.add_parser("runs", help="list a dataset's runs and how each ended")
    runs.add_argument("--out", default="output", metavar="DIR", help="dataset root")
    runs.add_argument("--json", action="store_true", help="print JSON (one object per run)")
    runs.add_argument("--run", metavar="ID", help="print only this run's status (none if absent)")
    runs.set_defaults(func=cmd_runs)

    report = sub.add_parser("report", help="print a run's summary and backlink profile, or write it as HTML or JSON")
    report.add_argument("--out", default="output", metavar="DIR", help="dataset root")
    report.add_argument("--run", help="run id (default: the latest)")
    report.add_argument("--top", type=int, default=5, help="rows in each top list")
    report.add_argument("--target", metavar="DOMAIN",
                        help="the backlink profile of this domain (from linkspider analyze); with --html/--json, "
                             "report on its backlinks only")
    from linkspider.htmlreport.cli import add_html_report_arguments  # --html, --json

    add_html_report_arguments(report)
    report.set_defaults(func=cmd_report)

    from linkspider.scrapyd.deploy import add_deploy_command
    from linkspider.history.cli import add_history_commands  # diff, history, monitor
    from linkspider.targets.cli import add_targets_commands  # check-targets
    from linkspider.analysis.cli import add_analysis_commands  # analyze
    from linkspider.web.server import add_web_arguments

    from linkspider.archives.cli import add_extract_command

    add_extract_command(sub)
    add_deploy_command(sub)
    add_history_commands(sub)
    add_targets_commands(sub)
    add_analysis_commands(sub)

    web = sub.add_parser("web", help="serve the local web: an HTTP proxy that answers for any host name")
    add_web_arguments(web)
    web.set_defaults(func=cmd_web)
    _describe(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``linkspider`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

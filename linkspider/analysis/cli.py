"""The ``linkspider analyze`` command (argparse wiring; the work is in ``analyze``)."""

from __future__ import annotations

import argparse
import sys


def cmd_analyze(args: argparse.Namespace) -> int:
    """Run the analysis of one run; print what was written; return the exit code."""
    from linkspider.analysis.analyze import AnalysisOptions, analyze, keywords_file, parse_brands, read_keywords
    from linkspider.analysis.graph import PowerIterationFailedConvergence
    from linkspider.analysis.rollups import AnalysisError

    try:
        path = keywords_file(args.out, args.keywords)
        keywords = read_keywords(path) if path is not None else {}
        if path is not None and not args.keywords and not args.quiet:
            print(f"keywords: {sum(map(len, keywords.values()))} from {path}", file=sys.stderr)
        options = AnalysisOptions(brands=parse_brands(args.brand), keywords=keywords,
                                  targets=list(args.target))  # fmt: skip
        progress = None if args.quiet else (lambda line: print(line, file=sys.stderr))
        written = analyze(args.out, args.run, options, progress=progress)
    except (AnalysisError, ValueError, OSError, PowerIterationFailedConvergence) as exc:
        print(f"linkspider analyze: {exc}", file=sys.stderr)
        return 2
    for path in written.values():
        print(path)
    return 0


def add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``analyze`` to the ``linkspider`` command's subparsers."""
    analyze = sub.add_parser("analyze", help="compute a run's backlink profile tables "
                             "(referring domains, domain and page rank, anchors)")  # fmt: skip
    analyze.add_argument("--out", default="output", metavar="DIR", help="dataset root")
    analyze.add_argument("--run", metavar="ID", help="run id (default: the latest complete run)")
    analyze.add_argument("--brand", action="append", default=[], metavar="NAME",
                         help="brand name for the branded/compound anchor classes (repeat; "
                              "DOMAIN=NAME for one target; default: each target's own label)")
    analyze.add_argument("--keywords", metavar="FILE",
                         help="keywords for the exact/partial anchor classes, one per line "
                              "(DOMAIN<TAB>KEYWORD for one target; default: DIR/keywords.tsv "
                              "when it exists)")
    analyze.add_argument("--target", action="append", default=[], metavar="DOMAIN",
                         help="also write per-URL referring_domains rows for this target (repeat)")
    analyze.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    analyze.set_defaults(func=cmd_analyze)

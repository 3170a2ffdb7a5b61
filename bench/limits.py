"""What the hostile-web parse limits cost an ordinary page, on one core, in-process.

Times the limits' own work (``cut_after_links`` and ``cap_nesting``, as ``parse_document``
runs them) against ``parse_document`` without them (``max_depth`` 0, no links bound), page by
page over the docs and the generated world's pages, the best of ``--rounds``; with the C scan
and with the Python scan alone. The per-page CPU of the whole page path is ``bench.pipeline``'s.

``python -m bench.limits [--docs-root DIR] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from linkspider.extraction import nesting
from linkspider.extraction.parsing import cut_after_links, parse_document
from linkspider.settings import LINKSPIDER_MAX_LINKS_PER_PAGE, LINKSPIDER_MAX_NESTING_DEPTH


def world_pages(work: Path) -> list[bytes]:
    """Return the bodies of the world's pages bench.pipeline reads (bench.targets' world)."""
    from bench.pipeline import load_world
    from bench.targets import WorldTarget

    target = WorldTarget(work)
    c = target.config
    pages = load_world(target.urls(), c.sites, c.pages_per_site, c.external_links_per_page, c.seed)
    return [body for _, body, _ in pages]


def limits(document: bytes) -> None:
    """The limits' work in ``parse_document``: one count of ``<``, the links cut, the cap."""
    tags = document.count(b"<")
    cut, dropped = cut_after_links(document, LINKSPIDER_MAX_LINKS_PER_PAGE, tags)
    nesting.cap_nesting(cut, LINKSPIDER_MAX_NESTING_DEPTH, None if dropped else tags)


def best_seconds(work, documents: list[bytes], rounds: int) -> float:
    """Return the least CPU seconds ``work`` took over all ``documents`` in ``rounds`` runs."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for document in documents:
            work(document)
        best = min(best, time.process_time() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs-root", default="/usr/share/doc/python3.11/html")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    with tempfile.TemporaryDirectory(prefix="linkspider-limits-") as work:
        corpora = {"world": world_pages(Path(work))}
    root = Path(args.docs_root)
    if root.is_dir():
        corpora["docs"] = [p.read_bytes() for p in sorted(root.rglob("*.html"))]
    native = nesting._nestscan
    print("corpus  pages  parse_document without limits  limits (C scan)  limits (Python scan)")
    for name, documents in corpora.items():
        bare = best_seconds(lambda d: parse_document(d, 0, None), documents, args.rounds)
        with_c = best_seconds(limits, documents, args.rounds) if native else float("nan")
        nesting._nestscan = None
        try:
            with_python = best_seconds(limits, documents, args.rounds)
        finally:
            nesting._nestscan = native
        per_page = 1e6 / len(documents)
        print(f"{name:6s} {len(documents):6d}  {bare * per_page:10,.0f} us/page"
              f"  {with_c * per_page:8,.0f} us ({with_c / bare:.1%})"
              f"  {with_python * per_page:8,.0f} us ({with_python / bare:.1%})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

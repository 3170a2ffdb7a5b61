"""``linkspider analyze``: compute a run's analysis tables and write them into the dataset.

Reads only the dataset (the run's ``links`` and ``pages`` files, ``link_history`` when it
exists) and writes ``DIR/analysis/run=ID/<table>.parquet``, each file atomically, in the order
``domain_rank``, ``link_scores``, ``site_topics``, ``page_rank``, ``referring_domains``,
``anchors``, ``domain_signals``.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.analysis.dataset import analysis_path, write_table
from linkspider.analysis.domain_rank import domain_rank_table
from linkspider.analysis.equity import link_scores
from linkspider.analysis.page_rank import page_rank_table, url_forwards
from linkspider.analysis.relevance import page_terms, site_topics_table, topic_model, with_relevance
from linkspider.analysis.rollups import (
    AnalysisError,
    anchor_classes,
    anchors_table,
    open_run,
    referring_domains_table,
)
from linkspider.analysis.signals import domain_signals_table
from linkspider.crawl.memory import release_freed_memory
from linkspider.dataset.schema import SCHEMAS
from linkspider.extraction.text import forget_language_model, load_language_model

TABLES = ("domain_rank", "link_scores", "site_topics", "page_rank", "referring_domains", "anchors",
          "domain_signals")


@dataclass
class AnalysisOptions:
    """What the analysis is told beyond the dataset: brand names and keywords per target
    domain (``""``: every target), and the targets that get per-URL referring-domain rows."""

    brands: dict[str, list[str]] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)


def parse_brands(values: Sequence[str]) -> dict[str, list[str]]:
    """Return the brands of ``--brand`` values: ``NAME`` (every target) or ``DOMAIN=NAME``.

    >>> parse_brands(["Acme", "news-1.com=News One"])
    {'': ['Acme'], 'news-1.com': ['News One']}
    """
    brands: dict[str, list[str]] = defaultdict(list)
    for value in values:
        domain, sep, name = value.partition("=")
        if sep and "." in domain and " " not in domain.strip():
            brands[domain.strip().lower()].append(name.strip())
        else:
            brands[""].append(value.strip())
    return dict(brands)


#: A dataset's own keywords file: ``analyze`` reads ``DIR/keywords.tsv`` when no ``--keywords``
#: is given, so every analysis of a dataset classifies its anchors against the same keywords.
DATASET_KEYWORDS_FILE = "keywords.tsv"


def keywords_file(root: str | os.PathLike[str], given: str | None) -> Path | None:
    """Return the keywords file to read: ``given``, else the dataset's ``keywords.tsv`` when it
    exists, else None."""
    if given:
        return Path(given)
    path = Path(root) / DATASET_KEYWORDS_FILE
    return path if path.is_file() else None


def read_keywords(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Return the keywords of a ``--keywords`` file: one per line, ``DOMAIN<TAB>KEYWORD`` for
    one target only; blank lines and lines starting with ``#`` are skipped. Raises ValueError
    (with the file and line) on an unreadable file or a line with more than one tab."""
    keywords: dict[str, list[str]] = defaultdict(list)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the keywords file {path}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) > 2 or not parts[-1].strip():
            raise ValueError(f"{path}:{number}: expected KEYWORD or DOMAIN<TAB>KEYWORD, got {line!r}")
        domain = parts[0].strip().lower() if len(parts) == 2 else ""
        keywords[domain].append(parts[-1].strip())
    return dict(keywords)


def _history(root: Path) -> pa.Table | None:
    from linkspider.history.fold import history_path

    path = history_path(root)
    if not path.exists():
        return None
    columns = ["referring_domain", "target_domain", "first_seen_at", "last_seen_at"]
    return pq.read_table(path, columns=columns)


def resolve_run(root: str | os.PathLike[str], run_id: str | None) -> str:
    """Return ``run_id``, else the latest complete run, else the latest run with pages."""
    if run_id:
        return run_id
    from linkspider.runs import latest_run

    found = latest_run(root) or latest_run(root, status=None)
    if found is None:
        pages = sorted((Path(root) / "pages").glob("*/run=*"), key=lambda p: p.stat().st_mtime)
        found = pages[-1].name[len("run="):] if pages else None
    if found is None:
        raise AnalysisError(f"no runs in {Path(root).absolute()}; run a crawl first")
    return found


def analyze(root: str | os.PathLike[str], run_id: str | None = None,
            options: AnalysisOptions | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, Path]:  # fmt: skip
    """Compute and write the analysis tables of one run; return table name -> path."""
    root, options = Path(root), options or AnalysisOptions()
    run_id = resolve_run(root, run_id)
    con = open_run(root, run_id)
    # the language model loads (about 0.5 s) while the first queries run
    threading.Thread(target=load_language_model, name="language-model", daemon=True).start()
    # Arrow's own pool is mimalloc, which keeps and purges pages by its own clock; on the
    # scale crawl glibc's malloc (trimmed after each step) peaked 80-100 MB lower and no slower
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="analysis-writer") as writer:
            writes: list[Future[None]] = []
            try:
                _analyze(root, run_id, con, options, progress, writer, writes)
                for write in writes:
                    write.result()
            finally:
                for write in writes:
                    write.cancel()
    finally:
        pa.set_memory_pool(pool)
        release_freed_memory()
    return {name: analysis_path(root, run_id, name) for name in TABLES}


def _analyze(root: Path, run_id: str, con: duckdb.DuckDBPyConnection, options: AnalysisOptions,
             progress: Callable[[str], None] | None, writer: ThreadPoolExecutor,
             writes: list[Future[None]]) -> None:  # fmt: skip
    """``analyze``'s steps: each table is written by ``writer`` (one thread, so in order)
    while the next is computed. After a failed write no later table is written, and its
    error is raised when the next table is done (or at the end)."""
    failed: list[str] = []

    def write(name: str, table: pa.Table, schema: pa.Schema, started: float) -> None:
        if failed:
            return
        path = analysis_path(root, run_id, name)
        try:
            write_table(table, path, schema)
        except OSError as exc:
            failed.append(name)
            raise AnalysisError(f"cannot write {path}: {exc.strerror or exc}; is the disk full, "
                                "or the dataset directory read-only?") from exc  # fmt: skip
        except BaseException:
            failed.append(name)
            raise
        if progress:
            progress(f"{name}: {table.num_rows} rows in {time.monotonic() - started:.1f} s")
        del table
        release_freed_memory()

    def done(name: str, table: pa.Table, started: float) -> pa.Table:
        for earlier in writes:
            if earlier.done():
                earlier.result()  # raises a failed write's error now
        schema = SCHEMAS[name].with_metadata({**SCHEMAS[name].metadata, **(table.schema.metadata or {})})
        writes.append(writer.submit(write, name, table, schema, started))
        return table

    def fresh(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """Close ``con`` and return a new connection: DuckDB gives back what its queries held
        only when its database closes, and the peaks of the steps would add up."""
        con.close()
        release_freed_memory()
        return open_run(root, run_id)

    started = time.monotonic()
    ranks = done("domain_rank", domain_rank_table(con, run_id), started)
    started = time.monotonic()
    forward = url_forwards(con)  # redirects, refreshes, canonicals: read once for three tables
    con = fresh(con)
    pages = page_terms(con)
    con = fresh(con)
    with ThreadPoolExecutor(1, thread_name_prefix="languages") as languages:
        topics = topic_model(pages, languages)  # first: its peak while little else is held
        del pages
        con = fresh(con)
        scores, crawl_ranks = link_scores(con, run_id, forward)  # while the languages are identified
        topics.wait_for_languages()
    forget_language_model()
    con = fresh(con)
    side = open_run(root, run_id)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="page-rank") as steps:
            # page_rank (mostly DuckDB) in a thread while this one scores relevance (NumPy)
            ranked = steps.submit(page_rank_table, side, run_id, crawl_ranks, forward)
            done("link_scores", with_relevance(con, scores, topics, forward), started)
            del scores
            done("site_topics", site_topics_table(topics, run_id), started)
            del topics
            done("page_rank", ranked.result(), time.monotonic())
    finally:
        side.close()
    del crawl_ranks
    started = time.monotonic()
    con = fresh(con)
    targets = [t.lower() for t in options.targets]
    done("referring_domains", referring_domains_table(con, run_id, ranks.select(["domain", "authority"]),
                                                      _history(root), targets), started)  # fmt: skip
    started = time.monotonic()
    con = fresh(con)
    con.register("anchor_classes", anchor_classes(con, options.brands, options.keywords))
    done("anchors", anchors_table(con, run_id), started)
    started = time.monotonic()
    done("domain_signals", domain_signals_table(con, run_id), started)
    con.close()

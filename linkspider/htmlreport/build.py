"""Build the report of one run: its figures, then the HTML page and/or the JSON file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from linkspider.htmlreport.dataset import ReportError, open_views
from linkspider.htmlreport.figures import Figures


def report_run(root: str | os.PathLike[str], run_id: str | None = None) -> str:
    """Return ``run_id``, or the dataset's latest complete run (else its latest run)."""
    from linkspider.runs import latest_run

    run = run_id or latest_run(root) or latest_run(root, status=None)
    if run is None:
        pages = sorted(Path(root).glob("pages/*/run=*"))
        if not pages:
            raise ReportError(f"{root} holds no linkspider dataset (no runs, no pages/); crawl first")
        run = pages[-1].name[len("run="):]
    return run


def build_report(root: str | os.PathLike[str], run_id: str | None = None, domain: str | None = None,
                 limit: int = 50, explorer_rows: int = 100_000) -> dict[str, Any]:  # fmt: skip
    """Return the report's figures for a run (the latest complete one by default); the
    backlinks explorer holds up to ``explorer_rows`` backlinks."""
    views = open_views(root, report_run(root, run_id))
    try:
        domain = domain.lower().rstrip(".").encode("idna").decode("ascii") if domain else None
        return Figures(views, domain, limit, explorer_rows=explorer_rows).compute()
    finally:
        views.con.close()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_report(figures: dict[str, Any], html_path: str | os.PathLike[str] | None = None,
                 json_path: str | os.PathLike[str] | None = None) -> dict[str, float]:  # fmt: skip
    """Write the HTML page and/or the JSON figures (compact: with every backlink it can hold
    100,000 rows, which an indented dump takes seconds to write); return seconds spent
    rendering each."""
    timings: dict[str, float] = {}
    if json_path:
        started = time.perf_counter()
        _write_atomically(Path(json_path), json.dumps(figures, ensure_ascii=False, separators=(",", ":")) + "\n")
        timings["json"] = time.perf_counter() - started
    if html_path:
        from linkspider.htmlreport.page import render_page

        started = time.perf_counter()
        _write_atomically(Path(html_path), render_page(figures))
        timings["html"] = time.perf_counter() - started
    return timings

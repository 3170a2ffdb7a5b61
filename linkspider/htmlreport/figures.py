"""The report's numbers, as one JSON-able dict: what ``--json`` writes and the HTML shows.

Each section is computed by the named queries of ``htmlreport.queries``; a section that needs
a table the dataset lacks (analysis, targets, history) says which command makes it instead.
Long tables keep their first ``limit`` rows and say how many there are in all (``total``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
from pathlib import Path
from typing import Any

from linkspider.htmlreport import queries
from linkspider.htmlreport.dataset import ReportViews, analysis_path

ANALYZE_HINT = "run `linkspider analyze --out {root}` to add this section"
TARGETS_HINT = "run `linkspider check-targets --out {root} --run {run}` to add this section"
SCORES_HINT = "run `linkspider analyze --out {root}` to add each backlink's equity, relevance and language"
HISTORY_HINT = ("needs two complete runs folded into link_history (`linkspider history update "
                "--out {root}`)")  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # DuckDB's sum of integers
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy/decimal scalars
        return value.item()
    return value


def _rows(views: ReportViews, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = views.con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [{n: _plain(v) for n, v in zip(names, row)} for row in result.fetchall()]


def _arrow_rows(views: ReportViews, sql: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of ``sql`` through Arrow: many times faster than ``_rows`` on 100,000 rows (its
    columns are strings, numbers, booleans and lists of strings, nothing ``_plain`` converts)."""
    return views.con.sql(sql, params=params).to_arrow_table().to_pylist()


def _one(views: ReportViews, sql: str, **params: Any) -> Any:
    # fetchall, not fetchone: a result left unfinished blocks the next ``con.sql`` (_arrow_rows)
    return views.con.execute(sql, params).fetchall()[0][0]


def signal_fences(path: Path) -> dict[str, Any]:
    """Return the Tukey fence of each spam signal, from the ``domain_signals`` file's metadata
    (``linkspider.analysis.signal_fences``; ANALYSIS_CONTRACT), or {} when it has none."""
    import json

    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
        return json.loads(metadata.get(b"linkspider.analysis.signal_fences", b"{}"))
    except (OSError, ValueError):
        return {}


class Figures:
    """Compute the report's sections over ``views`` for ``domain`` (None: every domain)."""

    def __init__(self, views: ReportViews, domain: str | None = None, limit: int = 50, sources: int = 5,
                 explorer_rows: int = 100_000) -> None:  # fmt: skip
        self.views, self.domain, self.limit, self.sources = views, domain, limit, sources
        self.explorer_rows = explorer_rows

    def _hint(self, template: str) -> str:
        return template.format(root=self.views.root, run=self.views.run_id)

    def _q(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return _rows(self.views, sql, domain=self.domain, **params)

    def compute(self) -> dict[str, Any]:
        """Return every section."""
        v = self.views
        return {
            "run_id": v.run_id, "dataset": str(v.root), "domain": self.domain,
            "generated_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "tables": sorted(v.present), "limit": self.limit,
            "overview": self.overview(), "follow": self.follow(), "regions": self._q(queries.REGIONS),
            "anchors": self.anchors(), "referring_domains": self.referring_domains(),
            "linked_pages": self.linked_pages(), "link_scores": self.link_scores(),
            "broken_internal": self.broken_internal(), "targets": self.targets(), "history": self.history(),
            "hreflang_no_return": self._capped(queries.HREFLANG_NO_RETURN), "backlinks": self.backlinks(),
        }  # fmt: skip

    def overview(self) -> dict[str, Any]:
        (row,) = self._q(queries.OVERVIEW)
        row["followed_share"] = row["followed_backlinks"] / row["backlinks"] if row["backlinks"] else None
        return row

    def follow(self) -> dict[str, Any]:
        (flags,) = self._q(queries.REL_FLAGS)
        return {"reasons": self._q(queries.FOLLOW_SPLIT), "rel": flags}

    def anchors(self) -> dict[str, Any]:
        if not self.views.has("anchors"):
            return {"available": False, "hint": self._hint(ANALYZE_HINT)}
        return {"available": True, "classes": self._q(queries.ANCHOR_CLASSES),
                "top": self._q(queries.TOP_ANCHORS, limit=self.limit),
                "total": _one(self.views, queries.TOP_ANCHORS_TOTAL, domain=self.domain)}  # fmt: skip

    def referring_domains(self) -> dict[str, Any]:
        rows = self._q(queries.TOP_REFERRING_DOMAINS, limit=self.limit)
        total = _one(self.views, f"SELECT count(*) FROM ({queries.REFERRING_DOMAINS})", domain=self.domain)
        section: dict[str, Any] = {"rows": rows, "total": total, "ranked": self.views.has("domain_rank"),
                                   "flagged": self.views.has("domain_signals")}  # fmt: skip
        if section["ranked"]:
            ranks = {r["domain"]: r for r in _rows(self.views, queries.DOMAIN_RANKS)}
            for row in rows:
                rank = ranks.get(row["referring_domain"], {})
                row["authority"], row["rank"] = rank.get("authority"), rank.get("rank")
        if section["flagged"]:
            signals = {r["referring_domain"]: r for r in _rows(self.views, queries.DOMAIN_SIGNALS)}
            fences = signal_fences(analysis_path(self.views.root, self.views.run_id, "domain_signals"))
            for row in rows:
                found = signals.get(row["referring_domain"], {})
                row["flags"] = list(found.get("flags") or [])
                row["flag_reasons"] = {f: {"value": found.get(f), "fence": fences.get(f)} for f in row["flags"]}
        if not (section["ranked"] and section["flagged"]):
            section["hint"] = self._hint(ANALYZE_HINT).replace("this section", "rank and spam flags")
        return section

    def linked_pages(self) -> dict[str, Any]:
        return {"rows": self._q(queries.TOP_LINKED_PAGES, limit=self.limit),
                "total": _one(self.views, queries.LINKED_PAGES_TOTAL, domain=self.domain)}  # fmt: skip

    def link_scores(self) -> dict[str, Any]:
        if not self.views.has("page_rank"):
            return {"available": False, "hint": self._hint(ANALYZE_HINT)}
        bins = {r["bin_start"]: r["pages"] for r in self._q(queries.LINK_SCORE_BINS)}
        return {"available": True,
                "bins": [{"bin_start": b, "bin_end": b + 10, "pages": bins.get(b, 0)} for b in range(0, 100, 10)],
                "top": self._q(queries.TOP_LINK_SCORE, limit=self.limit),
                "total": _one(self.views, queries.LINK_SCORE_PAGES, domain=self.domain)}  # fmt: skip

    def _capped(self, sql: str, **params: Any) -> dict[str, Any]:
        rows = self._q(f"SELECT * FROM ({sql}) LIMIT $limit", limit=self.limit, **params)
        total = _one(self.views, f"SELECT count(*) FROM ({sql})", domain=self.domain, **params)
        return {"rows": rows, "total": total}

    def broken_internal(self) -> dict[str, Any]:
        return self._capped(queries.BROKEN_INTERNAL, sources=self.sources)

    def targets(self) -> dict[str, Any]:
        if not self.views.has("targets"):
            return {"available": False, "hint": self._hint(TARGETS_HINT)}
        outcomes = {r["outcome"]: r["targets"] for r in self._q(queries.TARGET_OUTCOMES)}
        return {"available": True, "outcomes": outcomes,
                "broken": self._capped(queries.BROKEN_EXTERNAL, sources=self.sources),
                "redirected": self._capped(queries.REDIRECTED_EXTERNAL)}  # fmt: skip

    def history(self) -> dict[str, Any]:
        v = self.views
        if not v.has("link_changes"):
            return {"available": False, "hint": self._hint(HISTORY_HINT)}
        per_run = {r["run_id"]: r for r in self._q(queries.HISTORY_RUNS)}
        changes: dict[str, dict[str, int]] = {}
        for r in self._q(queries.HISTORY_CHANGES):
            changes.setdefault(r["to_run"], {})[r["change"]] = r["links"]
        runs = [{"run_id": run, "backlinks": per_run.get(run, {}).get("backlinks", 0),
                 "referring_domains": per_run.get(run, {}).get("referring_domains", 0),
                 **{c: changes.get(run, {}).get(c, 0) for c in ("new", "lost", "changed", "restored")}}
                for run in v.history_runs]  # fmt: skip
        latest = next((run for run in reversed(v.history_runs) if run in changes), v.history_runs[-1])
        totals = {c: n for c, n in self.views.con.execute(
            queries.LATEST_CHANGES_TOTAL, {"to_run": latest, "domain": self.domain}).fetchall()}  # fmt: skip
        return {"available": True, "runs": runs, "latest_run": latest,
                "latest": self._q(queries.LATEST_CHANGES, to_run=latest, limit=self.limit),
                "latest_totals": {"new": totals.get("new", 0), "lost": totals.get("lost", 0)},
                "lost_reasons": self._q(queries.LOST_REASONS, to_run=latest)}  # fmt: skip

    def backlinks(self) -> dict[str, Any]:
        """Every backlink (up to ``explorer_rows``, the most equity first) with its equity,
        relevance and languages when the run was analyzed; their distributions, the equity per
        referring domain, the most relevant and the off-topic backlinks."""
        v = self.views
        total = _one(v, queries.BACKLINKS_TOTAL, domain=self.domain)
        section: dict[str, Any] = {"total": total, "cap": self.explorer_rows, "scored": v.has("link_scores")}
        if not section["scored"]:
            section["hint"] = self._hint(SCORES_HINT)
            section["rows"] = _arrow_rows(v, queries.BACKLINK_EXPLORER_PLAIN, domain=self.domain, rows=self.explorer_rows)
            return section
        v.con.execute(queries.SCORED_BACKLINKS_TABLE, {"domain": self.domain})
        section["rows"] = _arrow_rows(v, queries.BACKLINK_EXPLORER, rows=self.explorer_rows)
        (section["summary"],) = _rows(v, queries.SCORE_SUMMARY)
        deciles = {r["bin"]: r["backlinks"] for r in _rows(v, queries.RELEVANCE_BINS)}
        section["relevance_bins"] = [{"bin_start": round(b / 10, 1), "bin_end": round((b + 1) / 10, 1),
                                      "backlinks": deciles.get(b, 0)} for b in range(10)]  # fmt: skip
        section["equity_decades"] = [{"decade": r["decade"], "from": 10.0 ** r["decade"],
                                      "to": 10.0 ** (r["decade"] + 1), "backlinks": r["backlinks"]}
                                     for r in _rows(v, queries.EQUITY_DECADES)]  # fmt: skip
        section["equity_by_domain"] = {"rows": _rows(v, queries.EQUITY_BY_DOMAIN, limit=self.limit),
                                       "total": _one(v, queries.EQUITY_BY_DOMAIN_TOTAL, domain=self.domain)}  # fmt: skip
        for name, sql in (("most_relevant", queries.MOST_RELEVANT), ("off_topic", queries.OFF_TOPIC)):
            section[name] = {"rows": _rows(v, f"SELECT * FROM ({sql}) LIMIT $limit", limit=self.limit),
                             "total": _one(v, f"SELECT count(*) FROM ({sql})")}  # fmt: skip
        section["off_topic"]["below"] = queries.OFF_TOPIC_RELEVANCE
        return section

"""``linkspider monitor``: check the backlinks a user expects, page by page, now.

Each expected link (source page; target URL or domain; optional anchor; optional follow) is
checked by fetching its source page with the real crawl (``linkspider crawl`` at depth 0 with
the project's settings: robots.txt, politeness, address rules), with the target URLs given,
then the targets of links found by domain, into a dataset of its own (``<DIR>/_monitor_fetch``,
hidden from directory scans: the monitor's fetches never count as crawl runs). The verdicts
are read back from those files only:

- ``missing``: the source page does not hold the link live; ``reason`` is the lost reason
  (``linkspider.history.identity.LOST_REASONS``);
- ``degraded``: the link is there but became nofollow/ugc/sponsored (or the page nofollow)
  where follow was expected (an expected link without a follow value is expected followed),
  its anchor differs from the expected one (compared after NFKC, whitespace collapsed, case
  folded), or its target now redirects or is broken (4xx, 5xx, unreachable; a target that
  robots.txt keeps the monitor from fetching is not judged);
- ``unknown``: the source page failed transiently (5xx, other errors, host unreachable), and
  has not failed ``LINKSPIDER_HISTORY_TRANSIENT_RUNS`` (2) monitor runs in a row yet: the
  history's transient rule, counted over the ``monitor`` table's earlier rows of the link
  (:func:`failing_streaks`); then ``missing``;
- ``ok`` otherwise.

Results go to the ``monitor`` table (``<DIR>/monitor/run=<id>/monitor.parquet``) and a CSV or
JSON report; the exit code says whether to alert (:class:`MonitorExit`).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from enum import IntEnum
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.dataset.layout import run_files
from linkspider.history import fold, queries
from linkspider.history.identity import TRACKED_KINDS, TRANSIENT_REASONS, sql_list, unreachable_pattern
from linkspider.history.update import transient_runs_or_default
from linkspider.dataset.schema import MONITOR_SCHEMA
from linkspider.urls.normalize import resolve_href, split_fragment


class MonitorExit(IntEnum):
    """Exit codes of ``linkspider monitor`` (docs/history.md, Monitor)."""

    OK = 0  #: every expected link is ok
    DEGRADED = 1  #: some link is degraded or unknown (a transient failure), none is missing
    USAGE = 2  #: bad arguments or expected-links file
    MISSING = 3  #: some expected link is missing
    FETCH_FAILED = 4  #: the monitor's crawl wrote nothing (cannot judge)


class MonitorError(ValueError):
    """The expected links cannot be read."""


@dataclass
class Expected:
    """One expected backlink."""

    source_url: str
    target: str  # a URL (no fragment) or a domain
    anchor: str | None = None
    follow: bool | None = None

    @property
    def is_domain(self) -> bool:
        return "://" not in self.target


@dataclass
class Verdict:
    """The monitor's finding for one expected link (a row of the ``monitor`` table)."""

    source_url: str
    expected_target: str
    expected_anchor: str | None
    expected_follow: bool | None
    verdict: str
    reason: str | None = None
    found_target: str | None = None
    found_anchor: str | None = None
    found_rel: list[str] | None = None
    found_follow: bool | None = None
    target_status: int | None = None


_HEADERS = {
    "source": ("source_url", "source", "source page", "page", "url"),
    "target": ("target", "target_url", "target_domain", "domain"),
    "anchor": ("anchor", "anchor_text", "expected_anchor"),
    "follow": ("follow", "expected_follow"),
}
_TRUE, _FALSE = ("true", "yes", "1", "follow", "dofollow"), ("false", "no", "0", "nofollow")
_DEGRADING_REASONS = {"rel_nofollow": "nofollow", "rel_ugc": "ugc", "rel_sponsored": "sponsored",
                      "meta_robots": "page_nofollow", "x_robots_tag": "page_nofollow"}  # fmt: skip


def normalize_url(raw: str) -> str | None:
    """Return ``raw`` as the crawler records URLs (WHATWG, no fragment), or None when it is
    not an http(s) URL. ``"HTTP://Example.COM/a#x"`` -> ``"http://example.com/a"``."""
    candidate = raw.strip() if "://" in raw else f"http://{raw.strip()}"
    url = resolve_href(candidate, candidate)
    if url is None or url.partition(":")[0] not in ("http", "https"):
        return None
    return split_fragment(url)[0]


def _parse_follow(text: str, where: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise MonitorError(f"{where}: follow must be true or false (or empty), got {text!r}")


def read_expected(path: str | os.PathLike[str]) -> list[Expected]:
    """Return the expected links of a CSV file: source page URL; target URL or domain;
    optional anchor; optional follow. A header row naming the columns is optional."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitorError(f"cannot read {path}: {exc}") from exc
    if not rows:
        raise MonitorError(f"{path} has no expected links; give rows of: source URL, target URL "
                           "or domain, optional anchor, optional follow")  # fmt: skip
    order = ["source", "target", "anchor", "follow"]
    first = [cell.strip().lower() for cell in rows[0]]
    if any(cell in names for cell in first for names in _HEADERS.values()):
        columns = {}
        for i, cell in enumerate(first):
            for name, names in _HEADERS.items():
                if cell in names and name not in columns:
                    columns[name] = i
        if "source" not in columns or "target" not in columns:
            raise MonitorError(f"{path}: the header must name a source and a target column, got {rows[0]}")
        body, start = rows[1:], 2
    else:
        columns, body, start = {name: i for i, name in enumerate(order)}, rows, 1
    expected = []
    for number, row in enumerate(body, start):
        where = f"{path} line {number}"
        cell = {name: row[i].strip() if i < len(row) else "" for name, i in columns.items()}
        source = normalize_url(cell["source"]) if cell["source"] else None
        if source is None:
            raise MonitorError(f"{where}: source {cell['source']!r} is not an http(s) URL")
        target = cell["target"]
        if not target:
            raise MonitorError(f"{where}: no target URL or domain")
        if "://" in target:
            normalized = normalize_url(target)
            if normalized is None:
                raise MonitorError(f"{where}: target {target!r} is not an http(s) URL")
            target = normalized
        else:
            target = target.lower().rstrip(".").encode("idna").decode("ascii")
        expected.append(Expected(source, target, cell.get("anchor") or None,
                                 _parse_follow(cell.get("follow", ""), where)))
    return expected


def expected_from_history(root: str | os.PathLike[str], domain: str) -> list[Expected]:
    """Return every backlink link_history holds live for ``domain``, as expected links."""
    path = fold.history_path(root)
    if not path.exists():
        raise MonitorError(f"{root} has no link_history; run `linkspider history update --out {root}`")
    rows = duckdb.connect().execute(queries.LIVE_BACKLINKS, {"path": str(path), "domain": domain.lower()}).fetchall()
    if not rows:
        raise MonitorError(f"link_history in {root} holds no live backlinks to {domain}")
    return [Expected(source, target, anchor, follow) for source, target, anchor, follow in rows]


def _crawl(urls: list[str], fetch_root: Path, run_id: str, crawl_args: list[str]) -> subprocess.CompletedProcess:
    seeds = fetch_root / f"seeds-{run_id}.txt"
    fetch_root.mkdir(parents=True, exist_ok=True)
    seeds.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    command = [sys.executable, "-m", "linkspider", "crawl", "--seeds-file", str(seeds), "--max-depth", "0",
               "--out", str(fetch_root), "--run-id", run_id, "-s", "LINKSPIDER_HISTORY_UPDATE=0",
               *crawl_args]  # fmt: skip
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        seeds.unlink(missing_ok=True)


def _read_run(fetch_root: Path, run_id: str) -> tuple[dict[str, str], dict[str, list[dict]], dict[str, dict]]:
    """Return (page state by URL, tracked links by source URL, pages row by URL) of a run."""
    con = duckdb.connect()
    try:
        fold._view(con, "run_links", run_files(fetch_root, "links", run_id), _links_schema())
        fold._view(con, "run_pages", run_files(fetch_root, "pages", run_id), _pages_schema())
        pattern = unreachable_pattern().replace("'", "''")
        con.execute(queries.PAGE_STATES.replace("{unreachable}", pattern))
        states = dict(con.execute("SELECT page_url, state FROM page_states").fetchall())
        links: dict[str, list[dict]] = {}
        table = con.sql(f"SELECT source_url, target_url, target_host, target_domain, anchor_text, rel, "
                            f"follow, follow_reason, position FROM run_links WHERE link_kind IN "
                            f"({sql_list(TRACKED_KINDS)}) ORDER BY source_url, position").to_arrow_table()
        for row in table.to_pylist():
            links.setdefault(row["source_url"], []).append(row)
        pages = {row["url"]: row for row in con.sql(
            "SELECT url, final_url, status, error, len(redirect_chain) AS hops FROM run_pages"
        ).to_arrow_table().to_pylist()}  # fmt: skip
    finally:
        con.close()
    return states, links, pages


def _links_schema() -> pa.Schema:
    from linkspider.dataset.schema import LINKS_SCHEMA

    return LINKS_SCHEMA


def _pages_schema() -> pa.Schema:
    from linkspider.dataset.schema import PAGES_SCHEMA

    return PAGES_SCHEMA


def _same_text(a: str, b: str) -> bool:
    def clean(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return clean(a) == clean(b)


def _matches(expected: Expected, link: dict) -> bool:
    if not expected.is_domain:
        return link["target_url"] == expected.target
    host, domain = link["target_host"] or "", link["target_domain"] or ""
    return expected.target in (domain, host) or host.endswith("." + expected.target)


def target_problem(page: dict | None) -> str | None:
    """Return ``target_redirects``, ``target_broken`` or None for a target's pages row."""
    if page is None:
        return None
    if page["status"] is None:
        error = page["error"] or ""
        return None if "robots.txt" in error else "target_broken"
    if page["hops"] or (page["final_url"] and page["final_url"] != page["url"]):
        return "target_redirects"
    return "target_broken" if page["status"] >= 400 else None


def _degradations(expected: Expected, link: dict, target_page: dict | None) -> list[str]:
    found: list[str] = []
    if not link["follow"] and expected.follow is not False:
        found.append(_DEGRADING_REASONS.get(link["follow_reason"], "nofollow"))
    if expected.anchor is not None and not _same_text(expected.anchor, link["anchor_text"] or ""):
        found.append("anchor_differs")
    problem = target_problem(target_page)
    if problem:
        found.append(problem)
    return sorted(found)


def judge(expected: list[Expected], states: dict[str, str], links: dict[str, list[dict]],
          targets: dict[str, dict]) -> list[Verdict]:  # fmt: skip
    """Return one verdict per expected link from what the monitor's crawl wrote."""
    verdicts = []
    for want in expected:
        base = dict(source_url=want.source_url, expected_target=want.target,
                    expected_anchor=want.anchor, expected_follow=want.follow)  # fmt: skip
        state = states.get(want.source_url, "page_error")
        if state != "ok":
            verdicts.append(Verdict(**base, verdict="missing", reason=state))
            continue
        candidates = [link for link in links.get(want.source_url, []) if _matches(want, link)]
        if not candidates:
            verdicts.append(Verdict(**base, verdict="missing", reason="link_removed"))
            continue
        scored = [(len(_degradations(want, link, targets.get(link["target_url"]))), i)
                  for i, link in enumerate(candidates)]  # fmt: skip
        link = candidates[min(scored)[1]]
        target_page = targets.get(link["target_url"])
        problems = _degradations(want, link, target_page)
        verdicts.append(Verdict(
            **base, verdict="degraded" if problems else "ok", reason=",".join(problems) or None,
            found_target=link["target_url"], found_anchor=link["anchor_text"], found_rel=list(link["rel"]),
            found_follow=link["follow"], target_status=target_page["status"] if target_page else None,
        ))  # fmt: skip
    return verdicts


def exit_code(verdicts: list[Verdict]) -> MonitorExit:
    """Return the exit code for ``verdicts``: MISSING over DEGRADED (or unknown) over OK."""
    kinds = {v.verdict for v in verdicts}
    if "missing" in kinds:
        return MonitorExit.MISSING
    return MonitorExit.DEGRADED if kinds & {"degraded", "unknown"} else MonitorExit.OK


def _failing_transiently(verdict: str, reason: str | None) -> bool:
    return verdict == "unknown" or (verdict == "missing" and reason in TRANSIENT_REASONS)


def failing_streaks(root: str | os.PathLike[str]) -> dict[tuple[str, str], int]:
    """Return, per expected link (source URL, expected target), how many of its latest
    monitor runs in a row found its source page failing transiently (from the ``monitor``
    table; links never checked before are absent)."""
    files = sorted((Path(root) / "monitor").glob("run=*/monitor.parquet"))
    if not files:
        return {}
    listing = "[" + ", ".join(fold._literal(str(f)) for f in files) + "]"
    rows = duckdb.connect().execute(
        f"SELECT source_url, expected_target, verdict, reason FROM read_parquet({listing}) "
        "ORDER BY checked_at, run_id").fetchall()  # fmt: skip
    streaks: dict[tuple[str, str], int] = {}
    for source, target, verdict, reason in rows:
        failing = _failing_transiently(verdict, reason)
        streaks[(source, target)] = streaks.get((source, target), 0) + 1 if failing else 0
    return streaks


def apply_transient_rule(verdicts: list[Verdict], streaks: dict[tuple[str, str], int],
                         transient_runs: int) -> list[Verdict]:  # fmt: skip
    """Return ``verdicts`` with each transient ``missing`` (page_error, host_unreachable)
    made ``unknown`` while its failing streak, this run included, is under
    ``transient_runs``."""
    judged = []
    for v in verdicts:
        streak = streaks.get((v.source_url, v.expected_target), 0) + 1
        if v.verdict == "missing" and v.reason in TRANSIENT_REASONS and streak < transient_runs:
            v = replace(v, verdict="unknown")
        judged.append(v)
    return judged


def run_monitor(root: str | os.PathLike[str], expected: list[Expected], crawl_args: list[str],
                report: str | os.PathLike[str] | None = None,
                transient_runs: int | None = None) -> tuple[list[Verdict], Path]:  # fmt: skip
    """Fetch the source pages and targets, judge every expected link (a transient failure
    stays ``unknown`` for ``transient_runs`` runs, default LINKSPIDER_HISTORY_TRANSIENT_RUNS),
    write the ``monitor`` table and the report (CSV, or JSON when ``report`` ends in .json);
    return the verdicts and the report's path."""
    root = Path(root)
    transient_runs = transient_runs_or_default(transient_runs)
    if transient_runs < 1:
        raise MonitorError(f"--transient-runs must be at least 1, got {transient_runs}")
    now = datetime.now(timezone.utc)
    run_id = f"monitor-{now:%Y%m%dT%H%M%S%fZ}"
    fetch_root = root / "_monitor_fetch"
    sources = sorted({e.source_url for e in expected})
    # Target URLs given are fetched with the sources; targets found by domain in a second pass.
    urls = sorted(set(sources) | {e.target for e in expected if not e.is_domain})
    result = _crawl(urls, fetch_root, run_id, crawl_args)
    if not run_files(fetch_root, "pages", run_id):
        raise RuntimeError(f"the monitor's crawl of {len(urls)} pages wrote nothing "
                           f"(exit {result.returncode}): {result.stderr.strip()[-800:]}")
    states, links, targets = _read_run(fetch_root, run_id)
    found = sorted({link["target_url"] for want in expected if states.get(want.source_url) == "ok"
                    for link in links.get(want.source_url, []) if _matches(want, link)
                    and link["target_url"].partition(":")[0] in ("http", "https")} - set(targets))  # fmt: skip
    if found:
        _crawl(found, fetch_root, run_id + "-targets", crawl_args)
        targets.update(_read_run(fetch_root, run_id + "-targets")[2])
    verdicts = apply_transient_rule(judge(expected, states, links, targets), failing_streaks(root), transient_runs)
    rows = [dict(asdict(v), checked_at=now, run_id=run_id) for v in verdicts]
    table = pa.Table.from_pylist(rows, schema=MONITOR_SCHEMA)
    path = root / "monitor" / f"run={run_id}" / "monitor.parquet"
    staging = root / "_staging" / "monitor"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{run_id}.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)
    staging.rmdir()
    report_path = Path(report) if report else path.with_name("report.csv")
    write_report(verdicts, report_path)
    return verdicts, report_path


def write_report(verdicts: list[Verdict], path: Path) -> None:
    """Write ``verdicts`` as JSON (``.json``) or CSV (anything else) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(v) for v in verdicts]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["source_url"])
        writer.writeheader()
        for row in rows:
            row["found_rel"] = " ".join(row["found_rel"] or [])
            writer.writerow(row)

"""The ``domain_signals`` table: per referring domain, spam signals and the flags they raise.

Each signal is a number per domain (null when its denominator is 0). A domain is *flagged* for
a signal when the value lies beyond the crawl's own distribution of that signal: Tukey's fence
``Q3 + 1.5 * IQR`` (or ``Q1 - 1.5 * IQR`` for the signals where low is suspicious), with the
quartiles of the non-null values by linear interpolation; beyond means strictly. As Majestic
did with its flow metrics and Moz does with its Spam Score, the flags are counted per domain
(``flag_count``) and named (``flags``), so a report can say why a domain looks like spam.

| signal | formula | side |
|---|---|---|
| ``links_per_linked_domain`` | backlinks / distinct target domains (diversity) | high |
| ``followed_share`` | followed backlinks / backlinks | high |
| ``exact_anchor_share`` | backlinks with an ``exact`` anchor / backlinks | high |
| ``partial_anchor_share`` | backlinks with a ``partial`` anchor / backlinks | high |
| ``sitewide_share`` | backlinks to sitewide targets / backlinks | high |
| ``reciprocal_share`` | followed target domains that link back followed / followed target domains | high |
| ``outbound_links_per_page`` | backlinks / pages | high |
| ``outbound_links_per_100_words`` | 100 * backlinks / words of its pages | high |
| ``thin_page_share`` | pages under ``THIN_PAGE_WORDS`` words / pages | high |
| ``internal_external_ratio`` | internal body links / backlinks | low |
| ``domain_digits`` | digits in the domain's label (``news-1`` of ``news-1.com``) | high |
| ``domain_hyphens`` | hyphens in the label | high |
| ``domain_length`` | characters of the label | high |

Backlinks are the domain's external body links (a, area, image) to http(s) URLs; pages are
the distinct final URLs of its 2xx HTML pages; a target domain is *sitewide* when links to it
from header, nav or footer regions sit on more than ``SITEWIDE_PAGE_SHARE`` of the domain's
pages (at least 2).
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow as pa

from linkspider.analysis import queries
from linkspider.analysis.anchors import domain_label

THIN_PAGE_WORDS = 50
SITEWIDE_PAGE_SHARE = 0.5
TUKEY_K = 1.5
#: signal name -> the side where a value is suspicious ("high" or "low").
SIGNALS: dict[str, str] = {
    "links_per_linked_domain": "high", "followed_share": "high", "exact_anchor_share": "high",
    "partial_anchor_share": "high", "sitewide_share": "high", "reciprocal_share": "high",
    "outbound_links_per_page": "high", "outbound_links_per_100_words": "high",
    "thin_page_share": "high", "internal_external_ratio": "low", "domain_digits": "high",
    "domain_hyphens": "high", "domain_length": "high",
}  # fmt: skip
FENCES_KEY = "linkspider.analysis.signal_fences"


def _ratio(numerator: np.ndarray, denominator: np.ndarray, scale: float = 1.0) -> np.ndarray:
    out = np.full(len(numerator), np.nan)
    ok = denominator > 0
    out[ok] = scale * numerator[ok] / denominator[ok]
    return out


def tukey_fence(values: np.ndarray, side: str, k: float = TUKEY_K) -> float | None:
    """Return the Tukey fence of the non-NaN ``values`` on ``side``, or None without values.

    >>> tukey_fence(np.array([1.0, 2.0, 3.0, 4.0, 100.0]), "high")
    7.0
    """
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    q1, q3 = np.percentile(values, [25, 75])
    iqr = q3 - q1
    return float(q3 + k * iqr) if side == "high" else float(q1 - k * iqr)


def signal_values(counts: dict[str, np.ndarray], domains: list[str]) -> dict[str, np.ndarray]:
    """Return signal name -> value per domain from the counts of ``queries.SIGNAL_COUNTS``."""
    c = {name: np.asarray(values, dtype=np.float64) for name, values in counts.items()}
    labels = [domain_label(domain) for domain in domains]
    return {
        "links_per_linked_domain": _ratio(c["backlinks"], c["linked_domains"]),
        "followed_share": _ratio(c["followed"], c["backlinks"]),
        "exact_anchor_share": _ratio(c["exact_anchors"], c["backlinks"]),
        "partial_anchor_share": _ratio(c["partial_anchors"], c["backlinks"]),
        "sitewide_share": _ratio(c["sitewide_links"], c["backlinks"]),
        "reciprocal_share": _ratio(c["reciprocal_domains"], c["followed_domains"]),
        "outbound_links_per_page": _ratio(c["backlinks"], c["pages"]),
        "outbound_links_per_100_words": _ratio(c["backlinks"], c["words"], 100.0),
        "thin_page_share": _ratio(c["thin_pages"], c["pages"]),
        "internal_external_ratio": _ratio(c["internal_links"], c["backlinks"]),
        "domain_digits": np.array([sum(ch.isdigit() for ch in label) for label in labels], float),
        "domain_hyphens": np.array([label.count("-") for label in labels], float),
        "domain_length": np.array([len(label) for label in labels], float),
    }


def flag_domains(values: dict[str, np.ndarray]) -> tuple[list[list[str]], dict[str, float | None]]:
    """Return (the flags of each domain, in ``SIGNALS`` order; the fence of each signal)."""
    n = len(next(iter(values.values()))) if values else 0
    flags: list[list[str]] = [[] for _ in range(n)]
    fences: dict[str, float | None] = {}
    for name, side in SIGNALS.items():
        column = values[name]
        fence = fences[name] = tukey_fence(column, side)
        if fence is None:
            continue
        with np.errstate(invalid="ignore"):
            beyond = column > fence if side == "high" else column < fence
        for i in np.flatnonzero(beyond):
            flags[i].append(name)
    return flags, fences


def domain_signals_table(con: duckdb.DuckDBPyConnection, run_id: str) -> pa.Table:
    """Return the ``domain_signals`` table (``anchor_classes`` must be registered on ``con``);
    the fences are in the schema metadata under ``FENCES_KEY`` (JSON: signal -> fence)."""
    counts = con.sql(queries.SIGNAL_COUNTS, params={
        "thin_words": THIN_PAGE_WORDS, "sitewide_share": SITEWIDE_PAGE_SHARE,
    }).to_arrow_table()  # fmt: skip
    domains = counts["referring_domain"].to_pylist()
    columns = {name: counts[name].to_numpy(zero_copy_only=False) for name in counts.column_names[1:]}
    values = signal_values(columns, domains)
    flags, fences = flag_domains(values)
    table = pa.table({
        "run_id": pa.array([run_id] * len(domains), pa.string()),
        "referring_domain": pa.array(domains, pa.string()),
        "pages": counts["pages"], "backlinks": counts["backlinks"],
        **{name: pa.array(values[name], pa.float64(), from_pandas=True) for name in SIGNALS},
        "flags": pa.array(flags, pa.list_(pa.string())),
        "flag_count": pa.array([len(f) for f in flags], pa.int32()),
    })  # fmt: skip
    return table.replace_schema_metadata({FENCES_KEY: json.dumps(fences)})

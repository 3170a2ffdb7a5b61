"""Every SQL statement of the HTML report, named, over the views ``htmlreport.dataset`` makes.

Views: ``links`` and ``pages`` (the run), ``targets`` (the run's target checks),
``referring_domains``, ``domain_rank``, ``page_rank``, ``anchors``, ``domain_signals``,
``link_scores`` (the run's analysis tables), ``link_changes`` (every step of the history), ``run_links`` (every complete
run's links, for the history). ``$domain`` is the domain reported on, or NULL for the whole
dataset. A backlink is an external body link (a, area, image) to an http(s) URL, as
``linkspider analyze`` counts them.
"""

from __future__ import annotations

from linkspider.dataset.schema import PAGE_OK_SQL

#: Predicate of a backlink (to ``$domain`` when given), on the ``links`` columns.
BACKLINK = """(is_external AND link_kind IN ('a', 'area', 'image') AND target_scheme IN ('http', 'https')
    AND ($domain IS NULL OR target_domain = $domain))"""

#: Predicate of an internal link of the reported site(s) to an http(s) URL.
INTERNAL_LINK = """(NOT is_external AND link_kind IN ('a', 'area', 'image', 'iframe')
    AND target_scheme IN ('http', 'https') AND ($domain IS NULL OR referring_domain = $domain))"""

OVERVIEW = f"""
SELECT
  (SELECT count(*) FROM pages WHERE $domain IS NULL OR domain = $domain) AS pages,
  (SELECT count(*) FROM pages WHERE ($domain IS NULL OR domain = $domain) AND {PAGE_OK_SQL})
    AS pages_ok,
  (SELECT count(*) FROM links WHERE $domain IS NULL OR referring_domain = $domain) AS links,
  count(*) AS backlinks,
  count(DISTINCT referring_domain) AS referring_domains,
  count(DISTINCT source_url) AS linking_pages,
  count(DISTINCT target_domain) AS target_domains,
  count(*) FILTER (follow) AS followed_backlinks
FROM links WHERE {BACKLINK}
"""

FOLLOW_SPLIT = f"""
SELECT follow_reason AS reason, count(*) AS backlinks FROM links WHERE {BACKLINK}
GROUP BY 1 ORDER BY 2 DESC, 1
"""

REL_FLAGS = f"""
SELECT count(*) FILTER (nofollow) AS nofollow, count(*) FILTER (ugc) AS ugc,
       count(*) FILTER (sponsored) AS sponsored, count(*) FILTER (follow) AS followed
FROM links WHERE {BACKLINK}
"""

REGIONS = f"""
SELECT coalesce(region, 'none') AS region, count(*) AS backlinks, count(*) FILTER (follow) AS followed
FROM links WHERE {BACKLINK} GROUP BY 1 ORDER BY 2 DESC, 1
"""

ANCHOR_CLASSES = """
SELECT anchor_class, sum(backlinks)::BIGINT AS backlinks FROM anchors
WHERE $domain IS NULL OR target_domain = $domain GROUP BY 1 ORDER BY 2 DESC, 1
"""

TOP_ANCHORS = """
SELECT anchor_text, anchor_class, sum(backlinks)::BIGINT AS backlinks,
       max(referring_domains)::BIGINT AS referring_domains
FROM anchors WHERE $domain IS NULL OR target_domain = $domain
GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT $limit
"""

TOP_ANCHORS_TOTAL = """
SELECT count(*) FROM (SELECT DISTINCT anchor_text, anchor_class FROM anchors
WHERE $domain IS NULL OR target_domain = $domain)
"""

#: Referring domains counted from the run's links (exact for any $domain).
REFERRING_DOMAINS = f"""
SELECT referring_domain, count(*) AS backlinks, count(*) FILTER (follow) AS followed_backlinks,
       count(DISTINCT source_url) AS linking_pages, count(DISTINCT target_url) AS target_pages
FROM links WHERE {BACKLINK} GROUP BY 1
"""

TOP_REFERRING_DOMAINS = f"""
WITH rd AS ({REFERRING_DOMAINS})
SELECT * FROM rd ORDER BY backlinks DESC, referring_domain LIMIT $limit
"""

#: Rank (1 = highest PageRank) and authority of every domain of the analysis.
DOMAIN_RANKS = """
SELECT domain, authority, pagerank, referring_domains AS in_degree,
       row_number() OVER (ORDER BY pagerank DESC, domain) AS rank
FROM domain_rank
"""

DOMAIN_SIGNALS = "SELECT * FROM domain_signals"

TOP_LINKED_PAGES = f"""
SELECT target_url, count(*) AS backlinks, count(DISTINCT referring_domain) AS referring_domains,
       count(*) FILTER (follow) AS followed_backlinks
FROM links WHERE {BACKLINK} GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT $limit
"""

LINKED_PAGES_TOTAL = f"SELECT count(DISTINCT target_url) FROM links WHERE {BACKLINK}"

LINK_SCORE_BINS = """
SELECT least(floor(link_score / 10), 9)::INTEGER * 10 AS bin_start, count(*) AS pages
FROM page_rank WHERE $domain IS NULL OR site = $domain GROUP BY 1 ORDER BY 1
"""

LINK_SCORE_PAGES = "SELECT count(*) FROM page_rank WHERE $domain IS NULL OR site = $domain"

TOP_LINK_SCORE = """
SELECT site, url, link_score, inlinks FROM page_rank WHERE $domain IS NULL OR site = $domain
ORDER BY link_score DESC, inlinks DESC, url LIMIT $limit
"""

#: Internal links whose target the run fetched and found broken (4xx, 5xx, or no answer that
#: was not a robots.txt or address-rule refusal), one row per target.
BROKEN_INTERNAL = f"""
WITH answered AS (
  SELECT url, any_value(status) AS status, any_value(error) AS error FROM pages
  WHERE status >= 400 OR (status IS NULL AND NOT (error LIKE 'refused %' OR error LIKE '%disallowed by robots.txt%'))
  GROUP BY url
)
SELECT l.target_url AS url, a.status, a.error, count(*) AS links,
       count(DISTINCT l.source_url) AS linking_pages,
       list(DISTINCT l.source_url ORDER BY l.source_url)[1:$sources] AS sources
FROM links AS l JOIN answered AS a ON a.url = l.target_url
WHERE {INTERNAL_LINK}
GROUP BY 1, 2, 3 ORDER BY linking_pages DESC, links DESC, url
"""

#: External targets the check found broken, with the pages linking to them.
BROKEN_EXTERNAL = """
SELECT t.url, t.status, t.error, t.final_url, count(*) AS links,
       count(DISTINCT l.source_url) AS linking_pages, count(DISTINCT l.referring_domain) AS referring_domains,
       list(DISTINCT l.source_url ORDER BY l.source_url)[1:$sources] AS sources
FROM targets AS t JOIN links AS l ON l.target_url = t.url
WHERE t.outcome = 'broken' AND l.is_external
  AND ($domain IS NULL OR l.target_domain = $domain OR l.referring_domain = $domain)
GROUP BY 1, 2, 3, 4 ORDER BY linking_pages DESC, links DESC, t.url
"""

REDIRECTED_EXTERNAL = """
SELECT t.url, t.final_url, t.status, len(t.redirect_chain) AS hops, count(DISTINCT l.source_url) AS linking_pages
FROM targets AS t JOIN links AS l ON l.target_url = t.url
WHERE t.outcome = 'redirected' AND l.is_external
  AND ($domain IS NULL OR l.target_domain = $domain OR l.referring_domain = $domain)
GROUP BY 1, 2, 3, 4 ORDER BY linking_pages DESC, t.url
"""

TARGET_OUTCOMES = """
SELECT t.outcome, count(*) AS targets FROM targets AS t
WHERE $domain IS NULL OR t.url IN (SELECT target_url FROM links WHERE is_external
      AND (target_domain = $domain OR referring_domain = $domain))
GROUP BY 1 ORDER BY 1
"""

#: Backlinks and referring domains of every complete run (``run_links``: all their links).
HISTORY_RUNS = f"""
SELECT run_id, count(*) AS backlinks, count(DISTINCT referring_domain) AS referring_domains
FROM run_links WHERE {BACKLINK} GROUP BY 1
"""

#: Predicate of a backlink change: a link between two domains (to $domain when given).
BACKLINK_CHANGE = """(target_domain IS NOT NULL AND target_domain IS DISTINCT FROM referring_domain
    AND ($domain IS NULL OR target_domain = $domain))"""

#: New, lost, changed and restored backlinks of each history step.
HISTORY_CHANGES = f"""
SELECT to_run, change, count(*) AS links FROM link_changes WHERE {BACKLINK_CHANGE} GROUP BY 1, 2
"""

LATEST_CHANGES = f"""
SELECT change, reason, source_url, target_url, referring_domain, anchor_text_before, anchor_text_after
FROM link_changes WHERE to_run = $to_run AND change IN ('new', 'lost') AND {BACKLINK_CHANGE}
ORDER BY change DESC, reason NULLS FIRST, referring_domain, source_url, target_url LIMIT $limit
"""

LATEST_CHANGES_TOTAL = f"""
SELECT change, count(*) FROM link_changes WHERE to_run = $to_run AND change IN ('new', 'lost')
  AND {BACKLINK_CHANGE} GROUP BY 1
"""

LOST_REASONS = f"""
SELECT coalesce(reason, 'unknown') AS reason, count(*) AS links FROM link_changes
WHERE to_run = $to_run AND change = 'lost' AND {BACKLINK_CHANGE} GROUP BY 1 ORDER BY 2 DESC, 1
"""

#: Hreflang alternates without a return link: page A names B as its ``hreflang`` version (a
#: ``<link rel=alternate hreflang>`` or a Link-header row), B names no hreflang version A.
#: ``alternate_status`` is B's HTTP status when the crawl fetched it (null: not fetched).
HREFLANG_NO_RETURN = """
WITH alternates AS (
  SELECT DISTINCT referring_domain, source_url, hreflang, target_url FROM links
  WHERE link_kind IN ('alternate', 'http_header') AND hreflang IS NOT NULL
    AND target_scheme IN ('http', 'https')
)
SELECT a.source_url AS page, a.hreflang, a.target_url AS alternate,
       (SELECT max(p.status) FROM pages p WHERE p.final_url = a.target_url) AS alternate_status
FROM alternates a
WHERE a.target_url <> a.source_url AND ($domain IS NULL OR a.referring_domain = $domain)
  AND NOT EXISTS (SELECT 1 FROM alternates b
                  WHERE b.source_url = a.target_url AND b.target_url = a.source_url)
ORDER BY page, a.hreflang, alternate
"""

# -- backlink equity and relevance (``link_scores`` of ``linkspider analyze``) --------------

#: Relevance under which a backlink's page is off the target's topic (docs/analysis.md).
OFF_TOPIC_RELEVANCE = 0.05

#: Every backlink with the link columns an audit reads.
BACKLINK_COLUMNS = f"""
SELECT referring_domain, source_url, target_url, position, anchor_text, follow, follow_reason,
       coalesce(region, 'none') AS region
FROM links WHERE {BACKLINK}
"""

#: Every backlink with its ``link_scores`` row (keyed like links: source_url, target_url,
#: position): equity, relevance and its terms and basis, site relevance, languages.
SCORED_BACKLINKS = f"""
SELECT b.*, s.equity, s.relevance, s.relevance_terms, s.relevance_basis, s.site_relevance,
       s.source_language, s.target_language
FROM ({BACKLINK_COLUMNS}) AS b LEFT JOIN link_scores AS s
  ON s.source_url = b.source_url AND s.target_url = b.target_url AND s.position IS NOT DISTINCT FROM b.position
"""

#: ``scored_backlinks``: SCORED_BACKLINKS for $domain, made once per report (the join is the
#: report's costliest step on a large run; every query below reads the table).
SCORED_BACKLINKS_TABLE = f"CREATE OR REPLACE TEMP TABLE scored_backlinks AS {SCORED_BACKLINKS}"

#: The explorer's rows: the backlinks passing the most equity first (up to $rows).
BACKLINK_EXPLORER = """
SELECT * FROM scored_backlinks
ORDER BY equity DESC NULLS LAST, referring_domain, source_url, target_url, position LIMIT $rows
"""

#: The explorer's rows when the run was not analyzed: the links table's columns only.
BACKLINK_EXPLORER_PLAIN = f"""
SELECT * FROM ({BACKLINK_COLUMNS}) ORDER BY referring_domain, source_url, target_url, position LIMIT $rows
"""

BACKLINKS_TOTAL = f"SELECT count(*) FROM links WHERE {BACKLINK}"

#: Counts and sums over the scored backlinks.
SCORE_SUMMARY = f"""
SELECT count(*) AS backlinks, count(equity) AS scored, count(*) FILTER (equity > 0) AS passing_equity,
       sum(equity) AS equity, count(relevance) AS with_relevance,
       count(*) FILTER (relevance < {OFF_TOPIC_RELEVANCE}) AS off_topic, median(relevance) AS median_relevance,
       count(source_language) AS with_language
FROM scored_backlinks
"""

#: The equity each referring domain passes to the target(s), largest first.
EQUITY_BY_DOMAIN = """
SELECT referring_domain, count(*) AS backlinks, count(*) FILTER (follow) AS followed_backlinks,
       sum(equity) AS equity, sum(equity) / nullif(sum(sum(equity)) OVER (), 0) AS equity_share,
       avg(relevance) AS mean_relevance
FROM scored_backlinks GROUP BY 1
ORDER BY equity DESC NULLS LAST, backlinks DESC, referring_domain LIMIT $limit
"""

EQUITY_BY_DOMAIN_TOTAL = f"SELECT count(DISTINCT referring_domain) FROM links WHERE {BACKLINK}"

MOST_RELEVANT = """
SELECT * FROM scored_backlinks WHERE relevance IS NOT NULL
ORDER BY relevance DESC, equity DESC NULLS LAST, source_url, target_url, position
"""

#: Off-topic backlinks, those passing the most equity first (the ones an audit looks at).
OFF_TOPIC = f"""
SELECT * FROM scored_backlinks WHERE relevance < {OFF_TOPIC_RELEVANCE}
ORDER BY equity DESC NULLS LAST, relevance, source_url, target_url, position
"""

#: Backlinks by relevance decile (0 = [0, 0.1), ..., 9 = [0.9, 1]); unknown relevance left out.
RELEVANCE_BINS = """
SELECT least(floor(relevance * 10), 9)::INTEGER AS bin, count(*) AS backlinks
FROM scored_backlinks WHERE relevance IS NOT NULL GROUP BY 1 ORDER BY 1
"""

#: Backlinks passing equity by its decade (-5 = [1e-5, 1e-4)); zero and unscored left out.
EQUITY_DECADES = """
SELECT floor(log10(equity))::INTEGER AS decade, count(*) AS backlinks
FROM scored_backlinks WHERE equity > 0 GROUP BY 1 ORDER BY 1
"""

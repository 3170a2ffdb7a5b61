"""Every SQL statement the analysis runs, named and documented in one place (DuckDB).

They read the views ``run_links`` and ``run_pages`` (one run's files, created by
``linkspider.analysis.rollups.open_run``) and, where named, tables the analysis registers:
``anchor_classes``, ``authority`` and ``history``. Backlinks are the *body links* of kinds
``a``, ``area`` and ``image`` with an http(s) target (``{backlink}`` below, filled in once).
"""

from __future__ import annotations

BODY_KINDS = ("a", "area", "image")
_BODY = "link_kind IN ('a', 'area', 'image') AND target_scheme IN ('http', 'https')"
BACKLINK = f"is_external AND {_BODY} AND target_domain IS NOT NULL AND referring_domain IS NOT NULL"

#: Edges of the registrable-domain graph: one row per (referring, target) domain pair with
#: whether any of its links is followed. Self-loops cannot occur (backlinks are external).
DOMAIN_EDGES = f"""
SELECT referring_domain::VARCHAR AS source, target_domain::VARCHAR AS target,
       bool_or(follow) AS followed
FROM run_links WHERE {BACKLINK}
GROUP BY 1, 2
"""

#: Domains of the run's fetched pages (nodes of the domain graph even without links).
CRAWLED_DOMAINS = """
SELECT DISTINCT domain::VARCHAR AS domain FROM run_pages
WHERE domain IS NOT NULL AND status BETWEEN 200 AND 299
"""

#: Followed internal body links per site (redirects and canonicals are resolved afterwards).
INTERNAL_EDGES = f"""
SELECT referring_domain::VARCHAR AS site, source_url, target_url
FROM run_links
WHERE NOT is_external AND follow AND {_BODY} AND referring_domain IS NOT NULL
"""

#: Every link of the run, in file order, with what the equity model reads (``equity``).
CRAWL_LINKS = """
SELECT source_url, target_url, position, link_kind::VARCHAR AS link_kind,
       target_scheme::VARCHAR AS target_scheme, is_external, follow, region::VARCHAR AS region
FROM run_links
"""

#: Final URLs of the run's fetched pages: nodes of the crawl graph even without links.
FETCHED_PAGES = """
SELECT DISTINCT final_url FROM run_pages WHERE final_url IS NOT NULL AND status IS NOT NULL
ORDER BY 1
"""

#: Where a URL passes its equity: HTTP redirects, meta refresh and canonicals elsewhere.
URL_FORWARDS = """
SELECT source_url, target_url, link_kind::VARCHAR AS link_kind
FROM run_links
WHERE link_kind IN ('redirect', 'meta_refresh', 'canonical') AND target_url <> source_url
  AND target_scheme IN ('http', 'https')
"""

#: Distinct (target, anchor text, from alt) of the backlinks: what the anchor classifier sees.
ANCHOR_KEYS = f"""
SELECT DISTINCT target_domain::VARCHAR AS target_domain, anchor_text, anchor_from_alt
FROM run_links WHERE {BACKLINK}
"""

#: The ``anchors`` table: backlinks and referring domains per target, anchor text and class.
ANCHORS = f"""
SELECT $run_id AS run_id, l.target_domain::VARCHAR AS target_domain, l.anchor_text,
       c.anchor_class, count(*)::BIGINT AS backlinks,
       count(DISTINCT l.referring_domain)::BIGINT AS referring_domains
FROM (SELECT * FROM run_links WHERE {BACKLINK}) l
JOIN anchor_classes c ON c.target_domain = l.target_domain::VARCHAR
     AND c.anchor_text = l.anchor_text AND c.anchor_from_alt = l.anchor_from_alt
GROUP BY 2, 3, 4
ORDER BY 2, 5 DESC, 3, 4
"""

#: The ``referring_domains`` table, per target domain (``{url}`` = NULL) or per target URL of
#: the given targets (``{url}`` = target_url, ``{only}`` restricting the target domains).
#: ``history`` holds link_history's (referring, target, first_seen_at, last_seen_at).
REFERRING_DOMAINS = f"""
WITH grouped AS (
    SELECT target_domain::VARCHAR AS target_domain, {{url}} AS target_url,
           referring_domain::VARCHAR AS referring_domain,
           count(*)::BIGINT AS backlinks,
           count(*) FILTER (follow)::BIGINT AS followed_backlinks,
           count(DISTINCT source_url)::BIGINT AS linking_pages,
           avg(nofollow::INT)::DOUBLE AS nofollow_share,
           avg(ugc::INT)::DOUBLE AS ugc_share,
           avg(sponsored::INT)::DOUBLE AS sponsored_share,
           list_sort(list_distinct(list(region::VARCHAR) FILTER (region IS NOT NULL))) AS regions,
           max(fetched_at) AS fetched_at
    FROM run_links WHERE {BACKLINK} {{only}}
    GROUP BY 1, 2, 3
), seen AS (
    SELECT target_domain, referring_domain, min(first_seen_at) AS first_seen,
           max(last_seen_at) AS last_seen
    FROM history GROUP BY 1, 2
)
SELECT $run_id AS run_id, g.target_domain, g.target_url, g.referring_domain, g.backlinks,
       g.followed_backlinks, g.linking_pages, g.nofollow_share, g.ugc_share, g.sponsored_share,
       g.regions, s.first_seen, greatest(s.last_seen, g.fetched_at) AS last_seen, a.authority
FROM grouped g
LEFT JOIN seen s USING (target_domain, referring_domain)
LEFT JOIN authority a ON a.domain = g.referring_domain
ORDER BY g.target_domain, g.target_url NULLS FIRST, g.backlinks DESC, g.referring_domain
"""

#: Per referring domain, the counts its spam signals are computed from. Pages are distinct
#: final URLs of 2xx HTML responses; ``$thin_words`` is the thin-page word count;
#: ``anchor_classes`` is the classifier's table (target domain, anchor text, from alt, class).
#: A target is *sitewide* for a domain when links to it from header, nav or footer regions sit
#: on more than ``$sitewide_share`` of the domain's pages (and on at least 2 pages).
SIGNAL_COUNTS = f"""
WITH page_rows AS (
    SELECT final_url, any_value(domain::VARCHAR) AS domain, any_value(word_count) AS word_count
    FROM run_pages
    WHERE status BETWEEN 200 AND 299 AND content_type = 'text/html' AND final_url IS NOT NULL
    GROUP BY final_url
), site_pages AS (
    SELECT domain AS referring_domain, count(*)::BIGINT AS pages,
           coalesce(sum(word_count), 0)::BIGINT AS words,
           count(*) FILTER (word_count < $thin_words)::BIGINT AS thin_pages
    FROM page_rows WHERE domain IS NOT NULL GROUP BY 1
), back AS (
    SELECT l.referring_domain::VARCHAR AS referring_domain, count(*)::BIGINT AS backlinks,
           count(*) FILTER (l.follow)::BIGINT AS followed,
           count(DISTINCT l.target_domain)::BIGINT AS linked_domains,
           count(*) FILTER (c.anchor_class = 'exact')::BIGINT AS exact_anchors,
           count(*) FILTER (c.anchor_class = 'partial')::BIGINT AS partial_anchors
    FROM (SELECT * FROM run_links WHERE {BACKLINK}) l
    LEFT JOIN anchor_classes c ON c.target_domain = l.target_domain::VARCHAR
         AND c.anchor_text = l.anchor_text AND c.anchor_from_alt = l.anchor_from_alt
    GROUP BY 1
), internal AS (
    SELECT referring_domain::VARCHAR AS referring_domain, count(*)::BIGINT AS internal_links
    FROM run_links WHERE NOT is_external AND {_BODY} GROUP BY 1
), chrome AS (
    SELECT referring_domain::VARCHAR AS referring_domain, target_domain::VARCHAR AS target_domain,
           count(DISTINCT source_url) AS pages_with
    FROM run_links WHERE {BACKLINK} AND region IN ('header', 'nav', 'footer')
    GROUP BY 1, 2
), sitewide_targets AS (
    SELECT c.referring_domain, c.target_domain FROM chrome c JOIN site_pages p USING (referring_domain)
    WHERE c.pages_with >= 2 AND c.pages_with > $sitewide_share * p.pages
), sitewide AS (
    SELECT l.referring_domain::VARCHAR AS referring_domain, count(*)::BIGINT AS sitewide_links
    FROM (SELECT * FROM run_links WHERE {BACKLINK}) l
    JOIN sitewide_targets s ON s.referring_domain = l.referring_domain::VARCHAR
         AND s.target_domain = l.target_domain::VARCHAR
    GROUP BY 1
), followed_pairs AS (
    SELECT DISTINCT referring_domain::VARCHAR AS a, target_domain::VARCHAR AS b
    FROM run_links WHERE {BACKLINK} AND follow
), reciprocal AS (
    SELECT p.a AS referring_domain, count(*)::BIGINT AS followed_domains,
           count(q.a)::BIGINT AS reciprocal_domains
    FROM followed_pairs p LEFT JOIN followed_pairs q ON q.a = p.b AND q.b = p.a
    GROUP BY 1
)
SELECT p.referring_domain, p.pages, p.words, p.thin_pages,
       coalesce(b.backlinks, 0) AS backlinks, coalesce(b.followed, 0) AS followed,
       coalesce(b.linked_domains, 0) AS linked_domains,
       coalesce(b.exact_anchors, 0) AS exact_anchors,
       coalesce(b.partial_anchors, 0) AS partial_anchors,
       coalesce(i.internal_links, 0) AS internal_links,
       coalesce(s.sitewide_links, 0) AS sitewide_links,
       coalesce(r.followed_domains, 0) AS followed_domains,
       coalesce(r.reciprocal_domains, 0) AS reciprocal_domains
FROM site_pages p
LEFT JOIN back b USING (referring_domain)
LEFT JOIN internal i USING (referring_domain)
LEFT JOIN sitewide s USING (referring_domain)
LEFT JOIN reciprocal r USING (referring_domain)
ORDER BY p.referring_domain
"""

#: One row per fetched 2xx page (final URL): the URLs requested for it, its site (registrable
#: domain, else host) and its main terms (``relevance``).
PAGE_TERMS = """
SELECT final_url, list(DISTINCT url) AS urls, any_value(site) AS site,
       coalesce(min("row") FILTER (has_terms), min("row")) AS "row"
FROM page_rows
GROUP BY final_url
ORDER BY final_url
"""

#: The 2xx page rows ``PAGE_TERMS`` groups, read once as they are: DuckDB's ``any_value`` of
#: the nested ``main_terms`` costs ten times the scan, so the grouping picks a row number.
PAGE_ROWS = """
SELECT final_url, url, coalesce(domain, host)::VARCHAR AS site, main_terms
FROM run_pages
WHERE final_url IS NOT NULL AND status BETWEEN 200 AND 299
"""

#: Both sites (registrable domain, else host) of each external body link, in ``CRAWL_LINKS``'s
#: order (``relevance``: a scan keeps the files' row order).
EXTERNAL_BODY_SITES = f"""
SELECT coalesce(referring_domain, source_host)::VARCHAR AS source_site,
       coalesce(target_domain, target_host)::VARCHAR AS target_site
FROM run_links WHERE is_external AND {_BODY}
"""

#: Distinct (source, target) of the external body links, with both sites (``relevance``).
RELEVANCE_LINKS = f"""
SELECT DISTINCT source_url, target_url,
       coalesce(referring_domain, source_host)::VARCHAR AS source_site,
       coalesce(target_domain, target_host)::VARCHAR AS target_site
FROM run_links WHERE is_external AND {_BODY}
ORDER BY 1, 2
"""

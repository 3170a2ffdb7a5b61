"""Every SQL statement the history runs, named and documented in one place (DuckDB).

The statements work on views and temporary tables that ``linkspider.history.fold`` creates:
``run_pages`` and ``run_links`` (one run's files), ``prior`` (the link_history before the
run), and the tables built here, in this order: ``page_states``, ``current``, ``paired``,
``folded``. Parameters are DuckDB's ``$name`` parameters. ``{kinds}``, ``{transient}`` and
``{unreachable}`` are filled in once from ``linkspider.history.identity``.
"""

from __future__ import annotations

#: A page row names another URL as its canonical, one a crawler obeys (http or https).
OBEYED_CANONICAL = "canonical_url <> final_url AND regexp_matches(canonical_url, '^https?://')"

#: The state of every page the run reached, for the links on it: ``ok`` (2xx, indexable, no
#: canonical elsewhere, no meta refresh elsewhere) or the lost reason its links get. A page is
#: looked up by the URL it was requested as (its latest row); a URL reached only as the end of
#: a redirect is ``ok`` when it answered 2xx like that. Only an http(s) canonical is obeyed: a
#: ``file:`` one (documentation mirrors name their local copy) or any other scheme is recorded
#: in pages.canonical_url and ignored here, as search engines ignore it.
PAGE_STATES = """
CREATE OR REPLACE TEMP TABLE page_states AS
WITH latest AS (
    SELECT * FROM run_pages
    QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
),
refresh AS (
    SELECT DISTINCT source_url FROM run_links
    WHERE link_kind = 'meta_refresh' AND target_url <> source_url
),
direct AS (
    SELECT url AS page_url,
        CASE
            WHEN status IS NULL AND error ILIKE '%robots.txt%' THEN 'robots_disallowed'
            WHEN status IS NULL AND error ILIKE '%redirect loop%' THEN 'page_redirected'
            WHEN status IS NULL AND regexp_matches(error, '{unreachable}') THEN 'host_unreachable'
            WHEN status IS NULL THEN 'page_error'
            WHEN final_url IS DISTINCT FROM url THEN 'page_redirected'
            WHEN status BETWEEN 400 AND 499 THEN 'page_not_found'
            WHEN status NOT BETWEEN 200 AND 299 OR error IS NOT NULL THEN 'page_error'
            WHEN noindex THEN 'page_noindex'
            WHEN {obeyed_canonical} THEN 'not_canonical'
            WHEN url IN (SELECT source_url FROM refresh) THEN 'page_redirected'
            ELSE 'ok'
        END AS state
    FROM latest
),
reached AS (  -- final URLs of redirects that were never requested by themselves
    SELECT final_url AS page_url,
        CASE
            WHEN bool_or(noindex) THEN 'page_noindex'
            WHEN bool_or({obeyed_canonical}) THEN 'not_canonical'
            WHEN final_url IN (SELECT source_url FROM refresh) THEN 'page_redirected'
            ELSE 'ok'
        END AS state
    FROM latest
    WHERE final_url IS NOT NULL AND status BETWEEN 200 AND 299 AND error IS NULL
      AND final_url NOT IN (SELECT page_url FROM direct)
    GROUP BY final_url
)
SELECT * FROM direct UNION ALL SELECT * FROM reached
""".replace("{obeyed_canonical}", OBEYED_CANONICAL)

#: The run's body links by the state of their page (``ok`` for the tracked ones): what
#: ``Step.untracked`` counts. A link whose source page has no row of its own counts as
#: ``not_crawled``.
UNTRACKED_LINKS = """
SELECT coalesce(s.state, 'not_crawled') AS state, count(*) AS links
FROM current c LEFT JOIN page_states s ON s.page_url = c.source_url
GROUP BY ALL ORDER BY links DESC, state
"""

#: The run's tracked links (body links), numbered by order on the page per (source, target).
CURRENT_LINKS = """
CREATE OR REPLACE TEMP TABLE current AS
SELECT source_url, target_url, anchor_text, region, position, link_kind, rel, follow,
       follow_reason, target_fragment, redirect_status, referring_domain, target_domain,
       target_host, is_external, fetched_at,
       row_number() OVER (PARTITION BY source_url, target_url
                          ORDER BY position NULLS LAST, anchor_text) AS ord
FROM run_links
WHERE link_kind IN ({kinds})
"""

#: Pair every current link with an identity of ``prior`` (link identity): same
#: source and target; repeated occurrences paired by (anchor text, region) first, in order on
#: the page, then the rest by order on the page; what is left gets a new occurrence number
#: after the highest one that identity ever had. Most (source, target) pairs occur once in
#: both (or are new), and are paired without the ranking the repeated ones need.
PAIR_LINKS = """
CREATE OR REPLACE TEMP TABLE paired AS
WITH known AS (
    SELECT source_url, target_url, occurrence, anchor_text, region, position
    FROM prior WHERE source_url IN (SELECT DISTINCT source_url FROM current)
),
known_count AS (
    SELECT source_url, target_url, count(*) AS known_n, max(occurrence) AS top,
           any_value(occurrence) AS only_occurrence
    FROM known GROUP BY ALL
),
counted AS (
    SELECT c.source_url, c.target_url, c.ord, c.anchor_text, c.region,
           count(*) OVER (PARTITION BY c.source_url, c.target_url) AS current_n,
           coalesce(k.known_n, 0) AS known_n, k.top, k.only_occurrence
    FROM current c LEFT JOIN known_count k USING (source_url, target_url)
),
simple AS (  -- never seen before, or once on each side
    SELECT source_url, target_url, ord,
           CASE WHEN known_n = 0 THEN ord - 1 ELSE only_occurrence END AS occurrence
    FROM counted WHERE known_n = 0 OR (known_n = 1 AND current_n = 1)
),
repeated AS (SELECT * FROM counted WHERE known_n > 0 AND NOT (known_n = 1 AND current_n = 1)),
repeated_known AS (
    SELECT k.* FROM known k SEMI JOIN repeated r USING (source_url, target_url)
),
exact AS (
    SELECT c.source_url, c.target_url, c.ord, k.occurrence
    FROM (SELECT *, row_number() OVER (PARTITION BY source_url, target_url, anchor_text, region
                                       ORDER BY ord) AS k FROM repeated) c
    JOIN (SELECT *, row_number() OVER (PARTITION BY source_url, target_url, anchor_text, region
                                       ORDER BY position NULLS LAST, occurrence) AS k
          FROM repeated_known) k
      USING (source_url, target_url, anchor_text, region, k)
),
rest_current AS (
    SELECT c.*, row_number() OVER (PARTITION BY source_url, target_url ORDER BY ord) AS k
    FROM repeated c ANTI JOIN exact e USING (source_url, target_url, ord)
),
rest_known AS (
    SELECT k.*, row_number() OVER (PARTITION BY source_url, target_url
                                   ORDER BY position NULLS LAST, occurrence) AS k
    FROM repeated_known k ANTI JOIN exact e USING (source_url, target_url, occurrence)
),
by_order AS (
    SELECT c.source_url, c.target_url, c.ord, k.occurrence, c.top
    FROM rest_current c LEFT JOIN rest_known k USING (source_url, target_url, k)
)
SELECT * FROM simple
UNION ALL
SELECT source_url, target_url, ord, occurrence FROM exact
UNION ALL
SELECT source_url, target_url, ord,
       coalesce(occurrence, top + row_number() OVER (
           PARTITION BY source_url, target_url, occurrence IS NULL ORDER BY ord))
FROM by_order
"""

#: One step of the history: every identity of ``prior`` and every paired current link, with
#: what the run saw of it (``seen``: live, not_crawled, or a lost reason), its next state, and
#: the change of this step (null for none). ``$run`` and ``$run_at`` name the run;
#: ``$transient_runs`` is LINKSPIDER_HISTORY_TRANSIENT_RUNS; ``$first`` is true for the first
#: run of a history (nothing is ``new`` then: everything is).
FOLD = """
CREATE OR REPLACE TEMP TABLE folded AS
WITH observed AS (
    SELECT p.occurrence, c.*
    FROM paired p JOIN current c USING (source_url, target_url, ord)
),
joined AS (
    SELECT h AS h, o AS o,
        coalesce(h.source_url, o.source_url) AS source_url,
        coalesce(h.target_url, o.target_url) AS target_url,
        coalesce(h.occurrence, o.occurrence) AS occurrence
    FROM prior h FULL JOIN observed o USING (source_url, target_url, occurrence)
),
seen AS (
    SELECT j.*,
        CASE
            WHEN s.state = 'ok' AND (j.o).source_url IS NOT NULL THEN 'live'
            WHEN s.state = 'ok' THEN 'link_removed'
            WHEN s.state IS NULL THEN 'not_crawled'
            ELSE s.state
        END AS seen
    FROM joined j LEFT JOIN page_states s ON s.page_url = j.source_url
),
judged AS (
    SELECT *,
        CASE WHEN seen = 'live' AND (h).source_url IS NOT NULL THEN list_filter([
            CASE WHEN (h).anchor_text IS DISTINCT FROM (o).anchor_text THEN 'anchor_text' END,
            CASE WHEN list_sort((h).rel) IS DISTINCT FROM list_sort((o).rel) THEN 'rel' END,
            CASE WHEN (h).follow IS DISTINCT FROM (o).follow THEN 'follow' END,
            CASE WHEN (h).region IS DISTINCT FROM (o).region THEN 'region' END,
            CASE WHEN (h).link_kind IS DISTINCT FROM (o).link_kind THEN 'link_kind' END,
            CASE WHEN (h).target_fragment IS DISTINCT FROM (o).target_fragment THEN 'target_fragment' END
        ], lambda f: f IS NOT NULL) ELSE [] END AS changed_fields,
        seen IN ({transient}) AND coalesce((h).failing_runs, 0) + 1 < $transient_runs AS pending
    FROM seen
    WHERE (h).source_url IS NOT NULL OR seen = 'live'
),
stepped AS (
    SELECT *,
        CASE
            WHEN (h).source_url IS NULL THEN CASE WHEN $first THEN NULL ELSE 'new' END
            WHEN seen = 'live' AND (h).status = 'lost' THEN 'restored'
            WHEN seen = 'live' AND len(changed_fields) > 0 THEN 'changed'
            WHEN seen IN ('live', 'not_crawled') OR (h).status = 'lost' OR pending THEN NULL
            ELSE 'lost'
        END AS change
    FROM judged
)
SELECT
    source_url, target_url, occurrence::INTEGER AS occurrence,
    coalesce((o).referring_domain, (h).referring_domain) AS referring_domain,
    coalesce((o).target_domain, (h).target_domain) AS target_domain,
    coalesce((o).target_host, (h).target_host) AS target_host,
    coalesce((o).is_external, (h).is_external) AS is_external,
    coalesce((h).first_seen, $run) AS first_seen,
    coalesce((h).first_seen_at, (o).fetched_at) AS first_seen_at,
    CASE WHEN seen = 'live' THEN $run ELSE (h).last_seen END AS last_seen,
    CASE WHEN seen = 'live' THEN (o).fetched_at ELSE (h).last_seen_at END AS last_seen_at,
    CASE WHEN seen = 'not_crawled' THEN (h).last_checked ELSE $run END AS last_checked,
    CASE
        WHEN seen = 'live' THEN 'live'
        WHEN seen = 'not_crawled' THEN CASE WHEN (h).status = 'live' THEN 'unknown' ELSE (h).status END
        WHEN (h).status = 'lost' THEN 'lost'
        WHEN pending THEN 'unknown'
        ELSE 'lost'
    END AS status,
    CASE
        WHEN seen = 'live' THEN NULL
        WHEN seen = 'not_crawled' OR (h).status = 'lost' THEN (h).lost_reason
        ELSE seen
    END AS lost_reason,
    CASE WHEN change = 'lost' THEN $run WHEN seen = 'live' THEN NULL ELSE (h).lost_at END AS lost_at,
    (coalesce((h).times_seen, 0) + (seen = 'live')::INTEGER)::INTEGER AS times_seen,
    (CASE
        WHEN seen = 'live' THEN 0
        WHEN seen = 'not_crawled' OR (h).status = 'lost' THEN (h).failing_runs
        WHEN seen IN ({transient}) THEN coalesce((h).failing_runs, 0) + 1
        ELSE 0
    END)::INTEGER AS failing_runs,
    CASE WHEN seen = 'live' THEN (o).anchor_text ELSE (h).anchor_text END AS anchor_text,
    CASE WHEN seen = 'live' THEN (o).rel ELSE (h).rel END AS rel,
    CASE WHEN seen = 'live' THEN (o).follow ELSE (h).follow END AS follow,
    CASE WHEN seen = 'live' THEN (o).follow_reason ELSE (h).follow_reason END AS follow_reason,
    CASE WHEN seen = 'live' THEN (o).region ELSE (h).region END AS region,
    CASE WHEN seen = 'live' THEN (o).link_kind ELSE (h).link_kind END AS link_kind,
    CASE WHEN seen = 'live' THEN (o).target_fragment ELSE (h).target_fragment END AS target_fragment,
    CASE WHEN seen = 'live' THEN (o).redirect_status ELSE (h).redirect_status END AS redirect_status,
    CASE WHEN seen = 'live' THEN (o).position ELSE (h).position END AS position,
    -- the step's change and its before/after values (not part of link_history)
    change, CASE WHEN change = 'lost' THEN seen END AS reason, changed_fields,
    (h).anchor_text AS anchor_text_before, (o).anchor_text AS anchor_text_after,
    (h).rel AS rel_before, (o).rel AS rel_after,
    (h).follow AS follow_before, (o).follow AS follow_after,
    (h).follow_reason AS follow_reason_before, (o).follow_reason AS follow_reason_after,
    (h).region AS region_before, (o).region AS region_after
FROM stepped
"""

#: The link_history table after the step (its columns, in the declared order).
HISTORY_AFTER = """
SELECT {history_columns} FROM folded ORDER BY source_url, target_url, occurrence
"""

#: The link_changes rows of the step; ``after`` values only where the link is live after it.
CHANGES_OF_STEP = """
SELECT $from_run AS from_run, $run AS to_run, change, reason, changed_fields, source_url,
       target_url, occurrence, referring_domain, target_domain,
       anchor_text_before, CASE WHEN change <> 'lost' THEN anchor_text_after END AS anchor_text_after,
       rel_before, CASE WHEN change <> 'lost' THEN rel_after END AS rel_after,
       follow_before, CASE WHEN change <> 'lost' THEN follow_after END AS follow_after,
       follow_reason_before,
       CASE WHEN change <> 'lost' THEN follow_reason_after END AS follow_reason_after,
       region_before, CASE WHEN change <> 'lost' THEN region_after END AS region_after
FROM folded WHERE change IS NOT NULL
ORDER BY change, source_url, target_url, occurrence
"""

#: Counts of a step's changes by change and reason (the diff summary's first table).
SUMMARY_COUNTS = """
SELECT change, coalesce(reason, '') AS reason, count(*) AS links
FROM changes GROUP BY ALL ORDER BY change, reason
"""

#: Referring domains gained and lost in a step: (referring, target) domain pairs of external
#: links that no live or unknown link held before the step and one holds after it, and the
#: reverse. ``after`` is link_history after the step.
SUMMARY_DOMAINS = """
WITH step AS (SELECT * FROM changes WHERE referring_domain IS DISTINCT FROM target_domain),
held_after AS (
    SELECT DISTINCT referring_domain, target_domain FROM after
    WHERE status IN ('live', 'unknown') AND is_external
),
held_before AS (
    SELECT referring_domain, target_domain FROM after a
    ANTI JOIN (SELECT * FROM step WHERE change IN ('new', 'restored')) USING (source_url, target_url, occurrence)
    WHERE a.status IN ('live', 'unknown') AND a.is_external
    UNION
    SELECT referring_domain, target_domain FROM step WHERE change = 'lost'
)
SELECT
    (SELECT count(*) FROM (SELECT referring_domain, target_domain FROM step
                           WHERE change IN ('new', 'restored') EXCEPT SELECT * FROM held_before)),
    (SELECT count(*) FROM (SELECT referring_domain, target_domain FROM step
                           WHERE change = 'lost' EXCEPT SELECT * FROM held_after))
"""

#: Target URLs that lost most links in the step.
SUMMARY_TOP_LOSERS = """
SELECT target_url, count(*) AS lost FROM changes WHERE change = 'lost'
GROUP BY ALL ORDER BY lost DESC, target_url LIMIT $top
"""

#: The live backlinks link_history holds for a target domain (the monitor's --from-history).
LIVE_BACKLINKS = """
SELECT source_url, target_url, anchor_text, follow FROM read_parquet($path)
WHERE status = 'live' AND is_external AND target_domain = $domain
ORDER BY source_url, target_url
"""

"""The dataset's schema, declared once: the ``links`` and ``pages`` tables.

Each field carries its description in the field metadata; the data dictionary (docs/dataset.md) is
checked against these descriptions by a test, and the schema version is stored in every
Parquet file's metadata (``linkspider.schema_version``).
"""

from __future__ import annotations

import pyarrow as pa

from linkspider.dataset.analysis_schema import ANALYSIS_SCHEMAS
from linkspider.dataset.fields import (  # noqa: F401 (the names every table's module uses)
    DICT_STRING,
    HREFLANG,
    TERM_COUNT,
    REDIRECT_HOP,
    RENDER_SITE,
    SCHEMA_VERSION,
    TIMESTAMP,
    _field,
    table_schema,
)


LINKS_FIELDS = [
    _field("run_id", DICT_STRING, "Identifier of the crawl run that saw the link.", False),
    _field("fetched_at", TIMESTAMP, "When the source page was fetched (UTC).", False),
    _field("source_url", pa.string(), "Final URL of the page the link is on.", False),
    _field("source_host", DICT_STRING, "Host of the source page (lowercase, punycode)."),
    _field("referring_domain", DICT_STRING,
           "Registrable domain of the source page by the Public Suffix List (e.g. bbc.co.uk)."),
    _field("target_url", pa.string(),
           "Absolute target URL as a browser resolves it (WHATWG), without the fragment; the raw "
           "href when it is not a valid URL.", False),
    _field("target_fragment", pa.string(), "Fragment after '#', null when the href has none."),
    _field("target_host", DICT_STRING, "Host of the target (lowercase, punycode), null for "
           "mailto:, tel:, javascript:, data: and invalid links."),
    _field("target_domain", DICT_STRING, "Registrable domain of the target host."),
    _field("target_scheme", DICT_STRING,
           "Scheme of the target (http, https, mailto, tel, javascript, data, ...; 'invalid' "
           "when the href is not a valid URL).", False),
    _field("anchor_text", pa.string(),
           "Link text: entities decoded, NFKC, whitespace collapsed, trimmed; for an image link "
           "without text, the image's alt text.", False),
    _field("anchor_from_alt", pa.bool_(), "True when anchor_text comes from an alt attribute.",
           False),
    _field("tag", DICT_STRING, "Element of the link: a, area, iframe, link (canonical and the "
           "other head links), meta (refresh); null for HTTP redirects and Link-header rows."),
    _field("link_kind", DICT_STRING,
           "a, area, image (an <img> inside the <a>), iframe, canonical (<link rel=canonical>), "
           "alternate (<link rel=alternate>: hreflang versions, feeds, media versions), amphtml "
           "(<link rel=amphtml>), pagination (<link rel=next|prev>), meta_refresh, redirect (an "
           "HTTP 3xx from source_url to its Location), or http_header (a link of the HTTP Link: "
           "response header, RFC 8288; its rel says canonical, alternate, ...).", False),
    _field("rel", pa.list_(pa.string()),
           "rel tokens, lowercased and deduplicated, in document order; empty list when none.",
           False),
    _field("nofollow", pa.bool_(), "rel contains nofollow.", False),
    _field("ugc", pa.bool_(), "rel contains ugc.", False),
    _field("sponsored", pa.bool_(), "rel contains sponsored.", False),
    _field("follow", pa.bool_(),
           "True when the link passes equity: no nofollow/ugc/sponsored in rel and the page "
           "does not say nofollow (meta robots or X-Robots-Tag).", False),
    _field("follow_reason", DICT_STRING,
           "Why follow is False (rel_nofollow, rel_ugc, rel_sponsored, meta_robots, "
           "x_robots_tag), or 'followed'.", False),
    _field("is_external", pa.bool_(),
           "True when the target's registrable domain differs from the referring domain.", False),
    _field("position", pa.int32(), "0-based ordinal of the link among the page's body links "
           "(a, area, iframe) in document order; null for head, meta_refresh, redirect and "
           "http_header rows."),
    _field("region", DICT_STRING,
           "Where the link sits: header, nav, main, aside, footer, or body when no landmark "
           "applies (HTML5 elements and ARIA roles first, then class/id names like footer, nav, "
           "menu, sidebar); head for <link> rows and meta_refresh; null for redirects and "
           "http_header rows."),
    _field("dom_path", pa.string(), "Short CSS-like path to the element, e.g. nav#menu>ul>li>a."),
    _field("context_before", pa.string(),
           "Up to 80 characters of visible text before the link inside its block (paragraph, list "
           "item, cell), whitespace-normalized, in whole words (a word over 80 characters is cut); "
           "by default for external links only (LINKSPIDER_LINK_CONTEXT), null for others."),
    _field("context_after", pa.string(),
           "Up to 80 characters of visible text after the link, like context_before."),
    _field("img_src", pa.string(), "src of the <img> inside an image link, as written."),
    _field("img_alt", pa.string(), "alt of the <img> inside an image link, cleaned like anchor text."),
    _field("title_attr", pa.string(), "The link's title attribute."),
    _field("hreflang", pa.string(), "The link's hreflang attribute (or Link-header parameter), "
           "trimmed; null when none."),
    _field("target_attr", pa.string(), "The link's target attribute (e.g. _blank)."),
    _field("type_attr", pa.string(), "The type attribute of a <link> or Link-header row (a feed's "
           "application/rss+xml or application/atom+xml, ...); null for body links."),
    _field("media_attr", pa.string(), "The media attribute of a <link> or Link-header row (e.g. "
           "only screen and (max-width: 640px)); null for body links."),
    _field("redirect_status", pa.int16(), "HTTP status of a redirect row (301, 302, ...)."),
    _field("seen_in", DICT_STRING,
           "Where the link was seen: raw (the HTML as served), rendered (only in the DOM headless "
           "Chromium built, crawl --render: links only JavaScript shows), or both; raw for every "
           "row of a crawl without --render. A page's internal/external and links_count "
           "figures count the raw HTML's links; null in datasets before schema version 7."),
    _field("page_internal_links", pa.int32(),
           "Links on the source page to its own registrable domain (for equity division)."),
    _field("page_external_links", pa.int32(),
           "Links on the source page to other registrable domains."),
]

PAGES_FIELDS = [
    _field("run_id", DICT_STRING, "Identifier of the crawl run.", False),
    _field("fetched_at", TIMESTAMP, "When the response arrived, or the failure happened (UTC).",
           False),
    _field("url", pa.string(), "URL as requested (before redirects).", False),
    _field("final_url", pa.string(), "URL of the response after redirects; null on failure."),
    _field("host", DICT_STRING, "Host of final_url (or url on failure)."),
    _field("domain", DICT_STRING, "Registrable domain of host."),
    _field("status", pa.int16(), "HTTP status of the final response; null on failure."),
    _field("content_type", DICT_STRING, "Media type of the response, without parameters."),
    _field("encoding", DICT_STRING, "Character encoding the HTML was decoded with."),
    _field("encoding_source", DICT_STRING,
           "Where the encoding came from: http_header, bom, meta, detection, or declared "
           "(given by the code that built the response)."),
    _field("size", pa.int64(), "Body size in bytes."),
    _field("title", pa.string(), "Text of <title>, whitespace collapsed."),
    _field("canonical_url", pa.string(), "<link rel=canonical> resolved to an absolute URL "
           "(null when it is no valid URL), else the first rel=canonical of the HTTP Link: "
           "header (the HTML's wins when both are given); the history obeys only an http(s) one."),
    _field("meta_robots", pa.string(), "Content of <meta name=robots>."),
    _field("x_robots_tag", pa.string(), "X-Robots-Tag response header(s)."),
    _field("page_nofollow", pa.bool_(), "The page says nofollow (meta robots or X-Robots-Tag)."),
    _field("redirect_chain", pa.list_(REDIRECT_HOP),
           "HTTP redirects followed to reach final_url: each hop's url and status, in order."),
    _field("lang", DICT_STRING, "The <html lang> attribute."),
    _field("noindex", pa.bool_(),
           "meta robots or X-Robots-Tag says noindex (or none); null for non-HTML responses."),
    _field("hreflang_alternates", pa.list_(HREFLANG),
           "<link rel=alternate hreflang> entries: language and absolute URL."),
    _field("content_sha1", pa.string(), "SHA-1 of the response body, hex."),
    _field("word_count", pa.int32(), "Words of visible text (scripts and styles excluded): "
           "whitespace-separated tokens, each CJK character (Han, kana, Hangul) one word; null "
           "when LINKSPIDER_LINK_CONTEXT is none."),
    _field("main_terms", pa.list_(TERM_COUNT), "The 64 most frequent terms of the page's main "
           "text (the <main> or role=main element, else the first <article>, else the body "
           "without header, nav, footer and aside landmarks or class/id names) with their "
           "counts: lowercase word runs of 2+ characters, digits-only runs and common words of "
           "European languages left out, CJK text as overlapping character bigrams; counted in "
           "the first 10,000 characters. Null for pages not parsed as HTML, or when "
           "LINKSPIDER_LINK_CONTEXT is none (docs/analysis.md, Relevance)."),
    _field("depth", pa.int16(), "Links followed from the seed to reach this URL.", False),
    _field("hops", pa.int16(),
           "Other sites crossed from the seed's site to reach this URL (LINKSPIDER_EXTERNAL_HOPS); "
           "null in datasets of schema version 1.", True),
    _field("discovered_by", DICT_STRING,
           "How the crawl first found the URL: seed, link (a link of a fetched page), sitemap "
           "(listed in a seed site's sitemap, or the sitemap file itself in a row of its own), "
           "redirect (a meta refresh target), archive (read from a web archive by linkspider "
           "extract); null in datasets before schema version 4."),
    _field("links_count", pa.int32(),
           "Body links on the page (a, area, iframe); canonical and meta refresh rows aside.",
           False),
    _field("error", pa.string(), "What went wrong when the fetch failed; null on success."),
    _field("render_status", DICT_STRING,
           "crawl --render: settled (complete, no request in flight and the DOM unchanged for "
           "LINKSPIDER_RENDER_QUIET seconds), timeout (not settled within "
           "LINKSPIDER_RENDER_TIMEOUT: the DOM as it was then is used), or failed (no rendered "
           "DOM; note says why); null for pages not rendered."),
    _field("render_ms", pa.int32(), "Milliseconds from the start of rendering to the DOM read; "
           "null for pages not rendered."),
    _field("render_requests", pa.int32(), "Subresources the rendered page loaded, each "
           "downloaded by the crawl (robots.txt, private addresses, proxy, politeness)."),
    _field("render_refused", pa.int32(), "Requests of the rendered page refused: robots.txt, "
           "private addresses, navigations away, past LINKSPIDER_RENDER_MAX_SUBRESOURCES, "
           "failed; note gives them by reason."),
    _field("rendered_links", pa.int32(), "Links only the rendered DOM has (links rows with "
           "seen_in = rendered); null for pages not rendered."),
]


# -- runs: one row per crawl run (linkspider.runs) ----------------------------------------------

RUNS_FIELDS = [
    _field("run_id", pa.string(), "Identifier of the run (the run= partition of every table).",
           False),
    _field("status", pa.string(),
           "running, complete (ended by itself with pages fetched), partial (stopped early: "
           "signal, close-spider limit), or failed (output not writable or failed mid-crawl, "
           "nothing fetched, crash). A 'running' row whose heartbeat_at is older than "
           "3 x heartbeat_seconds (or whose process is gone) is a killed run: `linkspider runs` "
           "reports it as interrupted.", False),
    _field("exit_code", pa.int16(), "Exit code of the crawl command (see docs/runs.md, Exit codes); "
           "null while running."),
    _field("finish_reason", pa.string(), "Scrapy's finish reason (finished, shutdown, "
           "closespider_pagecount, output_failed, ...); null while running."),
    _field("error", pa.string(), "What went wrong, when status is failed or partial."),
    _field("linkspider_version", pa.string(), "linkspider version that wrote the run.", False),
    _field("schema_version", pa.string(), "Schema version of the run's files.", False),
    _field("output_dir", pa.string(), "Absolute dataset root the run wrote to.", False),
    _field("crawl_date", pa.string(), "The crawl_date= partition of the run's links and pages "
           "files (the UTC date it started; kept when resumed).", False),
    _field("seeds", pa.list_(pa.string()), "Seed URLs (the first 10,000).", False),
    _field("seeds_count", pa.int64(), "Number of seed URLs.", False),
    _field("seeds_sha256", pa.string(), "SHA-256 of the seed URLs, one per line, in order.",
           False),
    _field("settings", pa.string(), "JSON object of the settings that shape the crawl (scope, "
           "depth, pages per site, hops, politeness, User-Agent, proxy).", False),
    _field("started_at", TIMESTAMP, "When the run first started (UTC).", False),
    _field("heartbeat_at", TIMESTAMP, "Last sign of life of the running crawl (UTC).", False),
    _field("heartbeat_seconds", pa.float64(), "How often heartbeat_at is renewed while running.",
           False),
    _field("finished_at", TIMESTAMP, "When the run ended (UTC); null while running."),
    _field("pages_ok", pa.int64(), "pages rows with a 2xx response and no error, on disk.", False),
    _field("pages_failed", pa.int64(), "pages rows not answered with a page (status null or "
           "error set: refused, unreachable, robots.txt, redirect loop, a response refused "
           "after the fact), on disk; a 4xx or 5xx answer is not failed.", False),
    _field("pages", pa.int64(), "pages rows on disk.", False),
    _field("links", pa.int64(), "links rows on disk.", False),
    _field("bytes", pa.int64(), "Response bytes of the pages on disk.", False),
    _field("resumed", pa.int16(), "How many times the run was resumed (--resume).", False),
    _field("pages_refetched", pa.int64(), "Responses received before a kill whose rows had not "
           "reached a closed file, so were fetched again on resume.", False),
    _field("render_sites", pa.list_(RENDER_SITE), "crawl --render: per site (registrable "
           "domain, else host), the pages rendered and the links only their rendered DOM has "
           "(links.seen_in = rendered), from the rows on disk, so a user learns whether a site "
           "needs rendering (--render-sample N); null without --render."),
    _field("host", pa.string(), "Host name of the machine running the latest attempt.", False),
    _field("pid", pa.int32(), "Process id of the latest attempt.", False),
]


# -- link_history and link_changes: links across runs (linkspider.history) -----------

LINK_HISTORY_FIELDS = [
    _field("source_url", pa.string(), "Final URL of the page the link is on (identity, with "
           "target_url and occurrence).", False),
    _field("target_url", pa.string(), "Target URL without the fragment (identity).", False),
    _field("occurrence", pa.int32(), "Which of the page's links to this target the row is: "
           "repeated occurrences are paired between runs by (anchor text, region) first, then by "
           "order on the page; 0 for the first.", False),
    _field("referring_domain", pa.string(), "Registrable domain of the source page."),
    _field("target_domain", pa.string(), "Registrable domain of the target."),
    _field("target_host", pa.string(), "Host of the target."),
    _field("is_external", pa.bool_(), "The target's registrable domain differs from the "
           "referring domain."),
    _field("first_seen", pa.string(), "Run id of the first complete run where the link was "
           "live (kept when a lost link is restored).", False),
    _field("first_seen_at", TIMESTAMP, "When its page was fetched in that run (UTC)."),
    _field("last_seen", pa.string(), "Run id of the last complete run where the link was live.",
           False),
    _field("last_seen_at", TIMESTAMP, "When its page was fetched in that run (UTC)."),
    _field("last_checked", pa.string(), "Run id of the last complete run that fetched (or "
           "tried to fetch) the source page.", False),
    _field("status", pa.string(), "live (seen in the last run that checked it), lost, or "
           "unknown (source page not crawled by the last run, or failing transiently for fewer "
           "than LINKSPIDER_HISTORY_TRANSIENT_RUNS runs).", False),
    _field("lost_reason", pa.string(), "Why it is lost: link_removed, page_not_found (4xx), "
           "page_error (5xx, other failures), page_redirected (HTTP or meta refresh), "
           "page_noindex, not_canonical, robots_disallowed, host_unreachable; for an unknown "
           "link, the transient failure pending; null when live."),
    _field("lost_at", pa.string(), "Run id of the run where it became lost; null unless lost."),
    _field("times_seen", pa.int32(), "Complete runs where the link was live.", False),
    _field("failing_runs", pa.int32(), "Consecutive checks whose source page failed transiently "
           "(page_error, host_unreachable); lost when it reaches "
           "LINKSPIDER_HISTORY_TRANSIENT_RUNS.", False),
    _field("anchor_text", pa.string(), "Anchor text when last live."),
    _field("rel", pa.list_(pa.string()), "rel tokens when last live."),
    _field("follow", pa.bool_(), "follow when last live."),
    _field("follow_reason", pa.string(), "follow_reason when last live."),
    _field("region", pa.string(), "region when last live."),
    _field("link_kind", pa.string(), "link_kind when last live (a, area, image or iframe: the "
           "history tracks body links)."),
    _field("target_fragment", pa.string(), "target_fragment when last live."),
    _field("redirect_status", pa.int16(), "Always null: tracked (body) links have no "
           "redirect_status (redirect rows are page signals); kept for readers of schema 3, "
           "never compared."),
    _field("position", pa.int32(), "position on the page when last live."),
]

LINK_CHANGES_FIELDS = [
    _field("from_run", pa.string(), "Run id the change is measured from (the state of the "
           "history after that run).", False),
    _field("to_run", pa.string(), "Run id of the later run (the run= partition).", False),
    _field("change", pa.string(), "new (first time live), lost, changed (an attribute in "
           "changed_fields differs), or restored (live again after being lost).", False),
    _field("reason", pa.string(), "Why a lost link is lost (the lost reasons of link_history); "
           "null for other changes."),
    _field("changed_fields", pa.list_(pa.string()), "Attributes that differ from the last live "
           "state: anchor_text, rel, follow, region, link_kind, target_fragment.",
           False),
    _field("source_url", pa.string(), "Final URL of the page the link is on.", False),
    _field("target_url", pa.string(), "Target URL without the fragment.", False),
    _field("occurrence", pa.int32(), "Occurrence of the target on the page (link_history).",
           False),
    _field("referring_domain", pa.string(), "Registrable domain of the source page."),
    _field("target_domain", pa.string(), "Registrable domain of the target."),
    _field("anchor_text_before", pa.string(), "Anchor text when last live; null for new."),
    _field("anchor_text_after", pa.string(), "Anchor text now; null for lost."),
    _field("rel_before", pa.list_(pa.string()), "rel tokens when last live."),
    _field("rel_after", pa.list_(pa.string()), "rel tokens now."),
    _field("follow_before", pa.bool_(), "follow when last live."),
    _field("follow_after", pa.bool_(), "follow now."),
    _field("follow_reason_before", pa.string(), "follow_reason when last live."),
    _field("follow_reason_after", pa.string(), "follow_reason now."),
    _field("region_before", pa.string(), "region when last live."),
    _field("region_after", pa.string(), "region now."),
]

# -- monitor: one row per expected backlink checked (linkspider monitor) -----------------------

MONITOR_FIELDS = [
    _field("checked_at", TIMESTAMP, "When the monitor ran (UTC).", False),
    _field("run_id", pa.string(), "Run id of the monitor's fetch (its pages and links).", False),
    _field("source_url", pa.string(), "Page expected to hold the link, as given.", False),
    _field("expected_target", pa.string(), "Target URL, or a domain matching any link to it.",
           False),
    _field("expected_anchor", pa.string(), "Expected anchor text; null when not given."),
    _field("expected_follow", pa.bool_(), "Expected follow; null when not given."),
    _field("verdict", pa.string(), "ok, missing, degraded, or unknown (the source page failed "
           "transiently, fewer than LINKSPIDER_HISTORY_TRANSIENT_RUNS monitor runs in a row).", False),
    _field("reason", pa.string(), "For missing and unknown: the lost reason (link_removed, page_not_found, "
           "page_error, page_redirected, page_noindex, not_canonical, robots_disallowed, "
           "host_unreachable); for degraded: what degraded, comma-separated (nofollow, ugc, "
           "sponsored, anchor_differs, target_redirects, target_broken)."),
    _field("found_target", pa.string(), "Target URL of the link found on the page."),
    _field("found_anchor", pa.string(), "Its anchor text."),
    _field("found_rel", pa.list_(pa.string()), "Its rel tokens."),
    _field("found_follow", pa.bool_(), "Its follow."),
    _field("target_status", pa.int16(), "HTTP status the found target answered with, when the "
           "monitor fetched it (3xx: redirects; 4xx/5xx: broken)."),
]


# --- hostile web: what the crawl's limits did to a page or request
PAGES_FIELDS.extend([
    _field("drop_reason", DICT_STRING,
           "Why this URL was not fetched, not parsed, or parsed only in part; null when none. "
           "url_too_long (over URLLENGTH_LIMIT, not fetched), redirect_scheme (redirect to a "
           "file:, data:, ftp: ... URL, not followed; the target is a redirect link row), "
           "redirect_invalid, headers_too_large (LINKSPIDER_MAX_HEADER_BYTES), body_too_large "
           "(DOWNLOAD_MAXSIZE, compression bombs too), short_body (fewer bytes than the "
           "Content-Length), nesting_depth (elements beyond LINKSPIDER_MAX_NESTING_DEPTH "
           "flattened, links kept), links_per_page (links past LINKSPIDER_MAX_LINKS_PER_PAGE "
           "not recorded), parse_deadline (not parsed within LINKSPIDER_PARSE_DEADLINE, no "
           "links); for a sitemap file (--sitemaps): sitemap_invalid, sitemap_too_large, "
           "sitemap_too_many_urls, sitemap_loop, sitemap_nesting, sitemap_files "
           "(docs/sitemaps.md)."),
    _field("tags_beyond_depth", pa.int32(),
           "Tags nested deeper than LINKSPIDER_MAX_NESTING_DEPTH, dropped before parsing "
           "(their text and links kept); null when none."),
    _field("links_truncated", pa.int32(),
           "Body links past LINKSPIDER_MAX_LINKS_PER_PAGE, not recorded; null when none."),
    _field("links_over_budget", pa.int32(),
           "Links in scope not requested because their site had its "
           "LINKSPIDER_MAX_PAGES_PER_SITE pages already; null when none."),
    _field("note", pa.string(), "What a limit did to this page, or a signal of it not obeyed "
           "(a canonical that is not http(s)), in words; null when none."),
])

# --- web archives: the record a page was read from (linkspider extract)
PAGES_FIELDS.extend([
    _field("warc_filename", DICT_STRING,
           "The archive file the page was read from (linkspider extract; absolute path); null "
           "for a fetched page."),
    _field("warc_offset", pa.int64(),
           "Byte offset of the page's record in warc_filename (its gzip member's start): "
           "warcio's or FastWARC's readers seek there to read the raw record."),
    _field("warc_record_type", DICT_STRING,
           "revisit when the record was a revisit (its payload taken from the capture it "
           "refers to, when in the files read); null for a response record."),
])

# --- sitemap_urls: the URLs the seed sites' sitemaps list (linkspider.discovery, --sitemaps)
SITEMAP_URLS_FIELDS = [
    _field("run_id", DICT_STRING, "Identifier of the crawl run.", False),
    _field("fetched_at", TIMESTAMP, "When the sitemap was fetched (UTC).", False),
    _field("url", pa.string(), "URL the sitemap lists, absolute and normalized like "
           "links.target_url (joins pages.url and links.target_url).", False),
    _field("host", DICT_STRING, "Host of url."),
    _field("domain", DICT_STRING, "Registrable domain of url's host."),
    _field("in_scope", pa.bool_(), "url is on the site of the seed whose sitemap lists it, so "
           "the crawl requests it (within LINKSPIDER_MAX_PAGES_PER_SITE).", False),
    _field("sitemap", pa.string(), "URL of the sitemap file (urlset or text) that lists url.",
           False),
    _field("sitemap_kind", DICT_STRING, "urlset (XML) or text (one URL a line).", False),
    _field("sitemap_index", pa.string(), "The sitemap index that listed the sitemap; null when "
           "the sitemap came from robots.txt or /sitemap.xml."),
    _field("sitemap_source", DICT_STRING, "How the sitemap was found: robots_txt (a Sitemap: "
           "line), well_known (/sitemap.xml of a seed site), or index.", False),
    _field("lastmod", pa.string(), "<lastmod> as written (W3C datetime)."),
    _field("changefreq", DICT_STRING, "<changefreq> as written."),
    _field("priority", pa.float64(), "<priority>, 0.0-1.0; null when absent or invalid."),
    _field("hreflang_alternates", pa.list_(HREFLANG), "<xhtml:link rel=alternate> entries: "
           "hreflang and absolute URL; empty list when none.", False),
]

LINKS_SCHEMA = table_schema(LINKS_FIELDS, "links")
PAGES_SCHEMA = table_schema(PAGES_FIELDS, "pages")
#: A pages row answered with a page that is ok (SQL over pages): 2xx and no error.
PAGE_OK_SQL = "(status BETWEEN 200 AND 299 AND error IS NULL)"
#: A pages row not answered with a page (SQL over pages): no status (refused, unreachable,
#: robots.txt, redirect loop), or an error (a response refused after the fact keeps its
#: status: a body past DOWNLOAD_MAXSIZE, a parse past its deadline). A 4xx or 5xx is answered.
PAGE_FAILED_SQL = "(status IS NULL OR error IS NOT NULL)"
RUNS_SCHEMA = table_schema(RUNS_FIELDS, "runs")
SITEMAP_URLS_SCHEMA = table_schema(SITEMAP_URLS_FIELDS, "sitemap_urls")
SCHEMAS = {"links": LINKS_SCHEMA, "pages": PAGES_SCHEMA, "sitemap_urls": SITEMAP_URLS_SCHEMA,
           "runs": RUNS_SCHEMA}
# linkspider.history
LINK_HISTORY_SCHEMA = table_schema(LINK_HISTORY_FIELDS, "link_history")
LINK_CHANGES_SCHEMA = table_schema(LINK_CHANGES_FIELDS, "link_changes")
MONITOR_SCHEMA = table_schema(MONITOR_FIELDS, "monitor")
SCHEMAS.update(link_history=LINK_HISTORY_SCHEMA, link_changes=LINK_CHANGES_SCHEMA, monitor=MONITOR_SCHEMA)
# linkspider.analysis (linkspider.dataset.analysis_schema)
SCHEMAS.update(ANALYSIS_SCHEMAS)

# --- targets: the status of the links' targets (linkspider check-targets)
TARGETS_FIELDS = [
    _field("run_id", pa.string(), "Run id whose links' targets were checked.", False),
    _field("url", pa.string(), "Target URL as the links record it (no fragment).", False),
    _field("target_host", pa.string(), "Host of the target URL."),
    _field("target_domain", pa.string(), "Registrable domain of the target URL."),
    _field("status", pa.int16(), "HTTP status of the last answer (after redirects); null when "
           "nothing answered (connection or DNS failure, robots.txt, address rule)."),
    _field("final_url", pa.string(), "URL that gave the last answer; null when none did."),
    _field("redirect_chain", pa.list_(REDIRECT_HOP), "The redirects followed, in order: each "
           "URL that answered with a redirect and its status; empty when none.", False),
    _field("error", pa.string(), "Why there is no status: the connection or DNS failure, "
           "redirect loop, robots.txt or address-rule refusal; null otherwise."),
    _field("outcome", pa.string(), "ok (2xx or another non-error answer, no redirect), "
           "redirected (ends in a non-error answer after redirects), broken (4xx, 5xx, DNS or "
           "connection failure, redirect loop), or blocked (robots.txt or the private-address "
           "rule kept it from being fetched).", False),
    _field("method", pa.string(), "HEAD, or GET where HEAD was refused (status in "
           "LINKSPIDER_TARGETS_HEAD_REFUSED) or the crawl fetched it."),
    _field("checked_by", pa.string(), "check (fetched by linkspider check-targets) or crawl "
           "(the run fetched the URL itself: taken from its pages row).", False),
    _field("checked_at", TIMESTAMP, "When the last answer (or failure) came (UTC).", False),
]
TARGETS_SCHEMA = table_schema(TARGETS_FIELDS, "targets")
SCHEMAS["targets"] = TARGETS_SCHEMA

#: Columns of ``links`` that are the same for every link of a page.
LINK_PAGE_COLUMNS = (
    "run_id", "fetched_at", "source_url", "source_host", "referring_domain",
    "page_internal_links", "page_external_links",
)  # fmt: skip


def type_name(type_: pa.DataType) -> str:
    """Return a short, reader-friendly name of an Arrow type."""
    if pa.types.is_dictionary(type_):
        return "string (dictionary)"
    if pa.types.is_timestamp(type_):
        return f"timestamp[{type_.unit}, {type_.tz}]"
    if pa.types.is_list(type_):
        return f"list<{type_name(type_.value_type)}>"
    if pa.types.is_struct(type_):
        return "struct<" + ", ".join(f"{f.name}: {type_name(f.type)}" for f in type_) + ">"
    return "bool" if pa.types.is_boolean(type_) else str(type_)


#: The page the data dictionary is written into, between its two markers.
DICTIONARY_PAGE = "docs/dataset.md"


def data_dictionary_markdown() -> str:
    """Return the data dictionary: one Markdown table per dataset table."""
    out: list[str] = []
    for table, schema in SCHEMAS.items():
        out.append(f"### `{table}`\n")
        out.append("| column | type | null | meaning |")
        out.append("|---|---|---|---|")
        for f in schema:
            meaning = f.metadata[b"description"].decode()
            out.append(f"| `{f.name}` | {type_name(f.type)} | {'yes' if f.nullable else 'no'} "
                       f"| {meaning} |")  # fmt: skip
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_dictionary(path: str = DICTIONARY_PAGE) -> bool:
    """Rewrite the data dictionary between the page's markers; return True if it changed."""
    from pathlib import Path

    start, end = "<!-- data-dictionary:start -->\n", "<!-- data-dictionary:end -->"
    readme = Path(path).read_text(encoding="utf-8")
    i, j = readme.index(start) + len(start), readme.index(end)
    updated = readme[:i] + data_dictionary_markdown() + readme[j:]
    Path(path).write_text(updated, encoding="utf-8")
    return updated != readme


if __name__ == "__main__":
    import sys

    if "--update-docs" in sys.argv or "--update-readme" in sys.argv:
        changed = update_dictionary()
        print(f"{DICTIONARY_PAGE} updated" if changed else f"{DICTIONARY_PAGE} already up to date")
    else:
        print(data_dictionary_markdown(), end="")

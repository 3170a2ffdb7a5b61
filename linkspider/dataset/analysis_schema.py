"""The schemas of the analysis tables (``linkspider analyze``): one Parquet file per table per
run, ``DIR/analysis/run=ID/<table>.parquet`` (``linkspider.analysis.dataset``). Part of the data
dictionary through ``linkspider.dataset.schema.SCHEMAS``."""

from __future__ import annotations

import pyarrow as pa

from linkspider.dataset.fields import TIMESTAMP, _field, table_schema


_RUN_ID = _field("run_id", pa.string(), "Run id of the crawl the table analyzes.", False)

REFERRING_DOMAINS_FIELDS = [
    _RUN_ID,
    _field("target_domain", pa.string(), "Registrable domain the backlinks point to.", False),
    _field("target_url", pa.string(), "Target URL, in the per-URL rows written for "
           "`analyze --target DOMAIN`; null in the per-domain rows.", True),
    _field("referring_domain", pa.string(), "Registrable domain of the linking pages.", False),
    _field("backlinks", pa.int64(), "External body links (a, area, image; http/https) from the "
           "referring domain to the target.", False),
    _field("followed_backlinks", pa.int64(), "Of those, links that pass equity (follow).", False),
    _field("linking_pages", pa.int64(), "Distinct pages of the referring domain holding them.",
           False),
    _field("nofollow_share", pa.float64(), "Share of the backlinks with rel nofollow.", False),
    _field("ugc_share", pa.float64(), "Share of the backlinks with rel ugc.", False),
    _field("sponsored_share", pa.float64(), "Share of the backlinks with rel sponsored.", False),
    _field("regions", pa.list_(pa.string()), "Distinct regions of the links (header, nav, main, "
           "aside, footer, body), sorted.", False),
    _field("first_seen", TIMESTAMP, "Earliest first_seen_at of these links in link_history; null "
           "when the dataset has no link history.", True),
    _field("last_seen", TIMESTAMP, "Latest time one of the links was seen: last_seen_at in "
           "link_history, or this run's fetch time.", True),
    _field("authority", pa.float64(), "The referring domain's authority (domain_rank).", True),
]

DOMAIN_RANK_FIELDS = [
    _RUN_ID,
    _field("domain", pa.string(), "Registrable domain: a node of the domain graph (every domain "
           "crawled or linked by an external a, area or image link).", False),
    _field("pagerank", pa.float64(), "PageRank over the domain graph of followed external a, area "
           "and image links (binary, no self-loops; damping 0.85, uniform teleport, dangling mass "
           "spread uniformly, tolerance 1e-6); sums to 1.", False),
    _field("pagerank_all_links", pa.float64(), "PageRank with the same parameters over every "
           "external a, area and image link, nofollow included (as Common Crawl's graph).", False),
    _field("harmonic_centrality", pa.float64(), "Sum over the other domains of 1/distance to "
           "this one in the followed graph; exact up to 5,000 domains, estimated from 1,000 "
           "pivots beyond (docs/analysis.md).", False),
    _field("authority", pa.float64(), "0-100: 100 * ln(pagerank / min) / ln(max / min) over "
           "the graph's PageRank values.", False),
    _field("referring_domains", pa.int64(), "In-degree: domains linking to it (followed).", False),
    _field("linked_domains", pa.int64(), "Out-degree: domains it links to (followed).", False),
]

PAGE_RANK_FIELDS = [
    _RUN_ID,
    _field("site", pa.string(), "Registrable domain whose internal links are ranked.", False),
    _field("url", pa.string(), "Page URL after redirects and canonicals (a node of the site's "
           "internal graph).", False),
    _field("pagerank", pa.float64(), "PageRank over the site's followed internal a, area and "
           "image links (binary, no self-loops; the domain_rank parameters); sums to 1 per site.",
           False),
    _field("link_score", pa.float64(), "0-100 log scale of pagerank within the site (the "
           "authority formula), like Screaming Frog's Link Score.", False),
    _field("inlinks", pa.int64(), "Followed internal links pointing at the page (after "
           "redirects and canonicals; self-links aside).", False),
    _field("crawl_rank", pa.float64(), "PageRank over the whole run's page graph (every fetched "
           "page and link target, internal and external links) weighted as a reasonable surfer: "
           "the model of link_scores.equity (docs/analysis.md, Link equity); sums to 1 over the "
           "run's nodes. crawl_rank = teleport + dangling share + the equity of the incoming links."),
    _field("node_kind", pa.string(), "What the URL is, by what the run fetched: page (a 2xx HTML "
           "page), not_html (2xx, an image, PDF, feed...), error (answered 4xx/5xx or failed), "
           "not_fetched (linked, never requested). The graph keeps every linked URL, so a 404 or "
           "an asset holds rank too: filter on node_kind = 'page' for pages only.", False),
]

LINK_SCORES_FIELDS = [
    _RUN_ID,
    _field("source_url", pa.string(), "Page the link is on (links.source_url).", False),
    _field("target_url", pa.string(), "The link's target (links.target_url).", False),
    _field("position", pa.int32(), "The link's position on the page (links.position); with "
           "source_url and target_url, the key of the link in links."),
    _field("link_kind", pa.string(), "links.link_kind.", False),
    _field("is_external", pa.bool_(), "links.is_external.", False),
    _field("follow", pa.bool_(), "links.follow: false passes no equity.", False),
    _field("region", pa.string(), "links.region."),
    _field("weight", pa.float64(), "Reasonable-surfer weight of a body link (a, area, image; "
           "http/https): region weight / (1 + position / 100), region weights main 1, body 0.8, "
           "aside 0.5, header 0.4, nav 0.4, footer 0.2; 0 when not followed; null for other rows."),
    _field("link_share", pa.float64(), "weight / the sum of the weights of the source page's "
           "body links (0 when that sum is 0); null for rows that are not body links."),
    _field("equity", pa.float64(), "Share of the crawl's rank this link passes: 0.85 x the "
           "source page's crawl_rank x link_share. 0 for nofollow and non-http(s) or non-body "
           "links; null for redirect, meta_refresh and canonical rows (their source stands for "
           "their target). The model's teleport and dangling share are in the file's metadata "
           "(linkspider.analysis.crawl_rank)."),
    _field("source_node", pa.string(), "URL whose node the source page is in the crawl graph: "
           "source_url after redirects, meta refresh and canonicals (null for rows that are not "
           "body links)."),
    _field("target_node", pa.string(), "URL whose node receives the equity: target_url after "
           "redirects, meta refresh and canonicals (null for rows that are not body links)."),
    _field("source_crawl_rank", pa.float64(), "crawl_rank of the source page's node (null for "
           "rows that are not body links)."),
    _field("target_crawl_rank", pa.float64(), "crawl_rank of the target's node (after "
           "redirects and canonicals; null for rows that are not body links)."),
    _field("relevance", pa.float64(), "0-1: cosine of the source side, 0.8 x the TF-IDF vector "
           "of the source page's main terms + 0.2 x its site's profile, and the target side, 0.5 x "
           "the target page's + 0.5 x its site's profile when the page was fetched with main terms, "
           "else the target site's profile (docs/analysis.md, Relevance). External body links "
           "only; null when the source page has no main terms or the target neither."),
    _field("relevance_basis", pa.string(), "What relevance compares the source page with: "
           "target_page or target_site; null with relevance."),
    _field("relevance_terms", pa.list_(pa.string()), "Up to 5 terms the source page shares with "
           "the target page (basis target_page) or site, by the product of their weights, largest "
           "first: what explains relevance; empty when they share none (the score then comes from "
           "the sites' profiles)."),
    _field("site_relevance", pa.float64(), "0-1: cosine of the source site's topic profile "
           "and the target site's (site_topics); external body links whose sites both have one."),
    _field("source_language", pa.string(), "ISO 639-1 language of the source page, identified "
           "from its main terms (py3langid); null when they hold fewer than 20 letters. External "
           "body links only."),
    _field("target_language", pa.string(), "Language of the target page when it was fetched, "
           "else the most common language of the target site's pages; external body links only."),
]

ANCHORS_FIELDS = [
    _RUN_ID,
    _field("target_domain", pa.string(), "Registrable domain the backlinks point to.", False),
    _field("anchor_text", pa.string(), "Anchor text (alt text for image links) as stored.", False),
    _field("anchor_class", pa.string(), "empty, image, naked_url, generic, branded, compound, "
           "exact, partial or other: the first rule that matches (docs/analysis.md, Anchor classes).",
           False),
    _field("backlinks", pa.int64(), "External body links to the target with this anchor.", False),
    _field("referring_domains", pa.int64(), "Distinct referring domains among them.", False),
]

#: Spam signals of linkspider.analysis.signals (formulas in docs/analysis.md, Spam signals).
SIGNAL_DESCRIPTIONS = {
    "links_per_linked_domain": "Backlinks given / distinct target domains (diversity).",
    "followed_share": "Followed backlinks given / backlinks given.",
    "exact_anchor_share": "Backlinks given with an exact-match keyword anchor / backlinks given.",
    "partial_anchor_share": "Backlinks given with a partial-match keyword anchor / backlinks given.",
    "sitewide_share": "Backlinks given to sitewide targets (linked from header, nav or footer on "
                      "more than half of the domain's pages) / backlinks given.",
    "reciprocal_share": "Followed target domains that link back followed / followed target domains.",
    "outbound_links_per_page": "Backlinks given / pages.",
    "outbound_links_per_100_words": "100 x backlinks given / words of the domain's pages.",
    "thin_page_share": "Pages under 50 words / pages.",
    "internal_external_ratio": "Internal body links / backlinks given (low is suspicious).",
    "domain_digits": "Digits in the domain's label (news-1 of news-1.com).",
    "domain_hyphens": "Hyphens in the domain's label.",
    "domain_length": "Characters of the domain's label.",
}  # fmt: skip

DOMAIN_SIGNALS_FIELDS = [
    _RUN_ID,
    _field("referring_domain", pa.string(), "Registrable domain with 2xx HTML pages in the run.",
           False),
    _field("pages", pa.int64(), "Its distinct 2xx HTML pages (final URLs).", False),
    _field("backlinks", pa.int64(), "External body links (a, area, image; http/https) it gives.",
           False),
    *[_field(name, pa.float64(), text if name.startswith("domain_") else
             text + " Null when the denominator is 0.") for name, text in SIGNAL_DESCRIPTIONS.items()],
    _field("flags", pa.list_(pa.string()), "Signals beyond their Tukey fence over the run's "
           "domains (Q3 + 1.5 IQR; Q1 - 1.5 IQR for internal_external_ratio), in column order. "
           "The fences are in the file's metadata (linkspider.analysis.signal_fences).", False),
    _field("flag_count", pa.int32(), "Number of flags (like Moz's Spam Score).", False),
]

SITE_TOPICS_FIELDS = [
    _RUN_ID,
    _field("site", pa.string(), "Registrable domain (else host) with fetched pages that have "
           "main terms.", False),
    _field("pages", pa.int64(), "Its fetched 2xx pages with main terms: the pages its profile "
           "sums.", False),
    _field("language", pa.string(), "The most common language of those pages (ties: "
           "alphabetical); null when none was identified."),
    _field("top_terms", pa.list_(pa.struct([("term", pa.string()), ("weight", pa.float64())])),
           "The 20 heaviest terms of the site's topic profile (the normalized sum of its pages' "
           "TF-IDF vectors, template terms included: docs/analysis.md, Relevance), heaviest "
           "first.", False),
]

ANALYSIS_SCHEMAS = {
    name: table_schema(fields, name) for name, fields in (
        ("referring_domains", REFERRING_DOMAINS_FIELDS), ("domain_rank", DOMAIN_RANK_FIELDS),
        ("page_rank", PAGE_RANK_FIELDS), ("link_scores", LINK_SCORES_FIELDS),
        ("anchors", ANCHORS_FIELDS),
        ("domain_signals", DOMAIN_SIGNALS_FIELDS), ("site_topics", SITE_TOPICS_FIELDS),
    )
}  # fmt: skip

"""Scrapy settings for linkspider, and every ``LINKSPIDER_*`` setting with its default.

This module is the one place where defaults are set and documented. Override any of them with
``scrapy crawl backlinks -s NAME=VALUE`` or ``linkspider crawl -s NAME=VALUE``.
"""

from __future__ import annotations

BOT_NAME = "linkspider"
SPIDER_MODULES = ["linkspider.spiders"]
NEWSPIDER_MODULE = "linkspider.spiders"

# ---------------------------------------------------------------------------------------------
# linkspider's own settings
# ---------------------------------------------------------------------------------------------

#: Dataset root; tables go to ``<dir>/links/...`` and ``<dir>/pages/...`` (Hive-partitioned by
#: ``crawl_date`` and ``run``).
LINKSPIDER_OUTPUT_DIR = "output"
#: Identifier of this crawl run; empty means one is made from the start time. Letters, digits,
#: ``.``, ``_``, ``-``, at most 64, and not readable as a number or date (``run-7``, not ``7``).
LINKSPIDER_RUN_ID = ""
#: Continue the run ``LINKSPIDER_RUN_ID`` (killed, stopped early, or failed to write) from
#: what its files hold: same seeds and crawl settings, same output directory (``--resume ID``).
LINKSPIDER_RESUME = False
#: How often a running crawl renews the heartbeat of its record in the ``runs`` table; a record
#: whose heartbeat is 3 intervals old is reported as interrupted.
LINKSPIDER_HEARTBEAT_SECONDS = 5.0
#: A Parquet file is closed (renamed into place) after this many rows...
LINKSPIDER_ROWS_PER_FILE = 1_000_000
#: ...or when its oldest row is this many seconds old (checked on a timer, even when no page
#: arrives), so a killed crawl loses at most this much; ``--resume`` fetches it again.
LINKSPIDER_FILE_MAX_SECONDS = 60.0
#: Rows buffered in memory before they are written out as one Parquet row group.
LINKSPIDER_ROW_GROUP_ROWS = 65_536
#: Parquet compression of every table: zstd, snappy, gzip, brotli, lz4 or none, with a level
#: for zstd, gzip and brotli (``zstd:9``); every reader of the dataset reads them all.
LINKSPIDER_COMPRESSION = "zstd"
#: HTTP proxy for every request (e.g. the local web: ``http://127.0.0.1:8899``); None = direct.
LINKSPIDER_PROXY = None
#: Allow loopback, private and link-local addresses (refused by default).
LINKSPIDER_ALLOW_PRIVATE_ADDRESSES = False
#: Links followed from a seed page before the crawl stops descending (0 = seeds only).
LINKSPIDER_MAX_DEPTH = 5
#: Pages requested per site at most; 0 = no limit. A site is the registrable domain, or the
#: host itself when it has none (``vm``, ``github.io``): the same key decides external hops
#: and ``is_external`` (``linkspider.urls.domains.site_key``).
LINKSPIDER_MAX_PAGES_PER_SITE = 1000
#: Hops to other sites followed from the seed sites (0 = stay on the seed sites).
LINKSPIDER_EXTERNAL_HOPS = 0
#: Follow (fetch) links marked nofollow, to discover more pages; they are recorded either way.
LINKSPIDER_CRAWL_NOFOLLOW_LINKS = True
#: Which links get context_before/after: "external" (backlinks), "all", or "none" (also skips
#: word_count). Context costs a few microseconds per link.
LINKSPIDER_LINK_CONTEXT = "external"
#: Request each URL exactly as linkspider normalized it (WHATWG rules, as recorded in
#: ``target_url``), through Scrapy's ``verbatim_url`` meta: no second quoting by w3lib, so
#: ``pages.url`` joins ``links.target_url``, and the duplicate filter compares exact URLs
#: (``?a=1&b=2`` and ``?b=2&a=1`` are two pages, as the URL standard says). False: Scrapy's
#: quoting and canonical fingerprints.
LINKSPIDER_VERBATIM_URLS = True
#: Elements nested deeper than this are flattened before parsing (their tags dropped, text
#: and links kept; ``pages.tags_beyond_depth``), as browsers cap the tree: an HTML parser's
#: cost grows with the square of the depth (30 s for 100,000 nested ``<div>``). 0 = no cap
#: (to measure what the cap costs; a hostile page then holds a parse thread for minutes).
LINKSPIDER_MAX_NESTING_DEPTH = 512
#: HTML documents of this many bytes (characters) or more are parsed in a worker thread, so
#: the crawl goes on downloading meanwhile...
LINKSPIDER_PARSE_THREAD_BYTES = 1 << 20
#: ...by this many daemon threads (0: every page on the reactor thread)...
LINKSPIDER_PARSE_THREADS = 2
#: ...and a page not parsed within this many seconds is recorded with an error
#: (``drop_reason`` ``parse_deadline``) and without links.
LINKSPIDER_PARSE_DEADLINE = 30.0
#: Body links recorded per page at most (the first ones, in document order); the rest are
#: counted in ``pages.links_truncated`` (``drop_reason`` ``links_per_page``, and a ``note``)
#: and never parsed (the document is cut before them). This bounds what one page holds: about
#: 1.7 KB of crawl memory a link kept (170 MB at 100,000) besides its bytes
#: (``DOWNLOAD_MAXSIZE``). Big pages go from parse to item within a budget of this many links
#: (one page always), so five such pages in one crawl peak at 0.5 GB where one takes 0.4,
#: the link history fold after the crawl aside (``LINKSPIDER_HISTORY_MEMORY_LIMIT``;
#: bench/RESULTS.md). 0 = no limit.
LINKSPIDER_MAX_LINKS_PER_PAGE = 100_000
#: Bytes of status line and response headers accepted; a response with more is refused
#: (``drop_reason`` ``headers_too_large``, its status kept): Scrapy counts only the body
#: against ``DOWNLOAD_MAXSIZE``.
LINKSPIDER_MAX_HEADER_BYTES = 256 * 1024
#: Cyclic garbage collector thresholds during the crawl (``gc.set_threshold``); empty keeps
#: Python's (700, 10, 10), which cost a fifth of the per-page CPU time (bench/).
LINKSPIDER_GC_THRESHOLDS = [50_000, 20, 10]
#: Freeze the objects built at start-up (``gc.freeze``) so collections never rescan them.
LINKSPIDER_GC_FREEZE = True

# ---------------------------------------------------------------------------------------------
# Sitemaps (linkspider.discovery: linkspider crawl --sitemaps; docs/sitemaps.md)
# ---------------------------------------------------------------------------------------------

#: Read each seed site's sitemaps (robots.txt ``Sitemap:`` lines and ``/sitemap.xml``, indexes,
#: gzip, text): their URLs go to the ``sitemap_urls`` table, and those on the seed's site are
#: requested as depth-1 pages within ``LINKSPIDER_MAX_PAGES_PER_SITE``. Off by default, as in
#: Screaming Frog: a backlink crawl follows links; ``--sitemaps`` turns it on.
LINKSPIDER_SITEMAPS = False
#: Bytes of one sitemap file at most, downloaded and after gunzip (the protocol's 50 MB);
#: a bigger file, or a gzip bomb, is a ``pages`` row (``sitemap_too_large``, ``body_too_large``).
LINKSPIDER_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
#: Entries read from one sitemap file (the protocol's 50,000); the rest are counted in the
#: file's ``pages`` row (``sitemap_too_many_urls``).
LINKSPIDER_SITEMAP_MAX_URLS = 50_000
#: Sitemap files read per seed site at most (indexes included); 0 = no limit.
LINKSPIDER_SITEMAP_MAX_FILES = 100
#: Levels of sitemap indexes followed below robots.txt or ``/sitemap.xml`` (an index's
#: sitemaps are level 1; the protocol allows no deeper index, sites in the wild nest one more).
LINKSPIDER_SITEMAP_MAX_NESTING = 2

# ---------------------------------------------------------------------------------------------
# Rendering (linkspider.discovery.rendering: linkspider crawl --render; docs/rendering.md)
# ---------------------------------------------------------------------------------------------

#: Also render each 2xx HTML page in headless Chromium (scrapy-playwright) and record the links
#: of its rendered DOM (``links.seen_in``). ``linkspider crawl --render`` sets it with the
#: download handler and Playwright settings it needs (``render_wiring``); off: no browser.
LINKSPIDER_RENDER = False
#: Pages rendered per site at most (the first fetched); 0 = every page (``--render-sample N``).
LINKSPIDER_RENDER_SAMPLE = 0
#: Seconds a page has to settle, from its navigation to the DOM read; a page not settled by
#: then is read as it is (``pages.render_status`` timeout) and the crawl goes on.
LINKSPIDER_RENDER_TIMEOUT = 10.0
#: A page has settled when its document is complete, none of its requests is in flight and its
#: DOM has not changed for this many seconds.
LINKSPIDER_RENDER_QUIET = 0.5
#: Subresources (scripts, fetch/XHR, images, styles) one rendered page may load; the rest are
#: refused (``pages.render_refused``): a page in a fetch loop costs the crawl this many.
LINKSPIDER_RENDER_MAX_SUBRESOURCES = 100
#: Pages open in the browser at once.
LINKSPIDER_RENDER_PAGES = 4
#: The Chromium executable (Debian's ``chromium``; Playwright downloads no browser).
LINKSPIDER_RENDER_CHROMIUM = "/usr/bin/chromium"

# ---------------------------------------------------------------------------------------------
# Web archives (linkspider.archives: linkspider crawl --warc; docs/archives.md)
# ---------------------------------------------------------------------------------------------

#: Also write every fetch (robots.txt and each redirect hop included) as WARC/1.1 request and
#: response records, the body as it came off the wire, to ``<dir>/warc/run=<run id>/``
#: (``--warc``). Off: the WARC middleware is not in the downloader chain at all.
LINKSPIDER_WARC = False
#: A WARC file is closed (``.warc.gz.open`` renamed to ``.warc.gz``) and a new one started
#: once it holds this many (compressed) bytes.
LINKSPIDER_WARC_MAX_BYTES = 1_000_000_000
#: Who runs the crawl (a name, an e-mail address), written in each file's ``warcinfo``
#: record as ``operator``; empty leaves the field out.
LINKSPIDER_WARC_OPERATOR = ""

# ---------------------------------------------------------------------------------------------
# Politeness: on by default
# ---------------------------------------------------------------------------------------------

USER_AGENT = "linkspider/0.1 (+https://github.com/linkspider/linkspider; backlink crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
# <meta http-equiv=refresh> is read by the spider: the page's own links are recorded and the
# refresh target becomes a meta_refresh link (Scrapy's middleware would drop the page).
METAREFRESH_ENABLED = False
RETRY_TIMES = 2

# ---------------------------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------------------------

# Non-2xx responses reach the spider, so 404s and 500s are recorded as pages.
HTTPERROR_ALLOW_ALL = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Every DNS answer checked (linkspider.crawl.resolver), which also applies DNS_TIMEOUT (Scrapy's
# default, 60 s): a name not resolved by then fails, and its page row says so.
TWISTED_DNS_RESOLVER = "linkspider.crawl.resolver.PublicAddressResolver"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Scrapy's HTTP/1.1 handler with LINKSPIDER_MAX_HEADER_BYTES and clearer errors.
DOWNLOAD_HANDLERS = {
    "http": "linkspider.crawl.downloader.BoundedHTTP11DownloadHandler",
    "https": "linkspider.crawl.downloader.BoundedHTTP11DownloadHandler",
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, except that every request waiting for a host's robots.txt obeys it (robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "linkspider.crawl.robots.RobotsTxtMiddleware": 100,
    "linkspider.crawl.middlewares.PrivateAddressMiddleware": 50,
    "linkspider.crawl.middlewares.LocalProxyMiddleware": 740,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "linkspider.crawl.middlewares.RedirectEveryHopMiddleware": 600,
    # Nearest the download handler, so it sees each response before HttpCompressionMiddleware
    # (590) decodes it and RedirectEveryHopMiddleware follows it; only with LINKSPIDER_WARC.
    "linkspider.archives.middleware.WarcWriterMiddleware": 950,
}

ITEM_PIPELINES = {
    "pipelines.dedupe.DedupePagesPipeline": 100,
    "pipelines.normalize.NormalizeLinksPipeline": 300,
    "pipelines.parquet.ParquetExportPipeline": 800,
}

EXTENSIONS = {
    "linkspider.crawl.extensions.GarbageCollectorTuning": 0,
    "linkspider.runs.recorder.RunRecorder": 10,
    # Progress (below) replaces Scrapy's "Crawled N pages (at N pages/min)" log lines.
    "scrapy.extensions.logstats.LogStats": None,
    "linkspider.crawl.progress.CrawlProgress": 0,
    "linkspider.scrapyd.check.ScrapydOutputCheck": 0,
    "pipelines.feed.ParquetFeedAppendGuard": 0,
}

FEED_EXPORTERS = {"parquet": "pipelines.feed.ParquetItemExporter"}
FEED_EXPORT_ENCODING = "utf-8"

# One item per page: Scrapy's default of 100 makes an asyncio task per possible item for every
# response, measured as 18% of the crawl's CPU (bench/).
CONCURRENT_ITEMS = 4

LOG_LEVEL = "INFO"

# ---------------------------------------------------------------------------------------------
# Progress, control servers, Scrapyd (linkspider.crawl.progress, linkspider.scrapyd.check)
# ---------------------------------------------------------------------------------------------

#: Crawl progress (pages done and queued, pages/s, links, errors, elapsed): "auto" draws one
#: live status line on stderr when it is a terminal and logs a plain line every
#: ``LINKSPIDER_PROGRESS_INTERVAL`` seconds when it is not (cron, Scrapyd, a pipe); "live" and
#: "log" force one of the two; "off" (``linkspider crawl --quiet``) shows none.
LINKSPIDER_PROGRESS = "auto"
#: Seconds between progress log lines when stderr is not a terminal (or the log goes to
#: ``LOG_FILE``).
LINKSPIDER_PROGRESS_INTERVAL = 60.0
#: Seconds between redraws of the live status line on a terminal.
LINKSPIDER_PROGRESS_REFRESH = 1.0
#: Under Scrapyd a relative ``LINKSPIDER_OUTPUT_DIR`` would land in the daemon's working
#: directory, so a Scrapyd job with one refuses to start; False lets it through.
LINKSPIDER_SCRAPYD_REQUIRE_ABSOLUTE_OUTPUT = True

# Scrapy's control servers stay off: both run code sent to them inside the crawl process.
# RemoteControl (Scrapy 2.19, on by default there) is an HTTP server on a random localhost port
# that executes the Python it is sent, authenticated by a bearer token in a job file in the
# user's home; set REMOTE_CONTROL_ENABLED = True (e.g. -s REMOTE_CONTROL_ENABLED=True) only to
# use Scrapy's MCP server on a crawl you are watching. The telnet console (TELNETCONSOLE_ENABLED,
# under Wiring above) is off likewise.
REMOTE_CONTROL_ENABLED = False

# ---------------------------------------------------------------------------------------------
# One crawl on many workers (linkspider.distributed: linkspider crawl --redis URL --run-id ID)
# ---------------------------------------------------------------------------------------------

#: Redis of a distributed run (``redis://HOST:PORT/DB``); every worker started with the same
#: URL and ``LINKSPIDER_RUN_ID`` works on one crawl. Empty: a single-process crawl.
LINKSPIDER_REDIS_URL = ""
#: Seconds a worker's lease on a request lasts without renewal (renewed every third of it
#: while the worker lives); a killed worker's requests go back to the queue after this long.
LINKSPIDER_REDIS_LEASE_SECONDS = 30.0
#: A worker stops once nothing was queued or in flight, in the whole run, for this long.
LINKSPIDER_REDIS_IDLE_SECONDS = 5.0
#: Seconds between a worker's looks at the shared queue when it has capacity (and heartbeat
#: ticks); how soon an idle worker fetches a request another one pushed.
LINKSPIDER_REDIS_POLL_SECONDS = 0.2
#: Requests in flight to one host at most, across all workers; 0 = CONCURRENT_REQUESTS_PER_DOMAIN.
LINKSPIDER_REDIS_HOST_CONCURRENCY = 0
#: Seconds between two fetches from one host, across all workers; -1 = DOWNLOAD_DELAY.
LINKSPIDER_REDIS_HOST_DELAY = -1.0
#: URLs the run is sized for: the seen-sets are split into buckets of ~256 8-byte
#: fingerprints (Redis intsets) for this many; more still works, at more bytes per URL.
LINKSPIDER_REDIS_EXPECTED_URLS = 1_000_000

# ---------------------------------------------------------------------------------------------
# Link history (linkspider.history: linkspider diff / history update / monitor)
# ---------------------------------------------------------------------------------------------

#: Consecutive complete runs a transient failure of a source page (page_error: 5xx and other
#: failures; host_unreachable: DNS, refused, TLS, timeout) must last before its links are
#: lost; until then they are unknown, and a link that comes back was never lost.
LINKSPIDER_HISTORY_TRANSIENT_RUNS = 2
#: DuckDB memory limit of a history update or diff, and of the fold after a crawl; beyond it
#: DuckDB spills to ``<dataset>/_staging/history-spill``. At 256MB a fold's process holds
#: about 0.45 GB whatever the run's size (0.5M to 3M links); 1GB folds about 2x faster and
#: holds up to 1.1 GB (bench/RESULTS.md). A limit too tight for one DuckDB thread per core is
#: retried on one thread (128MB works so for 0.5M links, slower); too tight for one: exit 3.
LINKSPIDER_HISTORY_MEMORY_LIMIT = "256MB"
#: ``linkspider crawl`` folds a run that ended complete into link_history (and writes its
#: link_changes); 0 leaves it to ``linkspider history update``.
LINKSPIDER_HISTORY_UPDATE = True

# ---------------------------------------------------------------------------------------------
# Target checks (linkspider.targets: linkspider check-targets, crawl --check-targets)
# ---------------------------------------------------------------------------------------------

#: Statuses of a HEAD answer that mean "HEAD refused": the target is requested again with GET
#: (its body not downloaded).
LINKSPIDER_TARGETS_HEAD_REFUSED = [405, 501]
#: Run whose targets a check writes (``DIR/targets/run=ID``); set by ``linkspider check-targets``.
LINKSPIDER_TARGETS_RUN_ID = ""

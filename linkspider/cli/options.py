"""The options ``crawl``, ``demo`` and ``check-targets`` share, and the settings they map to."""

from __future__ import annotations

import argparse
from typing import Any


def setting_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by ``crawl`` and ``demo``."""
    parser.add_argument("--out", metavar="DIR", help="dataset root (default: output)")
    parser.add_argument("--run-id", help="identifier of this run (default: from the time)")
    parser.add_argument("--max-depth", type=int, help="links followed from a seed (default 5)")
    parser.add_argument("--max-pages-per-site", type=int,
                        help="pages requested per site at most (default 1000; 0 = no limit)")
    parser.add_argument("--external-hops", type=int,
                        help="other sites followed this many hops out (default 0)")
    sitemaps = parser.add_mutually_exclusive_group()
    sitemaps.add_argument("--sitemaps", dest="sitemaps", action="store_true", default=None,
                          help="also crawl the URLs the seed sites' sitemaps list (robots.txt, "
                               "/sitemap.xml), and write them to sitemap_urls (default off)")
    sitemaps.add_argument("--no-sitemaps", dest="sitemaps", action="store_false",
                          help="read no sitemaps (the default)")
    parser.add_argument("--warc", action="store_true",
                        help="also write every fetch (robots.txt, redirect hops) as it came off "
                             "the wire to WARC/1.1 files in DIR/warc/run=RUN_ID/ (docs/archives.md)")
    parser.add_argument("--render", action="store_true",
                        help="also render pages in headless Chromium and record the links of "
                             "the rendered DOM (links.seen_in; docs/rendering.md)")
    parser.add_argument("--render-sample", type=int, metavar="N",
                        help="with --render: render only N pages per site (default: all)")
    parser.add_argument("--proxy", metavar="URL", help="HTTP proxy for every request")
    parser.add_argument("--allow-private-addresses", action="store_true",
                        help="allow loopback and private addresses (refused by default)")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="concurrent requests, in total and per host")
    parser.add_argument("--no-throttle", action="store_true",
                        help="turn AutoThrottle off (benchmarks, trusted hosts)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[],
                        type=setting_pair, metavar="NAME=VALUE", help="any Scrapy setting")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress: no live status line, no progress log lines")


def crawl_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the Scrapy settings that ``args`` asks for (command-line priority)."""
    settings: dict[str, Any] = {}
    if args.out:
        settings["LINKSPIDER_OUTPUT_DIR"] = args.out
    if args.run_id:
        settings["LINKSPIDER_RUN_ID"] = args.run_id
    if args.max_depth is not None:
        settings["LINKSPIDER_MAX_DEPTH"] = args.max_depth
    if args.max_pages_per_site is not None:
        settings["LINKSPIDER_MAX_PAGES_PER_SITE"] = args.max_pages_per_site
    if args.external_hops is not None:
        settings["LINKSPIDER_EXTERNAL_HOPS"] = args.external_hops
    if getattr(args, "sitemaps", None) is not None:
        settings["LINKSPIDER_SITEMAPS"] = args.sitemaps
    if getattr(args, "warc", False):
        settings["LINKSPIDER_WARC"] = True
    if getattr(args, "redis", None):  # one crawl on many workers (linkspider.distributed)
        settings["LINKSPIDER_REDIS_URL"] = args.redis
    if getattr(args, "render", False) or getattr(args, "render_sample", None):
        settings["LINKSPIDER_RENDER"] = True
    if getattr(args, "render_sample", None) is not None:
        settings["LINKSPIDER_RENDER_SAMPLE"] = args.render_sample
    settings.update(fetch_settings(args))
    if str(settings.get("LINKSPIDER_RENDER", "")).lower() in ("1", "true"):
        settings.update(render_settings(settings))
    return settings


def render_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the download handler and Playwright settings of a rendering crawl."""
    from scrapy.settings import Settings

    from linkspider.discovery.rendering import render_wiring

    merged = Settings()
    merged.setmodule("linkspider.settings")
    merged.setdict(settings)
    return render_wiring(merged.get("LINKSPIDER_RENDER_CHROMIUM"), merged.getint("LINKSPIDER_RENDER_PAGES"))


def fetch_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the settings of the fetch options ``crawl`` shares with ``check-targets``
    (proxy, private addresses, concurrency, throttle, log level, progress, ``-s``)."""
    settings: dict[str, Any] = {}
    if args.proxy:
        settings["LINKSPIDER_PROXY"] = args.proxy
    if args.allow_private_addresses:
        settings["LINKSPIDER_ALLOW_PRIVATE_ADDRESSES"] = True
    if args.concurrency:
        settings["CONCURRENT_REQUESTS"] = args.concurrency
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = args.concurrency
    if args.no_throttle:
        settings["AUTOTHROTTLE_ENABLED"] = False
        settings["DOWNLOAD_DELAY"] = 0
    if args.log_level:
        settings["LOG_LEVEL"] = args.log_level.upper()
    if args.quiet:
        settings["LINKSPIDER_PROGRESS"] = "off"
    settings.update(dict(args.settings))
    return settings

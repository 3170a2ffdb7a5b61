"""Run ``advertools.crawl`` over a URL list, as a user of advertools would.

``python -m bench.contenders.advertools_runner --urls-file F --out FILE.jl --stats-dir D
--allowed-domains a,b [--concurrency N]``. advertools starts ``scrapy runspider`` itself (in
several consecutive processes when the URL list is longer than its command-line limit); the
benchmark's settings reach it through ``custom_settings``, and a proxy through the
``http_proxy`` environment variable, which Scrapy's ``HttpProxyMiddleware`` reads.
"""

from __future__ import annotations

import argparse
import sys

import advertools

from bench.contenders.run_spider import common_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--stats-dir", required=True)
    parser.add_argument("--allowed-domains", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    with open(args.urls_file, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    advertools.crawl(
        urls,
        args.out,
        follow_links=False,
        allowed_domains=args.allowed_domains.split(","),
        custom_settings=common_settings(args.concurrency, args.stats_dir),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

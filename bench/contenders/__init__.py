"""The crawlers the benchmark compares, each run as its own process.

``noop`` (Scrapy fetching the pages and doing nothing: the framework ceiling),
``linkextractor`` (a hand-written Scrapy spider, one item per link from ``LinkExtractor``),
``advertools`` (``advertools.crawl``) and ``linkspider`` (``linkspider crawl``, full pipeline
and Parquet output). ``commands.py`` builds their command lines; ``stats.py`` is the Scrapy
extension that every one of them loads to report its crawl window, CPU and progress.
"""

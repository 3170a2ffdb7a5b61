"""The crawl: what Scrapy runs between a seed and an item.

Download handler and DNS resolver with the hostile-web bounds (``downloader``, ``resolver``),
downloader middlewares (``middlewares``, ``robots``), the item a page becomes (``items``), what
a failed fetch says (``failures``), the progress line and other extensions (``progress``,
``extensions``) and linkspider's own signals (``signals``). The spider is
``linkspider.spiders.backlinks``; the page work it calls is ``linkspider.extraction``.
"""

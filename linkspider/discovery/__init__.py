"""Ways to find pages other than ``<a>`` links: sitemaps (``sitemaps``: the files as data;
``crawling``: the spider's side). The manual is docs/sitemaps.md."""

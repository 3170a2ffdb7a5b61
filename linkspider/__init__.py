"""linkspider: a backlink discovery crawler built on Scrapy.

Every link on every fetched page, with its referring domain, anchor text, rel values and
follow status, written as a typed, partitioned Parquet dataset. See README.md and docs/.
"""

__version__ = "0.1.0"

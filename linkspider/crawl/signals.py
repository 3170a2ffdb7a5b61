"""linkspider's own Scrapy signals (sent and received through ``crawler.signals``).

``rows_committed``: the Parquet export pipeline put every row it had received into closed,
renamed files (sent after each commit). ``commit_requested``: ask the pipeline to commit what
it holds now (the distributed scheduler does, when its worker is idle, so its leases end).
"""

rows_committed = object()
commit_requested = object()

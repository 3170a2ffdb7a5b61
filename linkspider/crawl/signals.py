"""linkspider's own Scrapy signals (sent and received through ``crawler.signals``).

``rows_committing``: the Parquet export pipeline is about to rename a commit's files into place
(arguments ``leases``: the frontier entries whose rows it holds, ``pages_file``: the path the
``pages`` file will have). ``rows_committed``: the Parquet export pipeline put every row it had received into closed,
renamed files (sent after each commit). ``commit_requested``: ask the pipeline to commit what
it holds now (the distributed scheduler does, when its worker is idle, so its leases end).
"""

rows_committing = object()
rows_committed = object()
commit_requested = object()

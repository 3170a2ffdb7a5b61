"""One crawl on many workers through Redis (``linkspider crawl --redis URL --run-id ID``).

Built on scrapy-redis (its connection handling and scheduler structure), with the parts that
lose or endanger data replaced:

- ``frontier``: the shared frontier as atomic Lua scripts. A pop *leases* an entry (in flight
  with a deadline, renewed while the worker lives) and takes a per-host permit; an entry is
  acknowledged only once its page is in a closed, renamed Parquet file; expired leases go back
  to the queue. Seen-sets of 8-byte fingerprints, the pages-per-site budget, page and redirect
  dedupe are shared there too.
- ``entries``: queue entries are JSON of a fixed schema; anything else is refused, never run.
- ``fingerprints``: 8-byte URL fingerprints, bucketed so Redis keeps them as intsets.
- ``scheduler``: the Scrapy scheduler (a scrapy-redis ``Scheduler``) that wires it in.
- ``politeness``: the downloader middleware that holds per-host permits cluster-wide.
- ``robots``: robots.txt fetched once per host for the run, shared through Redis.
- ``dedupe``: page and redirect-hop dedupe claims for ``pipelines.dedupe``.
- ``records``: one run record per worker and the run's, merged by the worker that ends it.
- ``worker``: joining a run (one crawl date, one run id, unique writer ids), a worker's state.
- ``cli``: ``crawl --redis`` and ``linkspider status --redis URL --run-id ID``.
- ``server``: a private redis-server on a free port, for tests and benchmarks.
"""

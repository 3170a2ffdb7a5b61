"""Target checks: the status of the URLs a run's links point to, in the ``targets``
table. Reads the run's links and pages from the dataset; fetches with the crawler's settings.

- ``outcome``: ok / redirected / broken / blocked, from a status, an error and a chain;
- ``chains``: each URL fetched once, redirect chains assembled from the answers;
- ``selection``: which targets a run has, which the crawl already fetched (DuckDB);
- ``spider``: the ``check_targets`` spider (HEAD, then GET where HEAD is refused);
- ``writer``: the pipeline writing ``DIR/targets/run=ID/part-*.parquet``;
- ``cli``: ``linkspider check-targets`` and ``linkspider crawl --check-targets``.
"""

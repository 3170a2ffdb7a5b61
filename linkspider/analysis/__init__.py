"""The backlink profile of a crawl run, computed from the dataset alone.

- ``graph``: PageRank and harmonic centrality on integer graphs (scipy.sparse);
- ``ranks``: the 0-100 log-scale score (authority, link score);
- ``anchors``: anchor-text classes;
- ``domain_rank``, ``page_rank``: the domain graph and each site's internal graph;
- ``equity``: the reasonable-surfer PageRank of the whole run (``crawl_rank``) and each
  link's equity (``link_scores``);
- ``rollups`` (SQL in ``queries``): referring domains and anchors per target;
- ``analyze``: the ``linkspider analyze`` command's work; ``dataset``: where the tables live.
"""

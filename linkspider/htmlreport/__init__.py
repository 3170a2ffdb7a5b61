"""The HTML and JSON report: ``linkspider report --html FILE --json FILE``.

Reads only the dataset, through DuckDB: a run's links and pages, its ``targets``, its analysis
tables (``linkspider analyze``) and the link history.

- ``dataset``: the DuckDB views, and which tables exist;
- ``queries``: every SQL statement, named;
- ``figures``: the numbers of every section, one JSON-able dict (``--json``);
- ``charts``: Vega-Lite specs rendered to inline SVG offline (vl-convert);
- ``tables``: sortable, capped HTML tables;
- ``explorer``: the relevance and equity section and the backlinks explorer (every backlink as
  JSON in the page, rendered by ``static/explorer.js``);
- ``page``: the self-contained page;
- ``build``: ``build_report``, ``write_report``; ``cli``: the ``report`` options.
"""

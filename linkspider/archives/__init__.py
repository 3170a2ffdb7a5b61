"""Web archives: read WARC/ARC files into the dataset (``linkspider extract``).

``records`` reads archive records as HTTP responses (FastWARC, warcio for ARC); ``spider``
runs the crawl's page work on them; ``parallel`` shares files over processes; ``cli`` is the
command. docs/archives.md is the manual.
"""

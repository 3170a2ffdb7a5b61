"""Web archives: what a crawl fetched, written as WARC/1.1 files (``linkspider crawl --warc``).

``fetch`` holds one fetch as plain data, ``http_blocks`` rebuilds its HTTP messages,
``warc_writer`` writes them as records into rotating ``.warc.gz`` files, ``repair`` closes the
files a killed crawl left open, and ``middleware`` is the downloader middleware that hands each
fetch to the writer. Documentation: docs/archives.md.
"""

#: Prefix under which the download handler passes on the connection-control headers Twisted
#: sets aside, when ``LINKSPIDER_WARC`` is on (``linkspider.crawl.downloader``).
WIRE_PREFIX = "X-Linkspider-Wire-"

"""Web archives in and out (docs/archives.md).

Writing (``linkspider crawl --warc``): ``fetch`` holds one fetch as plain data, ``http_blocks``
rebuilds its HTTP messages, ``warc_writer`` writes them as records into rotating ``.warc.gz``
files, ``repair`` closes the files a killed crawl left open, and ``middleware`` is the
downloader middleware that hands each fetch to the writer.

Reading (``linkspider extract``): ``records`` reads archive records as HTTP responses
(FastWARC, warcio for ARC), ``spider`` runs the crawl's page work on them, ``parallel`` shares
the files over processes, ``spark`` over the tasks of a Spark job, ``cli`` is the command.
"""

#: Prefix under which the download handler passes on the connection-control headers Twisted
#: sets aside, when ``LINKSPIDER_WARC`` is on (``linkspider.crawl.downloader``).
WIRE_PREFIX = "X-Linkspider-Wire-"

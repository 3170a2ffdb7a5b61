"""``linkspider extract``'s own work on WARC files in a plain loop, without Scrapy's engine.

What is left of an extract when the crawler, its engine, scheduler, signals, extensions and
run record are taken away: the archive spider reads the records (``linkspider.archives.
records``, FastWARC) and runs the backlinks spider's page work on each (``parse_page``: decode,
parse with lexbor, links, contexts, URL resolution), and the dedupe, normalize and Parquet
pipelines of ``ITEM_PIPELINES`` take each item, called directly. The rows are those of an
extract (every big document parsed inline: there is no reactor for the parse threads). Its
time against ``extract`` is what the engine and the start-up of the crawler cost; against the
``ceiling`` (``warc_readers``), what the page work costs beyond reading and parsing.

``python -m bench.contenders.page_work WARC... --out DIR`` prints one JSON line (the pages
and links written).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path


async def extract_without_engine(paths: list[str], out: Path) -> dict:
    """Return the counts after writing the page and link rows of ``paths`` under ``out``."""
    from scrapy.settings import Settings

    from linkspider import settings as project_settings
    from linkspider.archives.records import read_archive
    from linkspider.archives.spider import ArchiveSpider
    from linkspider.runs.context import RunContext
    from pipelines.dedupe import DedupePagesPipeline
    from pipelines.normalize import NormalizeLinksPipeline
    from pipelines.parquet import ParquetExportPipeline

    settings = Settings()
    settings.setmodule(project_settings)
    started = datetime.now(timezone.utc)
    context = RunContext(out, "page-work", started.strftime("%Y-%m-%d"), started)
    spider = ArchiveSpider(files=paths)
    spider.max_depth = 0
    spider.max_redirects = settings.getint("REDIRECT_MAX_TIMES")
    spider.parse_threads = 0
    spider.link_context = settings.get("LINKSPIDER_LINK_CONTEXT")
    spider.max_body_bytes = settings.getint("DOWNLOAD_MAXSIZE")
    spider.max_links_per_page = settings.getint("LINKSPIDER_MAX_LINKS_PER_PAGE") or None
    spider.max_nesting_depth = settings.getint("LINKSPIDER_MAX_NESTING_DEPTH")
    export = ParquetExportPipeline(context, row_group_rows=settings.getint("LINKSPIDER_ROW_GROUP_ROWS"),
                                   max_file_seconds=1e9)  # fmt: skip
    pipelines = [DedupePagesPipeline(), NormalizeLinksPipeline(), export]
    export.open_spider()
    pages = 0
    for path in paths:
        for record in read_archive(Path(path), spider.max_body_bytes, spider.counts):
            for work in spider._work_of(record):
                for item in await work.items():
                    for pipeline in pipelines:
                        item = pipeline.process_item(item)
                    pages += 1
    for work in spider._unresolved_redirects():
        for item in await work.items():
            for pipeline in pipelines:
                item = pipeline.process_item(item)
            pages += 1
    export.close_spider()
    return {"pages": pages, "links": export.writers["links"].rows_written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", metavar="WARC")
    parser.add_argument("--out", required=True, help="dataset root to write the rows under")
    args = parser.parse_args(argv)
    counts = asyncio.run(extract_without_engine(args.paths, Path(args.out)))
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

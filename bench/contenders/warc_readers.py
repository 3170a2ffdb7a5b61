"""Two readers of WARC files that ``bench.extract`` sets against ``linkspider extract``.

``ceiling``: FastWARC reads every response record (HTTP headers parsed) and each HTML payload
is parsed by lexbor (selectolax's ``LexborHTMLParser``); nothing else is done, so no extractor
that reads the records with FastWARC and parses them with lexbor can be faster.

``cc-style``: what Common Crawl's cc-pyspark link jobs do per record, without Spark: warcio's
``ArchiveIterator``, ``href`` values found by a regular expression, joined to the page URL (or
its ``<base href>``) with ``urllib.parse.urljoin``, redirects from the ``Location`` header;
the (source, target) pairs are written to one Parquet file at the end with pyarrow.

``python -m bench.contenders.warc_readers {ceiling,cc-style} WARC... [--out FILE]`` prints one
JSON line: the records read, the pages (and HTML pages) seen and the links written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from urllib.parse import urljoin

#: ``href`` of an ``<a>``, ``<area>`` or ``<link>`` tag, quoted either way or bare.
HREF = re.compile(rb"""<(?:a|area|link)\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""",
                  re.IGNORECASE)  # fmt: skip
BASE = re.compile(rb"""<base\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)


def target_uri(value: str | None) -> str:
    """Return a ``WARC-Target-URI`` without the ``<...>`` wget writes around it."""
    value = (value or "").strip()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def read_ceiling(paths: list[str]) -> dict:
    """Return counts after reading ``paths`` with FastWARC and parsing each HTML payload."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from selectolax.lexbor import LexborHTMLParser

    pages = html_pages = 0
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, record_types=WarcRecordType.response,
                                          parse_http=True):  # fmt: skip
                pages += 1
                body = record.reader.read()
                if "html" in (record.http_headers.get("Content-Type") or "").lower():
                    LexborHTMLParser(body)
                    html_pages += 1
    return {"pages": pages, "html_pages": html_pages, "links": 0}


def page_links(source: str, body: bytes) -> list[tuple[str, str]]:
    """Return the (source, target) pairs of one HTML payload, as a regex link job finds them.

    >>> page_links("http://a.example/x/", b"<a class=c href='../y'>y</a><link href=/s.css>")
    [('http://a.example/x/', 'http://a.example/y'), ('http://a.example/x/', 'http://a.example/s.css')]
    """
    base = source
    found = BASE.search(body)
    if found:
        try:
            href = next(g for g in found.groups() if g is not None)
            base = urljoin(source, href.decode("utf-8", "replace"))
        except ValueError:
            pass
    pairs = []
    for match in HREF.finditer(body):
        href = next(g for g in match.groups() if g is not None).decode("utf-8", "replace").strip()
        try:
            pairs.append((source, urljoin(base, href)))
        except ValueError:  # an unparsable URL, such as an unclosed IPv6 bracket
            pass
    return pairs


def read_cc_style(paths: list[str], out: str | None) -> dict:
    """Return counts after extracting (source, target) pairs from ``paths`` with warcio and a
    regular expression, written to ``out`` as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from warcio.archiveiterator import ArchiveIterator

    sources: list[str] = []
    targets: list[str] = []
    pages = html_pages = 0
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                pages += 1
                source = target_uri(record.rec_headers.get_header("WARC-Target-URI"))
                status = record.http_headers.get_statuscode() or ""
                if status.startswith("3"):
                    location = record.http_headers.get_header("Location")
                    if location:
                        sources.append(source)
                        targets.append(urljoin(source, location))
                    continue
                if "html" not in (record.http_headers.get_header("Content-Type") or "").lower():
                    continue
                html_pages += 1
                for pair_source, pair_target in page_links(source, record.content_stream().read()):
                    sources.append(pair_source)
                    targets.append(pair_target)
    if out:
        table = pa.table({"s": pa.array(sources, pa.string()), "t": pa.array(targets, pa.string())})
        pq.write_table(table, out, compression="zstd")
    return {"pages": pages, "html_pages": html_pages, "links": len(sources)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reader", choices=("ceiling", "cc-style"))
    parser.add_argument("paths", nargs="+", metavar="WARC")
    parser.add_argument("--out", help="Parquet file of the cc-style pairs")
    args = parser.parse_args(argv)
    if args.reader == "ceiling":
        counts = read_ceiling(args.paths)
    else:
        counts = read_cc_style(args.paths, args.out)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The WARC files ``bench.extract`` reads: the Python docs as GNU wget archives them, and the
same records split into several files; cached under ``bench/.cache/`` (git-ignored).

The docs (Debian's ``python3.11-doc``, 530 HTML pages) are served by the project's local web
(``linkspider.web.server.LocalWeb`` with one ``StaticSite`` per copy, on 127.0.0.1) under the
host names ``docs-1.python.org`` ... ``docs-N.python.org``, and ``wget --recursive --level inf
--warc-file`` mirrors every copy through it as its HTTP proxy, so the archive holds N x the
docs' pages, as wget writes them (a request and a response record per fetch, one gzip member
per record). ``world_warc`` archives a generated world the same way (the local web in its
own process). Nothing leaves 127.0.0.1. ``tiny_warc`` writes a small archive with warcio for
``--smoke``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

DOCS = Path("/usr/share/doc/python3.11/html")
CACHE = Path(__file__).resolve().parent / ".cache"
WGET_TIMEOUT = 600


class CorpusError(RuntimeError):
    """The corpus cannot be made here; the message says what to install or fix."""


class DocsCopies:
    """Answer for ``docs-1.python.org`` ... ``docs-N.python.org``, each the same folder."""

    def __init__(self, root: Path, copies: int) -> None:
        from linkspider.web.server import StaticSite

        self.sites = {f"docs-{i}.python.org": StaticSite(root, f"docs-{i}.python.org")
                      for i in range(1, copies + 1)}  # fmt: skip

    def respond(self, host: str, target: str):  # noqa: ANN201 (a WebResponse)
        """Return the answer of the copy named ``host`` (502 for any other host)."""
        site = self.sites.get(host.lower().rstrip(".")) or next(iter(self.sites.values()))
        return site.respond(host, target)


def check_tools(docs: Path = DOCS) -> None:
    """Raise ``CorpusError`` when GNU wget or the Python docs are missing."""
    if shutil.which("wget") is None:
        raise CorpusError("GNU wget is missing: apt-get install -y wget")
    if not (docs / "index.html").is_file():
        raise CorpusError(f"the Python docs are missing ({docs}/index.html): "
                          "apt-get install -y python3.11-doc")  # fmt: skip


def docs_warc(copies: int, cache: Path = CACHE, docs: Path = DOCS) -> Path:
    """Return the cached wget WARC of ``copies`` copies of the docs, made when missing."""
    from linkspider.web.server import LocalWeb

    path = cache / f"docs-x{copies}.warc.gz"
    if path.is_file():
        return path
    check_tools(docs)
    work = cache / f"docs-x{copies}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = DocsCopies(docs, copies)
    with LocalWeb(source) as web:
        wget = subprocess.run(
            ["wget", "--quiet", "--recursive", "--level", "inf", "-e", "robots=off",
             "-e", "use_proxy=yes", "-e", f"http_proxy={web.proxy_url}",
             "--warc-file", str(work / "docs"), "--no-warc-keep-log", "--delete-after",
             "--directory-prefix", str(work / "mirror"),
             *(f"http://{host}/" for host in source.sites)],
            capture_output=True, text=True, timeout=WGET_TIMEOUT, check=False)  # fmt: skip
    made = work / "docs.warc.gz"
    # 8: some pages answered 404 or 403 (Debian's docs link a few files they leave out)
    if wget.returncode not in (0, 8) or not made.is_file():
        raise CorpusError(f"wget exited {wget.returncode}: {wget.stderr.strip()[-500:]}")
    os.replace(made, path)
    shutil.rmtree(work, ignore_errors=True)
    return path


def world_warc(sites: int, pages: int, cache: Path = CACHE) -> Path:
    """Return the cached wget WARC of a generated world (``linkspider.web.World``, seed 7, 3
    external links a page) of ``sites`` x ``pages``, fetched through the local web as proxy."""
    from linkspider.web import LocalWebProcess, World, WorldConfig

    path = cache / f"world-s{sites}-p{pages}.warc.gz"
    if path.is_file():
        return path
    if shutil.which("wget") is None:
        raise CorpusError("GNU wget is missing: apt-get install -y wget")
    work = cache / f"{path.name}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world = World(WorldConfig(seed=7, sites=sites, pages_per_site=pages))
    with LocalWebProcess(world) as web:
        wget = subprocess.run(
            ["wget", "--quiet", "--recursive", "--level", "inf", "-e", "robots=off",
             "-e", "use_proxy=yes", "-e", f"http_proxy={web.proxy_url}",
             "--warc-file", str(work / "world"), "--no-warc-keep-log", "--delete-after",
             "--directory-prefix", str(work / "mirror"), *world.seeds()],
            capture_output=True, text=True, timeout=WGET_TIMEOUT, check=False)  # fmt: skip
    made = work / "world.warc.gz"
    if wget.returncode not in (0, 8) or not made.is_file():  # 8: the world's 404 pages
        raise CorpusError(f"wget exited {wget.returncode}: {wget.stderr.strip()[-500:]}")
    os.replace(made, path)
    shutil.rmtree(work, ignore_errors=True)
    return path


def record_offsets(path: Path) -> list[int]:
    """Return the offset of every record of a ``.warc.gz`` (its gzip member's start)."""
    from warcio.archiveiterator import ArchiveIterator

    offsets = []
    with open(path, "rb") as handle:
        records = ArchiveIterator(handle)
        for _record in records:
            offsets.append(records.get_record_offset())
    return offsets


def split_warc(path: Path, parts: int) -> list[Path]:
    """Return ``parts`` files holding the records of ``path`` in order, of about equal size
    (cut at record boundaries, found with warcio; each record is its own gzip member, so each
    part is a valid ``.warc.gz``); cached beside ``path``."""
    folder = path.with_name(path.name.removesuffix(".warc.gz") + f"-split{parts}")
    names = [folder / f"part-{i:02d}.warc.gz" for i in range(parts)]
    if all(name.is_file() for name in names):
        return names
    offsets = record_offsets(path)
    size = path.stat().st_size
    cuts = [0]
    for i in range(1, parts):
        wanted = size * i // parts
        cuts.append(min((o for o in offsets if o >= wanted), default=size))
    cuts.append(size)
    work = folder.with_name(folder.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with open(path, "rb") as source:
        for i, (start, end) in enumerate(zip(cuts, cuts[1:])):
            source.seek(start)
            (work / names[i].name).write_bytes(source.read(end - start))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(work, folder)
    return names


def tiny_warc(path: Path, pages: int = 20) -> Path:
    """Write a small ``.warc.gz`` with warcio: ``pages`` HTML pages linking to each other, one
    redirect and one image; return its path."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def response(writer: WARCWriter, url: str, body: bytes, headers: list, status: str) -> None:
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                      http_headers=http))  # fmt: skip

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench.extract"}))
        for i in range(pages):
            links = "".join(f"<li><a href='/p{j}.html'>page {j}</a></li>" for j in range(pages))
            body = (f"<html><head><title>Page {i}</title><link rel=stylesheet href=/s.css></head>"
                    f"<body><ul>{links}</ul><a href='https://other.example/' rel=nofollow>x</a>"
                    "<img src=/i.png alt=i></body></html>").encode()  # fmt: skip
            response(writer, f"http://tiny.example/p{i}.html", body,
                     [("Content-Type", "text/html; charset=utf-8")], "200 OK")
        response(writer, "http://tiny.example/old", b"",
                 [("Location", "/p0.html"), ("Content-Type", "text/html")], "301 Moved Permanently")
        response(writer, "http://tiny.example/i.png", b"\x89PNG\r\n\x1a\n",
                 [("Content-Type", "image/png")], "200 OK")
    return path

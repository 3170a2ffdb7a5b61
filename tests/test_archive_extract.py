"""``linkspider extract``: web archives written by other tools (warcio, wget) become the same
links and pages as a crawl of the same pages, through the crawl's own page work."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linkspider.web import LocalWebProcess, World, WorldConfig
from linkspider.web.server import LocalWeb
from tests.crawling import local_web_args, read_table, run_crawl, run_linkspider

WORLD = WorldConfig(seed=5, sites=6, pages_per_site=6)
#: Columns that differ between a crawl and an extract of the same pages by design.
#: An archive does not say how a page was reached: depth and hops are 0 in an extract.
RUN_COLUMNS = {"run_id", "fetched_at", "run", "crawl_date", "warc_filename", "warc_offset",
               "warc_record_type", "depth", "hops", "discovered_by"}  # fmt: skip


def fetched(pages: pa.Table) -> pa.Table:
    """Return the rows of URLs the crawl asked a server for (not those robots.txt refused)."""
    refused = [e is not None and "disallowed by robots.txt" in e for e in pages["error"].to_pylist()]
    return pages.filter(pa.array([not r for r in refused]))


class RecordingWorld:
    """The world, keeping every response it gives, in order, to write them into a WARC."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.exchanges: list[tuple[str, object]] = []
        self._lock = threading.Lock()

    def respond(self, host: str, target: str):  # noqa: ANN201 - SiteSource protocol
        response = self.world.respond(host, target)
        with self._lock:
            self.exchanges.append((f"http://{host}{target}", response))
        return response


def write_warc(path: Path, exchanges: list, *, version: str = "WARC/1.1", gzip: bool = True) -> None:
    """Write ``(url, WebResponse)`` pairs as warcio response records (with request records
    and a warcinfo, as archive crawlers write them)."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip, warc_version=version)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "warcio test"}))
        for url, response in exchanges:
            write_exchange(writer, url, response.status, response.headers, response.body)


def write_exchange(writer: WARCWriter, url: str, status: int, headers: list, body: bytes,
                   record_type: str = "response") -> None:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    http_headers = StatusAndHeaders(f"{status} {phrase}", list(headers), protocol="HTTP/1.1")
    request = writer.create_warc_record(url, "request", payload=io.BytesIO(
        f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))  # fmt: skip
    record = writer.create_warc_record(url, record_type, payload=io.BytesIO(body),
                                       http_headers=http_headers)  # fmt: skip
    writer.write_record(request)
    writer.write_record(record)


def comparable(table: pa.Table, key: tuple[str, ...]) -> list[tuple]:
    """Return the rows of ``table`` without the run columns, sorted by ``key``, as tuples."""
    names = [n for n in table.column_names if n not in RUN_COLUMNS]
    rows = table.select(names).to_pylist()
    return sorted((tuple(repr(r[n]) for n in names) for r in rows),
                  key=lambda t: (tuple(t[names.index(k)] for k in key), t))  # fmt: skip


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Crawl the world once, keeping every response; write them to a WARC with warcio.
    Return the crawl's dataset and the WARC."""
    root = tmp_path_factory.mktemp("archive")
    world = World(WORLD)
    source = RecordingWorld(world)
    with LocalWeb(source) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, root / "crawl"),
                           "--max-depth", "10", "--run-id", "crawl", "--warc",
                           # one request at a time: which of two URLs that redirect to one page
                           # is answered first must not depend on the machine's load
                           "--concurrency", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    warc = root / "world.warc.gz"
    write_warc(warc, source.exchanges)
    return root / "crawl", warc


def extract(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_linkspider("extract", "--log-level", "WARNING", "--quiet", *args, timeout=timeout, env=env)


#: A short-lived JVM for the Spark test: the client compiler only and the serial collector
#: start it in a fraction of the CPU a long job's defaults take (the job's rows are the same).
QUICK_JVM = {**os.environ, "JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"}


def test_a_warcio_archive_of_a_crawl_gives_the_crawls_links_and_pages(
        crawled: tuple[Path, Path], tmp_path: Path) -> None:
    crawl, warc = crawled
    result = extract(str(warc), "--out", str(tmp_path), "--run-id", "from-warc", "--processes", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    crawl_links, warc_links = read_table(crawl, "links"), read_table(tmp_path, "links")
    assert crawl_links.num_rows > 500
    key = ("source_url", "link_kind", "position", "target_url")
    assert comparable(warc_links, key) == comparable(crawl_links, key)
    crawl_pages, warc_pages = read_table(crawl, "pages"), read_table(tmp_path, "pages")
    assert comparable(warc_pages, ("url",)) == comparable(fetched(crawl_pages), ("url",))


def test_a_crawls_own_warc_files_give_back_its_links_and_pages(
        crawled: tuple[Path, Path], tmp_path: Path) -> None:
    """The round trip: crawl --warc, then extract of what it wrote, is the crawl again."""
    crawl, _ = crawled
    warcs = sorted((crawl / "warc" / "run=crawl").glob("*.warc.gz"))
    assert warcs, "the crawl wrote WARC files"
    for warc in warcs:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)],
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
    result = extract(str(crawl / "warc" / "run=crawl"), "--out", str(tmp_path), "--processes", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    key = ("source_url", "link_kind", "position", "target_url")
    assert comparable(read_table(tmp_path, "links"), key) == comparable(read_table(crawl, "links"), key)
    assert comparable(read_table(tmp_path, "pages"), ("url",)) == comparable(
        fetched(read_table(crawl, "pages")), ("url",))


def test_each_page_row_names_the_record_it_was_read_from(crawled: tuple[Path, Path], tmp_path: Path) -> None:
    _, warc = crawled
    assert extract(str(warc), "--out", str(tmp_path), "--processes", "1").returncode == 0
    from warcio.archiveiterator import ArchiveIterator

    pages = read_table(tmp_path, "pages").to_pylist()
    assert pages and all(p["warc_filename"] == str(warc) for p in pages)
    assert {p["discovered_by"] for p in pages} == {"archive"}
    with open(warc, "rb") as handle:
        for page in pages[:20]:
            handle.seek(page["warc_offset"])
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == page["final_url"]


def test_two_processes_write_the_same_rows_as_one(crawled: tuple[Path, Path], tmp_path: Path) -> None:
    crawl, warc = crawled
    # Four archives of the crawl's exchanges, split by host: four files for two processes.
    from warcio.archiveiterator import ArchiveIterator

    parts = [tmp_path / f"part-{i}.warc.gz" for i in range(4)]
    writers = [WARCWriter(open(p, "wb"), gzip=True) for p in parts]
    hosts: dict[str, int] = {}
    with open(warc, "rb") as handle:
        for record in ArchiveIterator(handle):
            uri = record.rec_headers.get_header("WARC-Target-URI") or "http://warcinfo/"
            number = hosts.setdefault(uri.split("/")[2], len(hosts) % 4)
            writers[number].write_record(record)
    for writer in writers:
        writer.out.close()
    one, two = tmp_path / "one", tmp_path / "two"
    assert extract(*map(str, parts), "--out", str(one), "--processes", "1").returncode == 0
    result = extract(str(tmp_path), "--out", str(two), "--processes", "2", "--run-id", "two")
    assert result.returncode == 0, result.stderr[-3000:]
    key = ("source_url", "link_kind", "position", "target_url")
    assert comparable(read_table(two, "links"), key) == comparable(read_table(one, "links"), key)
    runs = duckdb.sql(f"SELECT status, exit_code, pages, links, seeds_count FROM "
                      f"read_parquet('{two}/runs/**/*.parquet')").fetchall()  # fmt: skip
    assert runs == [("complete", 0, read_table(two, "pages").num_rows,
                     read_table(two, "links").num_rows, 4)]
    writer_ids = {p.name.rsplit("-", 1)[0] for p in (two / "pages").rglob("*.parquet")}
    assert len(writer_ids) == 2, "each process writes its own part files"


@pytest.fixture(scope="module")
def wget_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Mirror two sites of the world with GNU wget writing a WARC, and crawl the same sites
    with linkspider; return the WARC and the crawl's dataset."""
    if shutil.which("wget") is None:
        pytest.fail("GNU wget is missing: scripts/test.sh installs it (apt-get install -y wget)")
    root = tmp_path_factory.mktemp("wget")
    world = World(WORLD)
    seeds = world.seeds()[:2]
    with LocalWebProcess(world) as web:
        proxy = web.proxy_url
        wget = subprocess.run(
            ["wget", "--quiet", "--recursive", "--level", "10", "--no-verbose",
             "-e", "use_proxy=yes", "-e", f"http_proxy={proxy}", "--warc-file", str(root / "site"),
             "--no-warc-keep-log", "--directory-prefix", str(root / "mirror"), *seeds],
            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert wget.returncode in (0, 8), wget.stderr[-2000:]  # 8: some pages answered 404
        crawl = run_crawl(*seeds, *local_web_args(proxy, root / "crawl"), "--max-depth", "10")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return root / "site.warc.gz", root / "crawl"


def test_a_wget_archive_gives_the_links_a_crawl_of_the_same_pages_gives(
        wget_archive: tuple[Path, Path], tmp_path: Path) -> None:
    warc, crawl = wget_archive
    result = extract(str(warc), "--out", str(tmp_path), "--processes", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    crawl_pages = read_table(crawl, "pages").to_pylist()
    wget_pages = read_table(tmp_path, "pages").to_pylist()
    html = lambda pages: {p["url"] for p in pages if p["status"] == 200 and p["content_type"] == "text/html"
                          and not p["redirect_chain"]}  # noqa: E731
    both = html(crawl_pages) & html(wget_pages)
    assert len(both) >= 10, "wget and the crawl fetched enough of the same pages"

    def rows(root: Path) -> list[tuple]:
        links = read_table(root, "links")
        links = links.filter(pa.array([u in both for u in links["source_url"].to_pylist()]))
        return comparable(links, ("source_url", "link_kind", "position", "target_url"))

    assert rows(tmp_path) == rows(crawl)


def test_a_spark_job_writes_the_same_rows_as_one_process(crawled: tuple[Path, Path], tmp_path: Path) -> None:
    from linkspider.archives.spark import check_spark

    missing = check_spark()
    if missing:
        pytest.fail(f"extract --spark cannot be tested: {missing}")
    crawl, _ = crawled
    warc = sorted((crawl / "warc" / "run=crawl").glob("*.warc.gz"))[0]  # the crawl's own WARC
    copy = tmp_path / "copy.warc.gz"  # two files: two tasks on local[2]
    copy.write_bytes(warc.read_bytes())
    result = extract(str(warc), f"file://{copy}", "--out", str(tmp_path / "spark"), "--spark",
                     "local[2]", "--run-id", "spark", timeout=240, env=QUICK_JVM)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    links = read_table(tmp_path / "spark", "links")
    files = set(read_table(tmp_path / "spark", "pages")["warc_filename"].to_pylist())
    assert files == {str(warc), str(copy)}
    key = ("source_url", "link_kind", "position", "target_url")
    crawl_rows = comparable(read_table(crawl, "links"), key)
    assert sorted(comparable(links, key)) == sorted(crawl_rows * 2), "each file: the crawl's links"
    run = read_table(tmp_path / "spark", "runs").to_pylist()[0]
    assert (run["status"], run["exit_code"], run["links"]) == ("complete", 0, links.num_rows)

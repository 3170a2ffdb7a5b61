"""What ``linkspider extract`` reads and how it meets bad input: WARC versions, ARC, gzip or
plain, content and transfer encodings, revisits, wget's ``<URI>`` form; truncated, empty,
garbage and oversized input get one clear line each and a documented exit code."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import brotli
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linkspider.archives.records import ArchiveError, ReadCounts, dechunk, read_archive
from linkspider.runs import ExitCode
from tests.crawling import read_table, run_linkspider, start_linkspider

PAGE = (b"<html><head><title>T</title></head><body><p>Hello <a href='/next'>next page</a> "
        b"<a href='http://other.example/' rel='nofollow'>other</a></p></body></html>")


def response_record(writer: WARCWriter, url: str, body: bytes, headers: list | None = None,
                    status: str = "200 OK", record_type: str = "response") -> None:
    headers = headers if headers is not None else [("Content-Type", "text/html; charset=utf-8")]
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, record_type, payload=io.BytesIO(body),
                                                  http_headers=http))  # fmt: skip


def warc_file(path: Path, records: list[tuple], version: str = "WARC/1.1", compress: bool = True) -> Path:
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=compress, warc_version=version)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for record in records:
            response_record(writer, *record)
    return path


def arc_file(path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """Write an ARC v1 file (the Internet Archive's format before WARC), gzip per record."""
    header_body = b"1 0 linkspider-test\nURL IP-address Archive-date Content-type Archive-length\n"
    with open(path, "wb") as handle:
        first = b"filedesc://%s 0.0.0.0 20261207000000 text/plain %d\n" % (path.name.encode(), len(header_body))
        handle.write(gzip.compress(first + header_body + b"\n"))
        for url, body in pages:
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            line = b"%s 127.0.0.1 20261207000000 text/html %d\n" % (url.encode(), len(http))
            handle.write(gzip.compress(line + http + b"\n"))
    return path


def zstd_file(plain: Path) -> Path:
    """Compress a WARC file with zstd (FastWARC's writer), as some archives now ship."""
    from fastwarc.stream_io import ZstdWriter

    path = plain.with_suffix(".warc.zst")
    writer = ZstdWriter(str(path), fsspec_args=False)
    writer.write(plain.read_bytes())
    writer.close()
    return path


def extract(*args: str) -> tuple[int, str]:
    result = run_linkspider("extract", "--log-level", "WARNING", "--quiet", "--processes", "1", *args,
                            timeout=60)  # fmt: skip
    return result.returncode, result.stderr


def links_of(out: Path) -> list[tuple[str, str, str | None]]:
    table = read_table(out, "links")
    return sorted(zip(table["source_url"].to_pylist(), table["target_url"].to_pylist(),
                      table["rel"].to_pylist()))  # fmt: skip


# --- formats ---------------------------------------------------------------------------------

EXPECTED = [("http://a.example/", "http://a.example/next", []),
            ("http://a.example/", "http://other.example/", ["nofollow"])]


@pytest.mark.parametrize("version", ["WARC/0.17", "WARC/0.18", "WARC/1.0", "WARC/1.1"])
def test_every_warc_version_gives_the_pages_links(tmp_path: Path, version: str) -> None:
    warc = warc_file(tmp_path / "a.warc.gz", [("http://a.example/", PAGE)], version)
    counts = ReadCounts()
    responses = list(read_archive(warc, 1 << 20, counts))
    assert [(r.url, r.status, r.body) for r in responses] == [("http://a.example/", 200, PAGE)]
    assert counts.skipped["warcinfo"] == 1


def test_plain_and_gzip_warc_and_arc_files_give_the_same_links(tmp_path: Path) -> None:
    files = [warc_file(tmp_path / "a.warc.gz", [("http://a.example/", PAGE)]),
             warc_file(tmp_path / "b.warc", [("http://a.example/", PAGE)], compress=False),
             arc_file(tmp_path / "c.arc.gz", [("http://a.example/", PAGE)]),
             zstd_file(warc_file(tmp_path / "d.warc", [("http://a.example/", PAGE)], compress=False))]
    for path in files:
        out = tmp_path / f"out-{path.name}"
        code, stderr = extract(str(path), "--out", str(out))
        assert code == 0, stderr
        assert links_of(out) == EXPECTED, path.name


def test_content_and_transfer_encodings_are_decoded(tmp_path: Path) -> None:
    deflated = zlib.compress(PAGE)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (PAGE[:50], PAGE[50:])) + b"0\r\n\r\n"
    html = ("Content-Type", "text/html")
    warc = warc_file(tmp_path / "enc.warc.gz", [
        ("http://a.example/gzip", gzip.compress(PAGE), [html, ("Content-Encoding", "gzip")]),
        ("http://a.example/deflate", deflated, [html, ("Content-Encoding", "deflate")]),
        ("http://a.example/br", brotli.compress(PAGE), [html, ("Content-Encoding", "br")]),
        ("http://a.example/chunked", chunked, [html, ("Transfer-Encoding", "chunked")]),
    ])  # fmt: skip
    bodies = {r.url: r.body for r in read_archive(warc, 1 << 20, ReadCounts())}
    assert set(bodies.values()) == {PAGE} and len(bodies) == 4
    out = tmp_path / "out"
    assert extract(str(warc), "--out", str(out))[0] == 0
    pages = read_table(out, "pages")
    assert sorted(pages["links_count"].to_pylist()) == [2, 2, 2, 2]


def test_dechunk_keeps_what_follows_a_broken_chunk() -> None:
    assert dechunk(b"5\r\nhello\r\n0\r\n\r\n") == b"hello"
    assert dechunk(b"not chunked at all") == b"not chunked at all"


def test_a_revisit_takes_the_payload_of_the_capture_it_refers_to(tmp_path: Path) -> None:
    path = tmp_path / "revisit.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        response_record(writer, "http://a.example/", PAGE)
        original = None
        handle.flush()
    # warcio's revisit: same payload digest, refers to the first capture
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as handle:
        original = next(iter(ArchiveIterator(handle)))
        digest = original.rec_headers.get_header("WARC-Payload-Digest")
        date = original.rec_headers.get_header("WARC-Date")
    with open(path, "ab") as handle:
        writer = WARCWriter(handle, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(
            "http://a.example/again", digest, "http://a.example/", date, http_headers=http))  # fmt: skip
        writer.write_record(writer.create_revisit_record(
            "http://a.example/lost", "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "http://gone.example/",
            date, http_headers=http))  # fmt: skip
    out = tmp_path / "out"
    assert extract(str(path), "--out", str(out))[0] == 0
    pages = {p["url"]: p for p in read_table(out, "pages").to_pylist()}
    assert pages["http://a.example/again"]["warc_record_type"] == "revisit"
    assert pages["http://a.example/again"]["links_count"] == 2
    lost = pages["http://a.example/lost"]
    assert lost["links_count"] == 0 and "not in the given files" in lost["error"]


def test_wget_style_target_uri_in_angle_brackets(tmp_path: Path) -> None:
    path = tmp_path / "wget.warc"
    record = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: <http://a.example/>\r\n"
              b"WARC-Date: 2026-12-07T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
              b"Content-Type: application/http;msgtype=response\r\n")
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE
    path.write_bytes(record + b"Content-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n")
    out = tmp_path / "out"
    code, stderr = extract(str(path), "--out", str(out))
    assert code == 0, stderr
    assert links_of(out) == EXPECTED


def test_redirect_records_become_the_redirected_page(tmp_path: Path) -> None:
    warc = warc_file(tmp_path / "r.warc.gz", [
        ("http://a.example/old", b"", [("Location", "/")], "301 Moved Permanently"),
        ("http://a.example/", PAGE),
        ("http://a.example/away", b"", [("Location", "http://elsewhere.example/")], "302 Found"),
    ])  # fmt: skip
    out = tmp_path / "out"
    assert extract(str(warc), "--out", str(out))[0] == 0
    pages = {p["url"]: p for p in read_table(out, "pages").to_pylist()}
    assert pages["http://a.example/old"]["final_url"] == "http://a.example/"
    assert pages["http://a.example/old"]["redirect_chain"] == [{"url": "http://a.example/old", "status": 301}]
    away = pages["http://a.example/away"]
    assert away["status"] == 302 and away["redirect_chain"] == [{"url": "http://a.example/away", "status": 302}]
    kinds = {(s, t, k) for s, t, k in zip(*(read_table(out, "links")[c].to_pylist()
                                           for c in ("source_url", "target_url", "link_kind")))}  # fmt: skip
    assert ("http://a.example/old", "http://a.example/", "redirect") in kinds
    assert ("http://a.example/away", "http://elsewhere.example/", "redirect") in kinds


def test_non_html_and_non_response_records_are_counted_not_pages(tmp_path: Path) -> None:
    warc = warc_file(tmp_path / "m.warc.gz", [("http://a.example/", PAGE),
                                               ("http://a.example/robots.txt", b"User-agent: *\n",
                                                [("Content-Type", "text/plain")])])  # fmt: skip
    counts = ReadCounts()
    assert len(list(read_archive(warc, 1 << 20, counts))) == 2
    out = tmp_path / "out"
    assert extract(str(warc), "--out", str(out))[0] == 0
    assert read_table(out, "pages")["url"].to_pylist() == ["http://a.example/"]


# --- bad input ---------------------------------------------------------------------------------


def assert_one_clear_line(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert all(word in stderr for word in words), stderr


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_a_truncated_archive_keeps_the_records_before_the_break(tmp_path: Path, compress: bool) -> None:
    pages = [(f"http://a.example/{i}", PAGE + b"<!-- %d -->" % i * 50) for i in range(40)]
    whole = warc_file(tmp_path / "whole.warc.gz", pages, compress=compress)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    out = tmp_path / "out"
    code, stderr = extract(str(cut), "--out", str(out))
    assert code == ExitCode.ARCHIVE_DAMAGED
    assert_one_clear_line(stderr, str(cut), "damaged")
    kept = read_table(out, "pages").num_rows
    assert 5 < kept < 40
    with pytest.raises(ArchiveError):
        list(read_archive(cut, 1 << 20, ReadCounts()))


@pytest.mark.parametrize("content, words", [
    (b"", "empty file"),
    (b"this is a text file, not an archive\n" * 10, "not a WARC or ARC file"),
    (bytes(range(256)) * 40, "not a WARC or ARC file"),
    (gzip.compress(b"<html>gzip, but no WARC inside</html>", mtime=0), "not a WARC or ARC file"),
], ids=["empty", "text", "random-bytes", "gzip-of-html"])  # fmt: skip
def test_a_file_that_is_not_an_archive_is_one_line_and_exit_6(tmp_path: Path, content: bytes,
                                                                words: str) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(content)
    good = warc_file(tmp_path / "good.warc.gz", [("http://a.example/", PAGE)])
    out = tmp_path / "out"
    code, stderr = extract(str(bad), str(good), "--out", str(out))
    assert code == ExitCode.ARCHIVE_DAMAGED
    assert_one_clear_line(stderr, str(bad), words)
    assert links_of(out) == EXPECTED, "the good file is read all the same"
    runs = read_table(out, "runs").to_pylist()
    assert runs[0]["exit_code"] == 6 and str(bad) in runs[0]["error"]


def test_a_path_that_names_nothing_is_a_usage_error(tmp_path: Path) -> None:
    code, stderr = extract(str(tmp_path / "missing.warc.gz"), "--out", str(tmp_path / "out"))
    assert code == ExitCode.USAGE
    assert_one_clear_line(stderr, "no such file")
    code, stderr = extract(str(tmp_path / "*.warc.gz"), "--out", str(tmp_path / "out"))
    assert code == ExitCode.USAGE
    assert_one_clear_line(stderr, "no file matches")


def test_an_oversized_payload_and_a_compression_bomb_are_rows_not_memory(tmp_path: Path) -> None:
    big = PAGE + b" " * 300_000
    bomb = gzip.compress(b"<html>" + b"a" * 50_000_000)
    warc = warc_file(tmp_path / "big.warc.gz", [
        ("http://a.example/big", big),
        ("http://a.example/bomb", bomb, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
        ("http://a.example/", PAGE),
    ])  # fmt: skip
    out = tmp_path / "out"
    code, stderr = extract(str(warc), "--out", str(out), "-s", "DOWNLOAD_MAXSIZE=200000")
    assert code == 0, stderr
    pages = {p["url"]: p for p in read_table(out, "pages").to_pylist()}
    for url in ("http://a.example/big", "http://a.example/bomb"):
        assert pages[url]["drop_reason"] == "body_too_large" and "DOWNLOAD_MAXSIZE" in pages[url]["error"]
    assert pages["http://a.example/"]["links_count"] == 2


# --- resume ------------------------------------------------------------------------------------


def test_a_killed_extract_resumes_and_writes_every_record_once(tmp_path: Path) -> None:
    import signal
    import time

    pages = [(f"http://s{i % 50}.example/p{i}", PAGE.replace(b"/next", b"/n%d" % i)) for i in range(6000)]
    files = [warc_file(tmp_path / f"a{n}.warc.gz", pages[n::3]) for n in range(3)]
    out = tmp_path / "out"
    args = ["extract", *map(str, files), "--out", str(out), "--run-id", "killed", "--quiet",
            "--log-level", "WARNING", "--processes", "1", "-s", "LINKSPIDER_FILE_MAX_SECONDS=0.2"]
    process = start_linkspider(*args)
    deadline = time.monotonic() + 60
    while not list((out / "pages").rglob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = read_table(out, "pages").num_rows
    assert 0 < written < 6000, "killed part way"
    result = run_linkspider("extract", "--out", str(out), "--resume", "killed", "--quiet",
                            "--log-level", "WARNING", "--processes", "1", timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    table = read_table(out, "pages")
    assert table.num_rows == 6000
    assert len(set(zip(table["warc_filename"].to_pylist(), table["warc_offset"].to_pylist()))) == 6000
    assert read_table(out, "links").num_rows == 12000
    run = read_table(out, "runs").to_pylist()[0]
    assert (run["status"], run["resumed"], run["pages"]) == ("complete", 1, 6000)


def test_paths_can_come_from_a_file_as_common_crawl_lists_them(tmp_path: Path) -> None:
    good = warc_file(tmp_path / "good.warc.gz", [("http://a.example/", PAGE)])
    listing = tmp_path / "warc.paths"
    listing.write_text(f"# one path per line\n{good}\n", encoding="utf-8")
    out = tmp_path / "out"
    code, stderr = extract("--paths-from", str(listing), "--out", str(out))
    assert code == 0, stderr
    assert links_of(out) == EXPECTED
    code, stderr = extract("--paths-from", str(tmp_path / "nope.paths"), "--out", str(out))
    assert code == ExitCode.USAGE
    assert_one_clear_line(stderr, "nope.paths")


def test_one_big_gzip_file_is_read_by_every_process_in_byte_ranges(tmp_path: Path) -> None:
    pages = [(f"http://s{i % 7}.example/p{i}", PAGE.replace(b"/next", b"/n%d" % i)) for i in range(900)]
    warc = warc_file(tmp_path / "big.warc.gz", pages)
    one, three = tmp_path / "one", tmp_path / "three"
    assert extract(str(warc), "--out", str(one))[0] == 0
    result = run_linkspider("extract", str(warc), "--out", str(three), "--processes", "3", "--quiet",
                            "--log-level", "WARNING", timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    for table in ("pages", "links"):
        a, b = read_table(one, table), read_table(three, table)
        assert a.num_rows == b.num_rows
    offsets = read_table(three, "pages")["warc_offset"].to_pylist()
    assert sorted(offsets) == sorted(read_table(one, "pages")["warc_offset"].to_pylist())
    assert links_of(three) == links_of(one)
    writers = {p.name.rsplit("-", 1)[0] for p in (three / "pages").rglob("*.parquet")}
    assert len(writers) == 3, "three processes wrote parts"


def test_an_extract_of_only_bad_files_says_so_not_the_crawls_network_advice(tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"hello\n")
    code, stderr = extract(str(bad), "--out", str(tmp_path / "out"))
    assert code == ExitCode.ARCHIVE_DAMAGED
    assert_one_clear_line(stderr, str(bad), "not a WARC or ARC file", "no 2xx page was read")
    assert "seeds" not in stderr and "proxy" not in stderr

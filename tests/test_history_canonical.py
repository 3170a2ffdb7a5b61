"""Canonicals the history obeys (http and https ones only) and the word it gives when a run's
links are mostly left untracked (pages naming another canonical, noindex, not 2xx)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkspider.history import update_history
from tests.crawling import LoopbackHandler, read_table, run_crawl, serving
from tests.test_history_fold import T1, T2, brief, changes, history, link, page, write_run

DEBIAN_CANONICAL = "file:///usr/share/doc/python3.11/html/library/index.html"


@pytest.mark.parametrize("canonical", [DEBIAN_CANONICAL, "urn:isbn:0451450523", "mailto:docs@a.example"])
def test_a_canonical_that_is_not_http_is_recorded_but_not_obeyed(tmp_path: Path, canonical: str) -> None:
    write_run(tmp_path, 1, [page(canonical_url=canonical)], [link()])
    write_run(tmp_path, 2, [page(canonical_url=canonical)], [link(), link(T2, position=1)])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("new", None, T2, ())]
    assert {(r["status"], r["lost_reason"]) for r in history(tmp_path)} == {("live", None)}


def test_an_http_canonical_elsewhere_is_still_obeyed(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page(canonical_url="https://a.example/other")], [link()])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("lost", "not_canonical", T1, ())]


def noindex_run(root: Path, number: int) -> None:
    """A run where 3 of 4 body links sit on a noindex page and 1 on a 404 page."""
    other = "http://a.example/hidden"
    write_run(root, number, [page(), page(other, noindex=True), page("http://a.example/gone", status=404)],
              [link(T1), *(link(f"http://t.example/{k}", source=other, position=k) for k in range(2)),
               link(T2, source="http://a.example/gone")])  # fmt: skip


def test_history_update_says_how_many_links_are_untracked_and_why(tmp_path: Path, capsys) -> None:
    from linkspider.cli import main

    noindex_run(tmp_path, 1)
    assert main(["history", "update", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3 of 4 links of run r1 are not tracked" in out
    assert "2 page_noindex" in out and "1 page_not_found" in out


def test_history_update_is_quiet_when_most_links_are_tracked(tmp_path: Path, capsys) -> None:
    from linkspider.cli import main

    write_run(tmp_path, 1, [page(), page("http://a.example/hidden", noindex=True)],
              [link(T1), link(T2, position=1), link(T2, source="http://a.example/hidden")])  # fmt: skip
    assert main(["history", "update", "--out", str(tmp_path)]) == 0
    assert "not tracked" not in capsys.readouterr().out


def test_diff_says_how_many_links_are_untracked_and_why(tmp_path: Path, capsys) -> None:
    from linkspider.cli import main

    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page(canonical_url="http://a.example/other")],
              [link(), *(link(f"http://t.example/{k}", position=k + 1) for k in range(3))])  # fmt: skip
    assert main(["diff", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 links of run r2 are not tracked: 4 not_canonical" in out
    # Also when the step was folded before (by the crawl's hook or history update).
    assert main(["diff", "--out", str(tmp_path)]) == 0
    assert "4 of 4 links of run r2 are not tracked: 4 not_canonical" in capsys.readouterr().out


class DocsMirror(LoopbackHandler):
    """A documentation mirror as Debian's python3.11-doc serves it: every page names a file:
    URL as canonical; two of its pages are noindex."""

    def answer(self) -> None:
        if self.path == "/robots.txt":
            self.reply(404, b"")
            return
        head = f"<link rel=canonical href='{DEBIAN_CANONICAL}'>"
        if self.path in ("/a", "/b"):
            head += "<meta name=robots content=noindex>"
        links = "".join(f"<a href='http://t.example/{self.path.strip('/')}{k}'>t{k}</a>" for k in range(3))
        if self.path == "/":
            links = "<a href='/a'>a</a><a href='/b'>b</a>"
        self.reply(200, f"<html><head>{head}</head><body>{links}</body></html>".encode())


def test_a_crawl_of_a_mirror_with_file_canonicals_keeps_its_history_and_says_why(tmp_path: Path) -> None:
    with serving(DocsMirror) as server:
        result = run_crawl(server.url, "--out", str(tmp_path), "--allow-private-addresses",
                           "--no-throttle", "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    pages = {row["url"]: row for row in read_table(tmp_path, "pages").to_pylist()}
    home = pages[server.url]
    assert home["canonical_url"] == DEBIAN_CANONICAL  # recorded as the page names it
    assert "canonical" in home["note"] and "not obeyed" in home["note"]
    rows = history(tmp_path)
    assert {(r["source_url"], r["status"]) for r in rows} == {(server.url, "live")}
    # 6 body links on the noindex pages, 2 on the home page: the closing lines say so.
    assert "6 of 8 links of run" in result.stderr and "6 page_noindex" in result.stderr


def test_a_canonical_that_does_not_parse_is_noted_not_obeyed() -> None:
    from tests.fuzzing import page_rows

    body = b"<html><head><link rel=canonical href='http://[bad'></head><body><a href=/x>x</a></body></html>"
    pages, _ = page_rows(body, {"Content-Type": "text/html"}, "http://www.news-1.com/a")
    (row,) = pages.to_pylist()
    assert row["canonical_url"] is None
    assert "http://[bad" in row["note"] and "not obeyed" in row["note"]

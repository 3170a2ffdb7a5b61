"""The nesting cap: deep documents are flattened before parsing, ordinary ones left alone."""

from __future__ import annotations

import time

import pytest
from selectolax.lexbor import LexborHTMLParser

from linkspider.extraction.page import extract_page
from linkspider.extraction.nesting import MAX_NESTING_DEPTH, MAX_SELECT_OPTIONS, SCAN_ABOVE_TAGS, cap_nesting
from linkspider.extraction.parsing import parse_document
from linkspider.web.hostile import DEEP_LINKS, deep_page
from linkspider.web.world import World, WorldConfig


def tree_depth(html: str | bytes) -> int:
    """Return the depth of the deepest element of the tree lexbor builds for ``html``."""
    depth: dict[int, int] = {}
    deepest = 0
    for node in LexborHTMLParser(html).root.traverse(include_text=False):
        parent = node.parent
        depth[node.mem_id] = level = (depth.get(parent.mem_id, 0) if parent is not None else 0) + 1
        deepest = max(deepest, level)
    return deepest


N = 20_000
#: Markup that nests deep (or costs a parser dear) in the ways a hostile page can choose.
HOSTILE_MARKUP = {
    "nested div": "<div>" * N,
    "nested lists": "<ul><li>" * N,
    "span with an ignored end tag": "<span><div></span>" * N,
    "formatting element around blocks": "<b><div></b>" * N,
    "nested tables": "<table><tr><td>" * N,
    "spans and stray end tags": "<span>" * N + "</x>" * N,
    "script inside svg": "<svg><script>" + "<div>" * N + "</script>",
    "title inside svg": "<svg><title>" + "<div>" * N,
    "script dropped beyond the cap": "<div>" * 600 + "<span><script>a<b</script>" + "<div>" * N,
    "button before blocks": "<p><button>" + "<div>" * N,
    "formatting elements reopened": "<b><i><u><s><em><strong>" + "<div>x" * N,
    "select in a deep tree": "<div>" * 600 + "<select>" + "<option>x" * N,
}


@pytest.mark.parametrize("markup", HOSTILE_MARKUP.values(), ids=HOSTILE_MARKUP.keys())
def test_hostile_markup_parses_no_deeper_than_the_cap(markup: str) -> None:
    html = "<html><body>" + markup
    capped = cap_nesting(html)
    # html, body and the few elements a parser inserts itself (tbody) on top of the cap
    assert tree_depth(capped.html) <= MAX_NESTING_DEPTH + 4


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_deep_page_keeps_its_links_and_parses_fast(as_bytes: bool) -> None:
    html = deep_page(100_000)
    document = html if as_bytes else html.decode()
    started = time.process_time()
    parsed = parse_document(document)
    elapsed = time.process_time() - started
    assert parsed.extracted.hrefs == [f"/deep-link-{i}" for i in range(DEEP_LINKS)]
    assert parsed.tags_beyond_depth == 2 * (100_000 - MAX_NESTING_DEPTH)
    assert elapsed < 10  # 0.3 s measured; 30 s before the cap (bench/hostile.py)


def big_ordinary_page() -> bytes:
    """Return a world home page's body repeated 40 times: an ordinary page past the size
    where the nesting scan runs."""
    world = World(WorldConfig(sites=2, pages_per_site=10))
    host = world.seeds()[0].split("/")[2]
    body = world.respond(host, "/").body
    inner = body.split(b"<body", 1)[1].split(b">", 1)[1].rsplit(b"</body>", 1)[0]
    return b"<html><body>" + inner * 40 + b"</body></html>"


def test_ordinary_pages_are_left_as_they_are() -> None:
    big = big_ordinary_page()
    assert big.count(b"<") > SCAN_ABOVE_TAGS
    capped = cap_nesting(big)
    assert capped.dropped_tags == 0 and capped.html is big
    assert 0 < capped.depth_seen < 30


def test_small_documents_are_not_scanned() -> None:
    html = "<div>" * (SCAN_ABOVE_TAGS - 10)
    capped = cap_nesting(html)
    assert capped.html is html and capped.depth_seen == 0


def test_text_and_links_beyond_the_cap_are_kept() -> None:
    html = "<div>" * 5000 + "<p>deep words <a href='/x'>deep link</a></p>" + "</div>" * 5000
    page = extract_page(cap_nesting(html).html, context="all")
    assert page.hrefs == ["/x"] and page.texts == ["deep link"]
    assert page.contexts_before == ["deep words"]


def test_options_beyond_the_bound_lose_their_tags_not_their_text() -> None:
    html = "<select>" + "<option>item" * (MAX_SELECT_OPTIONS + 5000) + "</select><a href=/after>a</a>"
    capped = cap_nesting(html)
    assert capped.dropped_tags == 5000
    tree = LexborHTMLParser(capped.html)
    assert len(tree.css("option")) == MAX_SELECT_OPTIONS
    assert [a.attributes["href"] for a in tree.css("a")] == ["/after"]


def test_comments_and_scripts_do_not_count_as_nesting() -> None:
    html = "<!-- " + "<div>" * 3000 + " -->" + "<script>" + "<div>" * 3000 + "</script><p>x"
    capped = cap_nesting(html)
    assert capped.dropped_tags == 0 and capped.depth_seen == 1  # <script>, then <p>


def test_tags_in_attribute_values_count_the_scan_errs_deep() -> None:
    html = "<!-- " + "<b>" * 5000 + " -->" + '<a title="' + "<div>" * 100 + '" href=/x>x</a>'
    assert cap_nesting(html).depth_seen == 100

"""The nesting scan in C sees what the Python scan sees, token for token.

``cap_nesting`` trusts the C pass (``linkspider/extraction/_nestscan.c``) to say how deep a
document goes and whether anything is to be cut; these tests hold it to the Python scan
(``scan_and_cut``) on hostile markup, on random tag soup at several caps, and on ordinary pages.
"""

from __future__ import annotations

import random
import shutil

import pytest

from linkspider.extraction import nesting
from linkspider.extraction.nesting import MAX_SELECT_OPTIONS, SCAN_ABOVE_TAGS, cap_nesting, scan_and_cut
from linkspider.web.hostile import deep_page
from tests.test_nesting import HOSTILE_MARKUP, big_ordinary_page

if nesting._nestscan is None:
    if shutil.which("cc") or shutil.which("gcc"):
        pytest.fail("linkspider/extraction/_nestscan.c is not built: run "
                    "`.venv/bin/python setup.py build_ext --inplace` (or pip install -e .)",
                    pytrace=False)  # fmt: skip
    pytest.skip("no C compiler: the Python scan runs alone", allow_module_level=True)


def native(document: str | bytes, max_depth: int) -> int:
    data = document.encode("ascii") if isinstance(document, str) else document
    return nesting._nestscan.depth(data, max_depth, MAX_SELECT_OPTIONS, nesting._WALK)


def python(document: str | bytes, max_depth: int) -> int:
    capped = scan_and_cut(document, max_depth)
    return -1 if capped.dropped_tags else capped.depth_seen


SOUP = ["<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<li>", "<ul>", "</ul>", "<dd>",
        "<dt>", "<table>", "<tr>", "<td>", "<th>", "</table>", "<tbody>", "<caption>", "<svg>",
        "</svg>", "<math>", "<svg/>", "<br/>", "<script>", "</script>", "<title>", "</TITLE >",
        "<textarea>", "</textarea", "<xmp>", "<iframe>", "<select>", "<option>", "<optgroup>",
        "</select>", "<a href=x>", "</a>", "<b>", "</b>", "<nobr>", "<h1>", "</h2>", "<button>",
        "</button>", "<img>", "<hr>", "<!--", "-->", "--!>", "<!-->", "<!x>", "</ x>", "<?p>", "<",
        ">", "x", " ", '"', "<template>", "<foreignObject>", "</foreignobject>", "<desc>",
        "<html>", "<body>", "</body>", "<address>", "<form>", "</form>", "<li/>", "<p ", "<Div\t>",
        "<DIV/>", "<\xc0>", "</\xe0>", "<x-\xff>", "</X-\xdf>", "<plaintext>"]  # fmt: skip


@pytest.mark.parametrize("max_depth", [512, 100_000_000])
@pytest.mark.parametrize("markup", HOSTILE_MARKUP.values(), ids=HOSTILE_MARKUP.keys())
def test_hostile_markup_measures_the_same(markup: str, max_depth: int) -> None:
    html = "<html><body>" + markup
    assert native(html, max_depth) == python(html, max_depth)
    assert native(html.encode(), max_depth) == python(html.encode(), max_depth)


@pytest.mark.parametrize("max_depth", [2, 5, 12, 512])
def test_random_tag_soup_measures_the_same(max_depth: int) -> None:
    rng = random.Random(max_depth)
    for _ in range(1500):
        soup = "".join(rng.choice(SOUP) for _ in range(rng.randint(1, 200)))
        as_bytes = soup.encode("latin-1")  # names with latin-1 capitals, lowered as Python does
        assert native(as_bytes, max_depth) == python(as_bytes, max_depth), soup
        if soup.isascii():
            assert native(soup, max_depth) == python(soup, max_depth), soup


def test_an_ordinary_page_is_measured_and_left_as_it_is() -> None:
    big = big_ordinary_page()
    assert big.count(b"<") > SCAN_ABOVE_TAGS
    assert native(big, 512) == python(big, 512) > 0
    assert cap_nesting(big) == scan_and_cut(big)


def test_a_deep_page_is_cut_as_the_python_scan_cuts_it() -> None:
    page = deep_page(20_000)
    assert native(page, 512) == -1
    assert cap_nesting(page) == scan_and_cut(page)
    assert cap_nesting(page.decode()) == scan_and_cut(page.decode())


def test_names_seen_once_are_forgotten_after_each_document() -> None:
    unique = "".join(f"<x-{i}>t</x-{i}>" for i in range(SCAN_ABOVE_TAGS)).encode()
    assert native(unique, 512) == python(unique, 512) == 1
    assert native(b"<x-7><div>" + b"<p>" * 5000, 512) == python(b"<x-7><div>" + b"<p>" * 5000, 512)


def test_text_that_is_not_ascii_is_scanned_in_python() -> None:
    html = "<div>" * 600 + "<\u212a>" + "</div>" * 600 + "<p>ü" * SCAN_ABOVE_TAGS
    assert cap_nesting(html) == scan_and_cut(html)

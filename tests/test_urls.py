"""URL resolution: hand-written cases, and the WHATWG web-platform-tests URL suite."""

from __future__ import annotations

import json

import pytest

from linkspider.extraction.links import resolve_links
from linkspider.urls.normalize import (
    base_directory,
    document_base_url,
    resolve_href,
    split_fragment,
    url_host,
    url_scheme,
)
from tests.conftest import vendored_file


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("page-2.html", "http://a.com/dir/index.html", "http://a.com/dir/page-2.html"),
        ("../up", "http://a.com/x/y/z", "http://a.com/x/up"),
        ("/root?q=1", "http://a.com/x/y", "http://a.com/root?q=1"),
        ("//other.org/p", "https://a.com/", "https://other.org/p"),
        ("http://WWW.Example.COM:80/A", "http://a.com/", "http://www.example.com/A"),
        ("https://a.com:443/", "http://a.com/", "https://a.com/"),
        ("http://a.com:8080/", "http://a.com/", "http://a.com:8080/"),
        ("http://bücher.de/", "http://a.com/", "http://xn--bcher-kva.de/"),
        ("  /trim\n me\t ", "http://a.com/", "http://a.com/trim%20me"),
        ("?only=query", "http://a.com/p?old=1#f", "http://a.com/p?only=query"),
        ("#top", "http://a.com/p", "http://a.com/p#top"),
        ("mailto:Info@A.com", "http://a.com/", "mailto:Info@A.com"),
        ("javascript:void(0)", "http://a.com/", "javascript:void(0)"),
        ("http://a.com/a b", "http://a.com/", "http://a.com/a%20b"),
    ],
)
def test_resolve_href_matches_a_browser(href: str, base: str, expected: str) -> None:
    assert resolve_href(href, base) == expected


@pytest.mark.parametrize("href", ["http://[::1", "http://exa mple.com/", "http://a.com:99999/"])
def test_invalid_href_resolves_to_none(href: str) -> None:
    assert resolve_href(href, "http://a.com/") is None


def test_base_href_is_resolved_against_the_page() -> None:
    assert document_base_url("http://a.com/x/page", "/section/") == "http://a.com/section/"
    assert document_base_url("http://a.com/x/page", None) == "http://a.com/x/page"
    assert document_base_url("http://a.com/x/page", "http://[bad") == "http://a.com/x/page"


def test_split_fragment_keeps_empty_fragment_apart_from_none() -> None:
    assert split_fragment("http://a.com/#") == ("http://a.com/", "")
    assert split_fragment("http://a.com/") == ("http://a.com/", None)
    assert split_fragment("http://a.com/#a#b") == ("http://a.com/", "a#b")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://a.com/x", "a.com"),
        ("http://user:pw@a.com:8080/x", "a.com"),
        ("http://a.com?x", "a.com"),
        ("http://[::1]:8080/", "[::1]"),
        ("mailto:x@a.com", None),
        ("file:///etc/hosts", None),
    ],
)
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host


def test_url_scheme() -> None:
    assert url_scheme("tel:+123") == "tel"


def _wpt_cases() -> list[dict]:
    data = json.loads(vendored_file("wpt-url", "urltestdata.json").read_text(encoding="utf-8"))
    return [case for case in data if isinstance(case, dict)]


def test_wpt_url_suite_all_hrefs_and_failures() -> None:
    """All 624 href cases and all 267 expected failures of web-platform-tests' URL suite."""
    cases = _wpt_cases()
    href_cases = [c for c in cases if not c.get("failure")]
    failure_cases = [c for c in cases if c.get("failure")]
    assert (len(href_cases), len(failure_cases)) == (624, 267)
    wrong_href = [
        (c["input"], c["base"], c["href"], got)
        for c in href_cases
        if (got := resolve_href(c["input"], c["base"])) != c["href"]
    ]
    accepted = [
        (c["input"], c["base"], got)
        for c in failure_cases
        if (got := resolve_href(c["input"], c["base"])) is not None
    ]
    assert wrong_href == []
    assert accepted == []


def test_memoized_targets_match_the_wpt_suite_from_sibling_pages() -> None:
    """Targets are memoized per base directory, and fragment-only hrefs take a short cut:
    a page whose sibling (same directory, other
    file and query) or a page elsewhere resolved the same href first still gets the
    browser's answer."""
    wrong = []
    checked = 0
    for case in _wpt_cases():
        base = case.get("base")
        if not base or base_directory(base) is None:
            continue
        sibling = f"{base_directory(base)}other-page.html?other=1"
        resolve_links(sibling, None, [case["input"]])  # primes the memo
        resolve_links("https://elsewhere.example/a/b/c?d", None, [case["input"]])
        got = resolve_links(base, None, [case["input"]])
        if case.get("failure"):
            expected = (case["input"], None, "invalid")
        else:
            expected = (*split_fragment(case["href"]), url_scheme(case["href"]))
        if (got["target_url"][0], got["target_fragment"][0], got["target_scheme"][0]) != expected:
            wrong.append((case["input"], base, expected, got["target_url"][0]))
        checked += 1
    assert checked > 200
    assert wrong == []


def test_target_memo_stays_within_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from linkspider.extraction import links

    monkeypatch.setattr(links, "TARGET_MEMO_SIZE", 10)
    monkeypatch.setattr(links, "_TARGETS", {})
    got = resolve_links("http://a.com/d/p", None, [f"/page-{i}" for i in range(50)])
    assert got["target_url"][49] == "http://a.com/page-49"
    assert 0 < len(links._TARGETS) <= 10

"""Specification of the generated world and its ground truth.

The checks re-derive links from the served bytes with the standard library only
(html.parser + urllib.parse), independently of the generator's clean model.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from linkspider.web.model import ALL_LINK_KINDS, ROBOTS_TXT
from linkspider.web.world import World, WorldConfig

SPECIAL_SCHEMES = ("mailto:", "tel:", "javascript:")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LANDMARK_TAGS = {"header": "header", "nav": "nav", "main": "main", "aside": "aside", "footer": "footer"}
LANDMARK_ROLES = {"banner": "header", "navigation": "nav", "main": "main", "complementary": "aside",
                  "contentinfo": "footer"}
NAME_REGIONS = {"footer": "footer", "nav": "nav", "navbar": "nav", "navigation": "nav", "menu": "nav",
                "sidebar": "aside", "header": "header", "masthead": "header"}


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig())


@pytest.fixture(scope="module")
def links(world: World) -> list[dict]:
    return world.ground_truth_links(kinds=None)


@pytest.fixture(scope="module")
def pages(world: World) -> list[dict]:
    return world.ground_truth_pages()


# ----------------------------------------------------------------------------- helpers


def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def name_region(values: dict[str, str]) -> str | None:
    for attr in ("id", "class"):
        for token in re.split(r"[\s_-]+", values.get(attr, "").lower()):
            if token in NAME_REGIONS:
                return NAME_REGIONS[token]
    return None


class LinkParser(HTMLParser):
    """Collect <a href>/<area href>/<iframe src> elements with their region, <base href>,
    meta robots, meta refresh, <link rel=canonical> and <html lang>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict] = []
        self.meta_robots: list[str] = []
        self.canonical: str | None = None
        self.refresh: str | None = None
        self.lang: str | None = None
        self._current: dict | None = None
        self._stack: list[tuple[str, str | None, str | None]] = []  # (tag, landmark, name region)

    def _region(self) -> str:
        landmark = next((lm for _, lm, _ in reversed(self._stack) if lm), None)
        named = next((nm for _, _, nm in reversed(self._stack) if nm), None)
        return landmark or named or "body"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        common = {"rel": values.get("rel"), "text": [], "region": self._region(), "title": values.get("title"),
                  "hreflang": values.get("hreflang"), "target": values.get("target"), "img": None}
        if tag == "html":
            self.lang = values.get("lang")
        elif tag == "base" and self.base is None and "href" in values:
            self.base = values["href"]
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split() and self.canonical is None:
            self.canonical = values.get("href")
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.refresh = values.get("content", "").split("url=", 1)[1]
        elif tag == "meta" and values.get("name", "").lower() == "robots":
            self.meta_robots.append(values.get("content", ""))
        elif tag == "a":
            self._current = None
            if "href" in values:
                self._current = {"tag": "a", "href": values["href"], "alt": None, **common}
                self.links.append(self._current)
        elif tag == "img" and self._current is not None and self._current["img"] is None:
            self._current["alt"] = values.get("alt", "")
            self._current["img"] = (values.get("src"), values.get("alt"))
        elif tag == "area" and "href" in values:
            self.links.append({"tag": "area", "href": values["href"], "alt": values.get("alt", ""), **common})
        elif tag == "iframe" and "src" in values:
            self.links.append({"tag": "iframe", "href": values["src"], "alt": None, **common})
        if tag not in VOID_TAGS:
            role = LANDMARK_ROLES.get(values.get("role", "").strip().lower())
            landmark = role or LANDMARK_TAGS.get(tag)
            self._stack.append((tag, landmark, None if landmark else name_region(values)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._current = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current["text"].append(data)


#: Python codec a browser decodes a declared charset with (WHATWG), where it differs.
BROWSER_CODEC = {"shift_jis": "cp932", "gb2312": "gb18030"}


def charset_of(headers: list[tuple[str, str]], body: bytes) -> str:
    content_type = dict((k.lower(), v) for k, v in headers).get("content-type", "")
    match = re.search(r"charset=([\w-]+)", content_type)
    if match:
        return match.group(1).lower()
    match = re.search(rb'<meta charset="([\w-]+)"', body[:1024])
    return match.group(1).decode().lower() if match else "utf-8"


def resolve(base: str, href: str) -> tuple[str, str | None]:
    """Browser-like resolution for the shapes of hrefs this world writes."""
    href = href.strip(" \t\n\r\f").replace("\t", "").replace("\n", "")
    fragment = href.split("#", 1)[1] if "#" in href else None
    if href.lower().startswith(SPECIAL_SCHEMES):
        return href, fragment
    absolute = urljoin(base, href.split("#", 1)[0]) if not href.startswith("#") else base.split("#")[0]
    parts = urlsplit(absolute)
    host = (parts.hostname or "").encode("idna").decode().lower()
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    url = f"{parts.scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    return url, fragment


def parse_page(world: World, url: str) -> tuple[LinkParser, str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    response = world.respond(parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else ""))
    charset = charset_of(response.headers, response.body)
    parser = LinkParser()
    parser.feed(response.body.decode(charset))
    parser.close()
    return parser, charset, response.headers


def follow_redirects(world: World, url: str) -> tuple[int | None, str]:
    seen: list[str] = []
    while True:
        parts = urlsplit(url)
        response = world.respond(parts.hostname or "", parts.path)
        if response.status not in (301, 302):
            return response.status, url
        if url in seen:
            return None, url
        seen.append(url)
        url = resolve(url, response.header("Location") or "")[0]


# ----------------------------------------------------------------------------- sites and HTTP


def test_world_has_at_least_20_distinct_sites(world: World) -> None:
    hosts = [site.host for site in world.sites]
    assert len(set(hosts)) == len(hosts) >= 20
    assert world.seeds() == [f"http://{host}/" for host in hosts]


def test_sites_cover_public_suffix_shapes(world: World) -> None:
    by_host = {site.host: site for site in world.sites}
    assert by_host["www.news-1.com"].registrable_domain == "news-1.com"
    assert by_host["shop.store-2.co.uk"].registrable_domain == "store-2.co.uk"
    assert by_host["user-3.github.io"].registrable_domain == "user-3.github.io"
    assert by_host["blog-4.blogspot.com"].registrable_domain == "blog-4.blogspot.com"
    assert by_host["docs.agency-7.gov.uk"].registrable_domain == "agency-7.gov.uk"
    assert by_host["m.shop-8.com.au"].registrable_domain == "shop-8.com.au"
    idn = by_host["xn--bcher-5-n2a.de"]
    assert idn.unicode_host == "bücher-5.de" and idn.registrable_domain == idn.host


def test_same_seed_gives_same_bytes() -> None:
    a, b = World(WorldConfig(seed=7, sites=8)), World(WorldConfig(seed=7, sites=8))
    for site in a.sites:
        for path in ("/", "/page-3.html", "/page-5.html"):
            assert a.respond(site.host, path).body == b.respond(site.host, path).body


def test_different_seed_gives_different_pages() -> None:
    a, b = World(WorldConfig(seed=1, sites=8)), World(WorldConfig(seed=2, sites=8))
    assert a.respond("www.news-1.com", "/page-3.html").body != b.respond("www.news-1.com", "/page-3.html").body


def test_page_rendering_is_independent_of_request_order() -> None:
    a, b = World(WorldConfig(sites=8)), World(WorldConfig(sites=8))
    b.respond("www.news-1.com", "/")
    assert a.respond("www.news-1.com", "/page-2.html").body == b.respond("www.news-1.com", "/page-2.html").body


def test_unknown_host_is_502_with_explanation(world: World) -> None:
    response = world.respond("www.google.com", "/")
    assert response.status == 502
    assert b"not part of this local web" in response.body


def test_unknown_path_is_404_and_query_is_ignored(world: World) -> None:
    assert world.respond("www.news-1.com", "/nope.html").status == 404
    assert world.respond("www.news-1.com", "/missing-1.html").status == 404
    assert world.respond("www.news-1.com", "/page-2.html?x=1").body == world.respond(
        "www.news-1.com", "/page-2.html").body


def test_robots_txt_disallows_private(world: World) -> None:
    for site in world.sites:
        response = world.respond(site.host, "/robots.txt")
        assert response.status == 200
        assert response.body.decode() == ROBOTS_TXT == "User-agent: *\nDisallow: /private/\n"


def test_private_pages_exist_and_are_linked_but_not_in_ground_truth(world: World, pages: list[dict],
                                                                     links: list[dict]) -> None:
    response = world.respond("www.news-1.com", "/private/secret.html")
    assert response.status == 200 and b"<a href" in response.body
    assert any("/private/" in row["target_url"] for row in links)
    assert not any("/private/" in row["url"] for row in pages)
    assert not any("/private/" in row["source_url"] for row in links)


def test_redirect_chain_go_old_page(world: World, pages: list[dict]) -> None:
    go = world.respond("www.news-1.com", "/go/2")
    assert go.status == 302 and go.header("Location") == "/old/page-2.html"
    old = world.respond("www.news-1.com", "/old/page-2.html")
    assert old.status == 301 and old.header("Location") == "http://www.news-1.com/page-2.html"
    row = next(row for row in pages if row["url"] == "http://www.news-1.com/go/2")
    assert row["status"] == 200 and row["final_url"] == "http://www.news-1.com/page-2.html"
    assert row["redirect_urls"] == ["http://www.news-1.com/go/2", "http://www.news-1.com/old/page-2.html"]


def test_redirect_loop_is_recorded_as_error(world: World, pages: list[dict]) -> None:
    assert world.respond("www.news-1.com", "/loop-a").header("Location") == "/loop-b"
    assert world.respond("www.news-1.com", "/loop-b").header("Location") == "http://www.news-1.com/loop-a"
    assert follow_redirects(world, "http://www.news-1.com/loop-a")[0] is None
    loops = [row for row in pages if row["error"] == "redirect_loop"]
    assert loops and all(row["status"] is None and row["url"].endswith("/loop-a") for row in loops)


def test_non_html_resources_have_their_content_types(world: World) -> None:
    png = world.respond("www.news-1.com", "/logo.png")
    assert png.header("Content-Type") == "image/png" and png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert world.respond("www.news-1.com", "/report.pdf").header("Content-Type") == "application/pdf"
    data = world.respond("www.news-1.com", "/data.json")
    assert data.header("Content-Type") == "application/json" and json.loads(data.body)["generated"]


def test_windows_1251_page_decodes_to_russian_anchors(world: World, pages: list[dict], links: list[dict]) -> None:
    rows = [row for row in pages if row["encoding"] == "windows-1251" and row["url"] == row["final_url"]]
    assert rows
    declared = {"header": 0, "meta": 0}
    for row in rows:
        parts = urlsplit(row["url"])
        response = world.respond(parts.hostname or "", parts.path)
        with pytest.raises(UnicodeDecodeError):
            response.body.decode("utf-8")
        text = response.body.decode("windows-1251")
        declared["header" if "windows-1251" in (response.header("Content-Type") or "") else "meta"] += 1
        anchors = {link["anchor_text"] for link in links if link["source_url"] == row["url"]}
        assert "Книги и журналы" in anchors
        assert "Книги" in text
    assert declared["header"] and declared["meta"]


def test_iso_8859_1_page_has_accented_anchors(pages: list[dict], links: list[dict]) -> None:
    sources = {row["url"] for row in pages if row["encoding"] == "iso-8859-1"}
    assert sources
    assert any(link["anchor_text"] == "Café crème" for link in links if link["source_url"] in sources)


# ----------------------------------------------------------------------------- ground truth


def assert_matches_independent_parse(world: World, pages: list[dict], links: list[dict]) -> None:
    by_source: dict[str, list[dict]] = {}
    head: dict[str, dict[str, dict]] = {}
    for row in links:
        if row["link_kind"] in ("canonical", "meta_refresh"):
            head.setdefault(row["source_url"], {})[row["link_kind"]] = row
        elif row["link_kind"] != "redirect":
            by_source.setdefault(row["source_url"], []).append(row)
    documents = {row["final_url"] for row in pages if row["status"] == 200 and row["content_type"] == "text/html"}
    assert set(by_source) <= documents
    for page_row in pages:
        if page_row["url"] != page_row["final_url"] or page_row["content_type"] != "text/html":
            continue
        if page_row["status"] != 200:
            continue
        url = page_row["url"]
        parser, charset, headers = parse_page(world, url)
        assert charset == page_row["charset"]
        assert BROWSER_CODEC.get(charset, charset) == page_row["encoding"]
        assert parser.lang == page_row["lang"], url
        base = urljoin(url, parser.base) if parser.base else url
        assert resolve(base, parser.canonical or "")[0] == page_row["canonical_url"], url
        header_reason = "x_robots_tag" if page_row["header_robots_nofollow"] else "followed"
        page_reason = "meta_robots" if page_row["meta_robots_nofollow"] else header_reason
        heads = head.get(url, {})
        assert heads["canonical"]["target_url"] == page_row["canonical_url"]
        if parser.refresh is None:
            assert "meta_refresh" not in heads
        else:
            assert heads["meta_refresh"]["target_url"] == resolve(base, parser.refresh)[0]
        for row in heads.values():
            assert (row["tag"], row["position"], row["region"], row["rel"], row["anchor_text"]) == (
                {"canonical": "link", "meta_refresh": "meta"}[row["link_kind"]], None, "head", [], "")
            assert (row["follow"], row["follow_reason"]) == (page_reason == "followed", page_reason)
        noindex_words = " ".join(parser.meta_robots).lower() + " " + " ".join(
            v for k, v in headers if k.lower() == "x-robots-tag").lower()
        assert ("noindex" in noindex_words) == page_row["noindex"], url
        header_robots = " ".join(v for k, v in headers if k.lower() == "x-robots-tag").lower()
        assert ("nofollow" in " ".join(parser.meta_robots).lower()) == page_row["meta_robots_nofollow"], url
        assert ("nofollow" in header_robots) == page_row["header_robots_nofollow"], url
        expected = by_source.get(url, [])
        assert len(parser.links) == len(expected) == page_row["links_count"], url
        for position, (found, row) in enumerate(zip(parser.links, expected)):
            target, fragment = resolve(base, found["href"])
            assert (target, fragment) == (row["target_url"], row["target_fragment"]), (url, found)
            assert found["tag"] == row["tag"] and row["position"] == position
            kind = "image" if found["img"] else found["tag"]
            assert kind == row["link_kind"] and found["region"] == row["region"], (url, found, row)
            img_src, img_alt = found["img"] or (None, None)
            assert (img_src, None if img_alt is None else normalize_text(img_alt)) == (
                row["img_src"], row["img_alt"]), (url, found)
            assert (found["title"], found["hreflang"], found["target"]) == (
                row["title_attr"], row["hreflang"], row["target_attr"]), (url, found)
            assert row["redirect_status"] is None
            text = normalize_text("".join(found["text"]))
            from_alt = False
            if found["tag"] == "iframe":
                text = ""
            elif found["tag"] == "area" or (not text and found["alt"]):
                text, from_alt = normalize_text(found["alt"] or ""), True
            assert (text, from_alt and bool(text)) == (row["anchor_text"], row["anchor_from_alt"]), (url, found)
            rel = list(dict.fromkeys((found["rel"] or "").lower().split()))
            assert rel == row["rel"], (url, found)
            blocked = bool(set(rel) & {"nofollow", "ugc", "sponsored"}) or page_row["page_nofollow"]
            assert row["follow"] is not blocked
            reason = next((f"rel_{t}" for t in ("nofollow", "ugc", "sponsored") if t in rel), page_reason)
            assert row["follow_reason"] == reason, (url, found)


def assert_redirect_rows(world: World, pages: list[dict], links: list[dict]) -> None:
    """One redirect row per distinct redirecting URL requested: the hop re-derived over HTTP."""
    redirecting = {url for row in pages for url in row["redirect_urls"]}
    rows = [row for row in links if row["link_kind"] == "redirect"]
    assert len(rows) == len({row["source_url"] for row in rows}) and {r["source_url"] for r in rows} == redirecting
    for row in rows:
        parts = urlsplit(row["source_url"])
        response = world.respond(parts.hostname or "", parts.path)
        assert response.status == row["redirect_status"] in (301, 302)
        assert resolve(row["source_url"], response.header("Location") or "")[0] == row["target_url"]
        assert (row["tag"], row["position"], row["region"], row["rel"], row["follow"], row["follow_reason"]) == (
            None, None, None, [], True, "followed")
        assert row["referring_domain"] == world.site(parts.hostname or "").registrable_domain


def test_redirect_rows_match_the_served_redirects(world: World, pages: list[dict], links: list[dict]) -> None:
    assert_redirect_rows(world, pages, links)
    loop = {(r["source_url"], r["target_url"]) for r in links if r["link_kind"] == "redirect"
            and r["source_url"].startswith("http://www.news-1.com/loop")}
    assert loop == {("http://www.news-1.com/loop-a", "http://www.news-1.com/loop-b"),
                    ("http://www.news-1.com/loop-b", "http://www.news-1.com/loop-a")}


def test_default_ground_truth_links_are_body_links(world: World, links: list[dict]) -> None:
    body = world.ground_truth_links()
    assert body == [row for row in links if row["link_kind"] in ("a", "area", "image")]


def test_new_kinds_regions_encodings_and_reasons_are_covered(pages: list[dict], links: list[dict]) -> None:
    kinds = Counter(row["link_kind"] for row in links)
    assert set(kinds) == set(ALL_LINK_KINDS) and min(kinds.values()) >= 5, kinds
    regions = Counter(row["region"] for row in links)
    for region in ("header", "nav", "main", "aside", "footer", "body", "head"):
        assert regions[region] >= 5, (region, regions)
    assert regions[None] == kinds["redirect"]
    reasons = Counter(row["follow_reason"] for row in links)
    for reason in ("rel_nofollow", "rel_ugc", "rel_sponsored", "meta_robots", "x_robots_tag", "followed"):
        assert reasons[reason] > 0, reason
    assert all(row["follow"] == (row["follow_reason"] == "followed") for row in links)
    assert Counter(row["redirect_status"] for row in links)[301] and Counter(
        row["redirect_status"] for row in links)[302]
    for key in ("title_attr", "hreflang", "target_attr"):
        assert sum(row[key] is not None for row in links) >= 10, key
    assert any(row["img_alt"] == "icon" for row in links) and any(
        row["link_kind"] == "image" and row["img_alt"] is None for row in links)
    assert any(row["link_kind"] == "iframe" and row["is_external"] for row in links)
    assert any(row["link_kind"] == "iframe" and not row["is_external"] for row in links)
    charsets = Counter(row["charset"] for row in pages)
    assert charsets["shift_jis"] and charsets["gb2312"]
    assert {row["encoding"] for row in pages} >= {"cp932", "gb18030"}
    anchors = {row["anchor_text"] for row in links}
    assert {"日本語の本", "中文书籍"} <= anchors
    assert any(row["lang"] is None and row["status"] == 200 for row in pages)
    assert {"ja", "zh-CN", "ru", "fr", "en"} <= {row["lang"] for row in pages}
    assert sum(row["noindex"] for row in pages) > 0 and not all(row["noindex"] for row in pages)


def test_shift_jis_and_gb2312_are_declared_by_header_and_by_meta(world: World, pages: list[dict]) -> None:
    declared = set()
    for row in pages:
        if row["charset"] in ("shift_jis", "gb2312") and row["url"] == row["final_url"]:
            parts = urlsplit(row["url"])
            response = world.respond(parts.hostname or "", parts.path)
            in_header = "charset=" in (response.header("Content-Type") or "")
            declared.add((row["charset"], in_header))
            with pytest.raises(UnicodeDecodeError):
                response.body.decode("utf-8")
            assert response.body.isascii() is False
    assert declared == {("shift_jis", True), ("gb2312", False)}


def test_anchor_texts_do_not_depend_on_normalization_order(world: World, pages: list[dict]) -> None:
    for page_row in pages:
        if page_row["url"] != page_row["final_url"] or page_row["content_type"] != "text/html":
            continue
        parser, _, _ = parse_page(world, page_row["url"])
        for found in parser.links:
            raw = "".join(found["text"])
            nfkc_first = normalize_text(raw)
            collapse_first = unicodedata.normalize("NFKC", re.sub(r"[ \t\n\r\f]+", " ", raw)).strip()
            assert nfkc_first == " ".join(collapse_first.split()) == collapse_first


def assert_independent_crawl_fetches_exactly(world: World, pages: list[dict]) -> None:
    fetched: set[str] = set()
    for seed in world.seeds():
        host = urlsplit(seed).hostname
        queue, seen = [seed], {seed}
        while queue:
            url = queue.pop()
            fetched.add(url)
            status, final = follow_redirects(world, url)
            if status != 200:
                continue
            parts = urlsplit(final)
            response = world.respond(host or "", parts.path)
            if not (response.header("Content-Type") or "").startswith("text/html"):
                continue
            parser, _, _ = parse_page(world, final)
            base = urljoin(final, parser.base) if parser.base else final
            for found in parser.links:
                target, _ = resolve(base, found["href"])
                target_parts = urlsplit(target)
                if (target_parts.scheme == "http" and target_parts.hostname == host
                        and not target_parts.path.startswith("/private/") and target not in seen):
                    seen.add(target)
                    queue.append(target)
    assert fetched == {row["url"] for row in pages}


def test_ground_truth_links_match_an_independent_parse_of_the_served_bytes(world: World, pages: list[dict],
                                                                            links: list[dict]) -> None:
    assert_matches_independent_parse(world, pages, links)


def test_ground_truth_pages_are_exactly_what_an_independent_crawl_fetches(world: World, pages: list[dict]) -> None:
    assert_independent_crawl_fetches_exactly(world, pages)


@pytest.mark.parametrize("seed", [2, 3])
def test_ground_truth_is_consistent_for_other_seeds_and_sizes(seed: int) -> None:
    other = World(WorldConfig(seed=seed, sites=9, pages_per_site=7, external_links_per_page=2))
    pages, links = other.ground_truth_pages(), other.ground_truth_links(kinds=None)
    assert_matches_independent_parse(other, pages, links)
    assert_redirect_rows(other, pages, links)
    assert_independent_crawl_fetches_exactly(other, pages)


def test_every_page_is_reachable_with_a_regex_crawl(world: World, pages: list[dict]) -> None:
    href_re = re.compile(r"""<a\s[^>]*?href\s*=\s*["']?\s*([^"'\s>]+)""", re.IGNORECASE)
    for site in world.sites[:8]:
        paths = {urlsplit(row["url"]).path for row in pages if urlsplit(row["url"]).hostname == site.host}
        home = world.respond(site.host, "/").body.decode("utf-8")
        linked = {urlsplit(urljoin(site.home_url, href)).path for href in href_re.findall(home)}
        # home links every /page-k and special URL directly; everything else is one hop further
        assert {"/", "/logo.png", "/report.pdf", "/data.json", "/missing-1.html", "/go/2"} <= linked
        assert {f"/page-{k}.html" for k in range(1, world.config.pages_per_site)} <= linked
        assert paths - linked <= {"/section/" + p.rsplit("/", 1)[1] for p in paths} | {"/old/page-1.html"}


def test_ground_truth_covers_every_link_kind(world: World, pages: list[dict], links: list[dict]) -> None:
    assert len({row["referring_domain"] for row in links}) >= 20
    assert Counter(row["tag"] for row in links)["area"] >= 20
    assert sum(row["anchor_from_alt"] for row in links) >= 20
    assert any(row["anchor_text"] == "" for row in links)
    rel_tokens = Counter(token for row in links for token in row["rel"])
    for token in ("nofollow", "ugc", "sponsored", "noopener", "noreferrer", "external"):
        assert rel_tokens[token] > 0, token
    assert sum(row["nofollow"] and row["ugc"] for row in links) > 0
    schemes = Counter(row["target_scheme"] for row in links)
    for scheme in ("http", "https", "mailto", "tel", "javascript"):
        assert schemes[scheme] > 0, scheme
    assert all(row["target_host"] is None for row in links if row["target_scheme"] in ("mailto", "tel"))
    fragments = Counter(row["target_fragment"] for row in links)
    assert fragments[None] and fragments["top"] and fragments[""] >= 1
    assert sum(row["is_external"] for row in links) > 100
    assert any(row["target_domain"] == "example.org" for row in links)
    assert any(row["target_url"] == "http://www.news-1.com/page-1.html?a=1&b=2" for row in links)
    assert any("full width" == row["anchor_text"] for row in links)
    assert any("Books & Magazines" == row["anchor_text"] for row in links)
    assert any(not row["follow"] and not row["rel"] for row in links)  # nofollow by page only
    assert Counter(row["encoding"] for row in pages)["windows-1251"] > 0
    assert Counter(row["encoding"] for row in pages)["iso-8859-1"] > 0
    assert sum(row["meta_robots_nofollow"] for row in pages) > 0
    assert sum(row["header_robots_nofollow"] for row in pages) > 0
    statuses = Counter(row["status"] for row in pages)
    assert statuses[404] > 0 and statuses[200] > 0 and statuses[None] > 0
    assert {row["content_type"] for row in pages} >= {"text/html", "image/png", "application/pdf",
                                                      "application/json"}


def test_base_href_pages_resolve_relative_links_against_the_base(world: World, links: list[dict]) -> None:
    base_pages = 0
    for site in world.sites:
        body = world.respond(site.host, "/page-5.html").body.decode("utf-8")
        if "<base href=" not in body:
            continue
        base_pages += 1
        targets = {row["target_url"] for row in links if row["source_url"] == f"http://{site.host}/page-5.html"}
        assert any(target.startswith(f"http://{site.host}/section/") for target in targets)
    assert base_pages >= 20
    section = world.respond("www.news-1.com", "/section/page-3.html")
    assert section.status == 301 and section.header("Location") == "/page-3.html"


def test_external_hosts_are_normalized_in_ground_truth(world: World, links: list[dict]) -> None:
    bodies = b"".join(world.respond(site.host, "/").body for site in world.sites)
    assert b":80/" in bodies or any(
        b":80/" in world.respond(s.host, f"/page-{k}.html").body for s in world.sites for k in range(1, 10))
    for row in links:
        host = row["target_host"]
        if host is not None:
            assert host == host.lower() and host.isascii() and ":" not in host
            assert ":80/" not in row["target_url"] and "#" not in row["target_url"]


def test_write_ground_truth_writes_jsonl(world: World, tmp_path) -> None:
    world.write_ground_truth(tmp_path)
    links = (tmp_path / "links.jsonl").read_text(encoding="utf-8").splitlines()
    pages = (tmp_path / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(links) == len(world.ground_truth_links(kinds=None)) and len(pages) == len(world.ground_truth_pages())
    assert set(json.loads(links[0])) == {
        "source_url", "position", "tag", "target_url", "target_fragment", "target_scheme", "target_host",
        "referring_domain", "target_domain", "is_external", "anchor_text", "anchor_from_alt", "rel",
        "nofollow", "ugc", "sponsored", "follow", "link_kind", "region", "img_src", "img_alt", "title_attr",
        "hreflang", "target_attr", "redirect_status", "follow_reason",
    }


# ----------------------------------------------------------------------------- topics and anchors

#: The anchor classes of docs/analysis.md, written out here (not imported from the analysis).
ANCHOR_CLASSES = ("empty", "image", "naked_url", "generic", "branded", "compound", "exact", "partial", "other")


@pytest.fixture(scope="module")
def demo_world() -> World:
    """The world ``linkspider demo`` crawls (linkspider.cli.crawl.cmd_demo)."""
    return World(WorldConfig(sites=24, link_rot=True))


@pytest.fixture(scope="module")
def demo_classes(demo_world: World) -> list[dict]:
    return demo_world.ground_truth_anchor_classes()


@pytest.fixture(scope="module")
def demo_backlinks(demo_world: World, demo_classes: list[dict]) -> list[dict]:
    """The truth's backlinks (external a/area/image links to http(s) URLs), with their class."""
    external = {(r["source_url"], r["position"]) for r in demo_world.ground_truth_links()
                if r["is_external"] and r["target_scheme"] in ("http", "https") and r["target_domain"]}  # fmt: skip
    return [r for r in demo_classes if (r["source_url"], r["position"]) in external]


def test_the_demos_backlinks_hold_every_anchor_class_in_a_realistic_share(demo_backlinks: list[dict]) -> None:
    classes = Counter(row["anchor_class"] for row in demo_backlinks)
    total = sum(classes.values())
    shares = {name: classes[name] / total for name in ANCHOR_CLASSES}
    assert total > 3000
    assert max(shares.values()) <= 0.6, shares
    assert min(shares.values()) >= 0.005, shares  # every class, empty anchors the rarest


def test_every_anchor_is_classified_by_the_analysis_as_it_was_built(demo_world: World,
                                                                    demo_classes: list[dict]) -> None:  # fmt: skip
    """Every a/area/image link of the demo's world (link rot included): the class the world
    wrote its anchor to have (linkspider.web.anchor_mix) against the classifier, with the
    world's keywords and each target's own label as its brand (what analyze does)."""
    from linkspider.analysis.anchors import brand_names, classify_anchor

    keywords = demo_world.keywords()
    built = {(r["anchor_text"], r["anchor_from_alt"], r["target_domain"], r["anchor_class"]) for r in demo_classes}
    wrong = [(text, domain, built_class) for text, from_alt, domain, built_class in built
             if classify_anchor(text, from_alt, brand_names(domain), keywords.get(domain, ())) != built_class]  # fmt: skip
    assert wrong == []
    assert {key[3] for key in built} == set(ANCHOR_CLASSES)


def test_exact_and_partial_anchors_hold_the_targets_keywords(demo_world: World, demo_backlinks: list[dict]) -> None:
    keywords = demo_world.keywords()
    rows = [r for r in demo_backlinks if r["anchor_class"] in ("exact", "partial")]
    assert rows
    for row in rows:
        text = unicodedata.normalize("NFKC", row["anchor_text"]).casefold()
        held = [k for k in keywords[row["target_domain"]] if k.casefold() in text]
        assert held, row
        assert (text in {k.casefold() for k in held}) == (row["anchor_class"] == "exact"), row


def test_sites_have_a_topic_and_a_language_of_their_own(demo_world: World) -> None:
    from linkspider.web.subjects import site_subject

    languages = {}
    for site in demo_world.sites:
        subject = site_subject(site.index)
        k = 1 if (site.index + 1) % 7 != 3 else 9  # a page in the site's language, with <html lang>
        body = demo_world.respond(site.host, f"/page-{k}.html").body.decode("utf-8")
        assert f'<html lang="{"zh-CN" if subject.language == "zh" else subject.language}">' in body
        assert sum(html.escape(sentence) in body for sentence in subject.sentences) >= 1, site.host
        languages[site.host] = subject.language
    assert Counter(languages.values()) == {"en": 18, "de": 3, "fr": 1, "ja": 1, "zh": 1}
    topics = {site_subject(site.index).topic for site in demo_world.sites}
    assert len(topics) >= 8


def test_links_between_sites_favour_the_same_topic(demo_world: World) -> None:
    from linkspider.web.subjects import site_subject

    topic = {site.registrable_domain: site_subject(site.index).topic for site in demo_world.sites}
    pairs = [(r["referring_domain"], r["target_domain"]) for r in demo_world.ground_truth_links()
             if r["is_external"] and r["target_domain"] in topic]  # fmt: skip
    same = sum(topic[a] == topic[b] for a, b in pairs) / len(pairs)
    assert 0.3 < same < 0.6  # two in five chosen among the same topic, the rest at random


def test_the_directory_gives_far_more_outbound_links_per_page(demo_world: World, demo_backlinks: list[dict]) -> None:
    links, pages = Counter(), Counter()
    for row in demo_backlinks:
        links[row["source_url"].split("/")[2]] += 1
    for page in demo_world.ground_truth_pages():
        if page["status"] == 200 and page["content_type"] == "text/html":
            pages[page["final_url"].split("/")[2]] += 1
    per_page = {host: links[host] / pages[host] for host in pages}
    directory = per_page.pop("docs.agency-7.gov.uk")
    assert directory > 2 * max(per_page.values())


def test_keywords_file_lists_every_sites_keywords(demo_world: World, tmp_path) -> None:
    path = demo_world.write_keywords(tmp_path / "keywords.tsv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 * len(demo_world.sites)
    assert "xn--bcher-5-n2a.de\thistorische romane" in lines and "site-22.org\t绿茶" in lines


def test_anchors_an_epoch_edits_keep_their_class_by_construction() -> None:
    """Epoch 1 re-anchors links ("... (new)") and adds "New partner: ..." links: their classes
    by construction equal the classifier's too."""
    from linkspider.analysis.anchors import brand_names, classify_anchor

    world = World(WorldConfig(sites=8, epoch=1, link_rot=True))
    keywords = world.keywords()
    rows = world.ground_truth_anchor_classes()
    assert any(r["anchor_text"].endswith(" (new)") for r in rows)
    assert any(r["anchor_text"].startswith("New partner: ") for r in rows)
    wrong = [r for r in rows if classify_anchor(r["anchor_text"], r["anchor_from_alt"], brand_names(r["target_domain"]),
                                                keywords.get(r["target_domain"], ())) != r["anchor_class"]]  # fmt: skip
    assert wrong == []

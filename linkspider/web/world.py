"""A deterministic generated multi-site web with ground truth computed by construction.

Every page is produced from a clean model (targets, anchor texts, rel tokens) that is
then rendered noisily into HTML. The ground truth comes from the clean model, never from
parsing the generated HTML, and none of linkspider's own URL/domain code is used.

Layout of every site (``n`` = ``pages_per_site``): ``/`` and ``/page-1.html`` ..
``/page-{n-1}.html``; ``/robots.txt`` (disallows ``/private/``); ``/private/*`` (200 HTML,
linked from home, never in the ground truth); ``/old/page-k.html`` -301-> ``/page-k.html``;
``/go/k`` -302-> ``/old/page-k.html``; ``/section/page-k.html`` -301-> ``/page-k.html``
(reached from relative links on ``<base href=".../section/">`` pages); ``/loop-a`` <-302->
``/loop-b`` on every third site; ``/logo.png``, ``/report.pdf``, ``/data.json``; anything
else is 404. Page features by page number (needs ``pages_per_site`` >= 6 to all appear):
page 2 is windows-1251 on sites with index % 4 in (0, 2) (declared by header / by meta only),
page 3 is iso-8859-1 on sites with index % 6 == 1, page 4 carries meta robots or
X-Robots-Tag (nofollow on 4 of every 6 sites), page 5 has ``<base href>``.
Further features (need ``pages_per_site`` >= 9): page 1 of every site ends with a block of
links under ARIA-role divs and class/id-named divs outside any landmark (every ``region``
value); page 6 has ``<iframe src>`` links (a second one to another site on even sites) and,
on sites with index % 4 == 1, ``<meta http-equiv="refresh">``; page 7 is Shift_JIS (Japanese
anchors, charset in the HTTP header) on sites with index % 8 == 3; page 8 is GB2312 (Chinese
anchors, ``<meta charset>`` only) on sites with index % 8 == 6; pages with (index + k) % 7 == 3
have no ``<html lang>``. Every HTML page has ``<link rel="canonical">`` to itself.
:meth:`World.ground_truth_links` returns only body links of kind a/area/image by default;
pass ``kinds=None`` for every kind (iframe, canonical, meta_refresh, redirect as well).
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
import struct
import zlib
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from pathlib import Path

__all__ = ["ALL_LINK_KINDS", "BODY_LINK_KINDS", "Site", "WebResponse", "World", "WorldConfig"]


@dataclass(frozen=True)
class WorldConfig:
    """Parameters of a generated world; the same config always yields the same bytes."""

    seed: int = 1
    sites: int = 24
    pages_per_site: int = 10
    external_links_per_page: int = 3
    #: Epoch of the world (``linkspider.web.epochs``): 0 is the base world, k >= 1 the base
    #: world with epoch k's changes (links removed/added/edited, pages gone, a host down).
    epoch: int = 0
    #: Link rot (``linkspider.web.targets``): some pages also link to hosts outside the world's
    #: sites that answer 404, 410, 500, redirect, refuse HEAD or refuse connections, and to a
    #: missing page of their own site.
    link_rot: bool = False
    #: Add the link schemes of ``linkspider.web.spam`` (money site, PBN, link farm, sitewide and
    #: paid links) with their labels; off by default, so the base world is unchanged.
    spam: bool = False


@dataclass
class WebResponse:
    """One HTTP response as produced by a site source."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: Writes the whole response itself (hostile cases: no or a lying Content-Length, slow or
    #: hanging bodies); the server then closes the connection. None: status, headers, body.
    stream: Callable[[asyncio.StreamWriter], Awaitable[None]] | None = None

    def header(self, name: str) -> str | None:
        """Return the first header value named ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class Site:
    """One generated site: its host (ASCII/punycode) and registrable domain, by construction."""

    index: int
    host: str
    unicode_host: str
    registrable_domain: str
    name: str

    @property
    def home_url(self) -> str:
        """The site's home page URL."""
        return f"http://{self.host}/"

    @property
    def origin(self) -> str:
        """``http://host`` without a trailing slash."""
        return f"http://{self.host}"


# (host template, registrable domain template, display name); {i} is the 1-based site number.
_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("www.news-{i}.com", "news-{i}.com", "News {i}"),
    ("shop.store-{i}.co.uk", "store-{i}.co.uk", "Store {i}"),
    ("user-{i}.github.io", "user-{i}.github.io", "User {i} pages"),
    ("blog-{i}.blogspot.com", "blog-{i}.blogspot.com", "Blog {i}"),
    ("bücher-{i}.de", "bücher-{i}.de", "Bücher {i}"),
    ("www.site-{i}.org", "site-{i}.org", "Site {i}"),
    ("docs.agency-{i}.gov.uk", "agency-{i}.gov.uk", "Agency {i}"),
    ("m.shop-{i}.com.au", "shop-{i}.com.au", "Shop {i}"),
)

ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"

_LABELS: dict[str, tuple[str, ...]] = {
    "en": (
        "Latest news", "Products & Services", "Café menu", "About us", "Contact the team",
        "Résumé tips", "Books & Magazines", "Help center", "Careers", "Weekly deals",
        "Photo gallery", "Customer stories", "Price list", "Opening hours", "Gift cards",
    ),
    "ru": (
        "Книги и журналы", "Главная страница", "Новости компании", "Контакты", "О нас",
        "Каталог товаров", "Доставка и оплата",
    ),
    "fr": ("Café crème", "À propos", "Déjà vu", "Crème brûlée", "Garçon de café", "Où nous trouver"),
    "ja": ("日本語の本", "新着情報", "お問い合わせ", "会社概要", "商品一覧", "よくある質問"),
    "zh": ("中文书籍", "新闻中心", "联系我们", "关于我们", "产品目录", "常见问题"),
}
_HOME_LABEL = {"en": "Home", "ru": "Главная", "fr": "Accueil", "ja": "ホーム", "zh": "首页"}
_LANG_ATTR = {"en": "en", "ru": "ru", "fr": "fr", "ja": "ja", "zh": "zh-CN"}
_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "Welcome to our corner of the web.", "Read the latest updates below.",
        "We publish new material every week.", "Our team answers questions quickly.",
        "Take a look at the archive as well.", "Everything here is generated for testing.",
    ),
    "ru": (
        "Добро пожаловать на наш сайт.", "Читайте последние новости ниже.",
        "Мы обновляем каталог каждую неделю.",
    ),
    "fr": ("Bienvenue chez nous.", "Découvrez nos nouveautés.", "Le café est servi à partir de huit heures."),
    "ja": ("ようこそ私たちのサイトへ。", "最新の情報をご覧ください。", "毎週新しい本を紹介します。"),
    "zh": ("欢迎访问我们的网站。", "请阅读下面的最新消息。", "我们每周更新目录。"),
}

# (rel attribute as written, clean tokens: lowercased, deduplicated, first-appearance order)
_REL_VARIANTS: tuple[tuple[str, list[str]], ...] = (
    ("nofollow", ["nofollow"]),
    ("ugc", ["ugc"]),
    ("sponsored", ["sponsored"]),
    ("NoFollow", ["nofollow"]),
    ("nofollow noopener", ["nofollow", "noopener"]),
    ("ugc nofollow", ["ugc", "nofollow"]),
    ("nofollow NOFOLLOW", ["nofollow"]),
    ("  sponsored\tnoopener\n", ["sponsored", "noopener"]),
    ("noopener   noreferrer", ["noopener", "noreferrer"]),
    ("external", ["external"]),
    ("", []),
)

# Hosts outside the world, never fetched: (href, target_url, fragment, scheme, host, domain).
_OUTSIDE: tuple[tuple[str, str, str | None, str, str, str], ...] = (
    ("http://example.org/x", "http://example.org/x", None, "http", "example.org", "example.org"),
    ("https://www.example.com/about?lang=en", "https://www.example.com/about?lang=en", None, "https",
     "www.example.com", "example.com"),
    ("http://docs.example.net/guide#intro", "http://docs.example.net/guide", "intro", "http",
     "docs.example.net", "example.net"),
    ("https://www.bbc.co.uk/news", "https://www.bbc.co.uk/news", None, "https", "www.bbc.co.uk", "bbc.co.uk"),
    ("HTTPS://WWW.Example.COM:443/Path", "https://www.example.com/Path", None, "https", "www.example.com",
     "example.com"),
    ("http://example.org:8080/status", "http://example.org:8080/status", None, "http", "example.org",
     "example.org"),
    ("https://someone.github.io/project/", "https://someone.github.io/project/", None, "https",
     "someone.github.io", "someone.github.io"),
    ("http://news.example.co.jp/", "http://news.example.co.jp/", None, "http", "news.example.co.jp",
     "example.co.jp"),
)

# (meta robots content, is nofollow) and (X-Robots-Tag value, is nofollow), by site index % 6.
_PAGE_ROBOTS: tuple[tuple[str, str, bool], ...] = (
    ("meta", "nofollow", True),
    ("header", "nofollow", True),
    ("meta", "noindex, NOFOLLOW, noarchive", True),
    ("header", "noarchive, nofollow", True),
    ("meta", "noindex", False),
    ("header", "noarchive", False),
)

_INTERNAL_QUERIES = ("ref=nav", "a=1&b=2", "utm_source=linkspider&utm_medium=link")
_FRAGMENTS = ("top", "section-2", "comments", "")
#: Python codec a browser (WHATWG Encoding) decodes each declared charset with, where it differs:
#: the Shift_JIS decoder is windows-31j and the GBK decoder (label gb2312) is gb18030's.
_BROWSER_CODEC = {"shift_jis": "cp932", "gb2312": "gb18030"}
BODY_LINK_KINDS = ("a", "area", "image")
ALL_LINK_KINDS = ("a", "area", "image", "iframe", "canonical", "meta_refresh", "redirect")
FOLLOW_REASONS = ("rel_nofollow", "rel_ugc", "rel_sponsored", "meta_robots", "x_robots_tag", "followed")
_PAGE_RE = re.compile(r"/page-([1-9][0-9]*)\.html")
_UNQUOTED_OK = re.compile(r"[A-Za-z0-9/._:#?-]+")
_FULLWIDTH_OK = re.compile(r"[A-Za-z0-9]+")
_COMBINING = {"é": "e\u0301", "è": "e\u0300", "É": "E\u0301"}
_CHARREFS = {"é": ("&#233;", "&eacute;", "&#xE9;"), "&": ("&amp;", "&#38;"), "É": ("&Eacute;",)}


@dataclass
class _Link:
    """Clean model of one ``<a href>``/``<area href>`` plus its rendered HTML."""

    tag: str
    html: str
    target: str | None  # absolute URL without fragment; None means "the document URL itself"
    fragment: str | None
    scheme: str
    host: str | None
    domain: str | None
    anchor_text: str
    anchor_from_alt: bool
    rel: list[str]
    kind: str = "a"  # a | area | image | iframe
    region: str = "body"
    img_src: str | None = None
    img_alt: str | None = None  # cleaned
    title_attr: str | None = None
    hreflang: str | None = None
    target_attr: str | None = None
    #: Anchor class by construction (README, Anchor classes), for ground_truth_anchor_classes.
    anchor_class: str = "other"


@dataclass
class _Page:
    """Clean model of one HTML page."""

    encoding: str  # codec of the bytes as declared (lowercase label)
    content_type: str
    meta_robots_nofollow: bool
    header_robots_nofollow: bool
    extra_headers: list[tuple[str, str]]
    parts: list[str | _Link] = field(default_factory=list)
    lang: str | None = None
    noindex: bool = False
    canonical_url: str = ""
    meta_refresh: str | None = None  # absolute target of <meta http-equiv=refresh>

    @property
    def links(self) -> list[_Link]:
        """The page's links in document order."""
        return [part for part in self.parts if isinstance(part, _Link)]

    @property
    def nofollow(self) -> bool:
        """Whether the whole page is nofollow (meta robots or X-Robots-Tag)."""
        return self.meta_robots_nofollow or self.header_robots_nofollow

    def render(self) -> bytes:
        """Serialize to bytes in the page's encoding (unencodable characters become charrefs)."""
        text = "".join(part.html if isinstance(part, _Link) else part for part in self.parts)
        return text.encode(self.encoding, "xmlcharrefreplace")


@dataclass(frozen=True)
class _Route:
    """What a path on a site is, known by construction."""

    kind: str  # page | private | redirect | missing | asset | robots
    status: int
    location: str | None = None  # absolute target of a redirect
    location_header: str | None = None  # as sent (absolute or relative)


def _png_bytes() -> bytes:
    """A valid 1x1 transparent PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


_PNG = _png_bytes()
_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


class World:
    """A generated web of ``config.sites`` sites, served by :meth:`respond`.

    Ground truth (:meth:`ground_truth_pages`, :meth:`ground_truth_links`) describes what a
    correct robots-obeying crawler sees when it starts at every home page and follows
    every in-site http link (any rel), following redirects.
    """

    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        if self.config.pages_per_site < 2:
            raise ValueError("pages_per_site must be at least 2")
        self.sites: list[Site] = [self._make_site(index) for index in range(self.config.sites)]
        self.spam = None
        if self.config.spam:  # opt-in, like the epochs
            from linkspider.web.spam import SpamNetwork

            self.spam = SpamNetwork(self)
            self.sites.extend(self.spam.added)
        self._by_host = {site.host: site for site in self.sites}
        self._models: dict[tuple[int, str], _Page] = {}
        self._responses: dict[tuple[str, str], WebResponse] = {}
        self._truth: tuple[list[dict], list[dict]] | None = None
        self._evolution = None
        if self.config.epoch:  # opt-in: epoch 0 never imports the evolution
            from linkspider.web.epochs import Evolution

            self._evolution = Evolution(self)

    def __getstate__(self) -> dict:
        return {"config": self.config}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["config"])

    # ---------------------------------------------------------------- sites and routes

    @staticmethod
    def _make_site(index: int) -> Site:
        host_t, domain_t, name_t = _TEMPLATES[index % len(_TEMPLATES)]
        number = index + 1
        unicode_host = host_t.format(i=number)
        return Site(
            index=index,
            host=unicode_host.encode("idna").decode("ascii").lower(),
            unicode_host=unicode_host,
            registrable_domain=domain_t.format(i=number).encode("idna").decode("ascii").lower(),
            name=name_t.format(i=number),
        )

    def seeds(self) -> list[str]:
        """Home page URLs of all sites."""
        return [site.home_url for site in self.sites]

    def site(self, host: str) -> Site | None:
        """The site served under ``host`` (ASCII/punycode, case-insensitive), or None."""
        return self._by_host.get(host.lower())

    @staticmethod
    def has_loop(site: Site) -> bool:
        """Whether the site has the ``/loop-a`` <-> ``/loop-b`` redirect loop."""
        return site.index % 3 == 0

    def _page_number(self, path: str) -> int | None:
        match = _PAGE_RE.fullmatch(path)
        if match and int(match.group(1)) < self.config.pages_per_site:
            return int(match.group(1))
        return None

    def _route(self, site: Site, path: str) -> _Route:
        if self._evolution is not None:
            evolved = self._evolution.route(site, path)
            if evolved is not None:
                return evolved
        origin = site.origin
        if path == "/" or self._page_number(path) is not None:
            return _Route("page", 200)
        if path.startswith("/old/") and self._page_number(path[4:]) is not None:
            return _Route("redirect", 301, origin + path[4:], origin + path[4:])
        if path.startswith("/section/") and self._page_number(path[8:]) is not None:
            return _Route("redirect", 301, origin + path[8:], path[8:])
        if path.startswith("/go/") and self._page_number(f"/page-{path[4:]}.html") is not None:
            target = f"/old/page-{path[4:]}.html"
            return _Route("redirect", 302, origin + target, target)
        if self.has_loop(site) and path == "/loop-a":
            return _Route("redirect", 302, origin + "/loop-b", "/loop-b")
        if self.has_loop(site) and path == "/loop-b":
            return _Route("redirect", 302, origin + "/loop-a", origin + "/loop-a")
        if path in ("/logo.png", "/report.pdf", "/data.json"):
            return _Route("asset", 200)
        if path == "/robots.txt":
            return _Route("robots", 200)
        if path.startswith("/private/"):
            return _Route("private", 200)
        return _Route("missing", 404)

    # ---------------------------------------------------------------- HTTP

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer a request for ``target`` (path + optional query) on ``host``."""
        host = host.lower().rstrip(".")
        path = target.split("#", 1)[0].split("?", 1)[0] or "/"
        key = (host, path)
        cached = self._responses.get(key)
        if cached is not None:
            return cached
        response = self._respond(host, path)
        if len(self._responses) > 200_000:  # bound memory against crawlers inventing paths
            self._responses.clear()
        self._responses[key] = response
        return response

    def respond_head(self, host: str, target: str) -> WebResponse:
        """Answer a HEAD request (the server sends the headers only): as :meth:`respond`,
        except where a link-rot host refuses HEAD (``linkspider.web.targets``)."""
        if self.config.link_rot:
            from linkspider.web import targets

            refused = targets.respond_head(host.lower().rstrip("."), target.split("?", 1)[0] or "/")
            if refused is not None:
                return refused
        return self.respond(host, target)

    def _respond(self, host: str, path: str) -> WebResponse:
        site = self.site(host)
        if site is None and self.config.link_rot:
            from linkspider.web import targets

            if targets.is_rot_host(host):
                return targets.respond(host, path)
        if site is None:
            body = (
                f"502 Bad Gateway: host {host!r} is not part of this local web "
                "(nothing is fetched from the internet).\n"
            ).encode()
            return WebResponse(502, [("Content-Type", "text/plain; charset=utf-8")], body)
        if self._evolution is not None:
            evolved = self._evolution.respond(site, path)
            if evolved is not None:
                return evolved
        route = self._route(site, path)
        if route.kind == "page":
            page = self._model(site, path)
            headers = [("Content-Type", page.content_type), *page.extra_headers]
            return WebResponse(200, headers, page.render())
        if route.kind == "redirect":
            body = f'<!DOCTYPE html><html><body>Moved to {html.escape(route.location_header or "")}</body></html>'
            return WebResponse(
                route.status,
                [("Location", route.location_header or ""), ("Content-Type", "text/html; charset=utf-8")],
                body.encode(),
            )
        if route.kind == "robots":
            return WebResponse(200, [("Content-Type", "text/plain; charset=utf-8")], ROBOTS_TXT.encode())
        if route.kind == "asset":
            if path == "/logo.png":
                return WebResponse(200, [("Content-Type", "image/png")], _PNG)
            if path == "/report.pdf":
                return WebResponse(200, [("Content-Type", "application/pdf")], _PDF)
            data = {"site": site.host, "pages": self.config.pages_per_site, "generated": True}
            return WebResponse(200, [("Content-Type", "application/json")], json.dumps(data).encode())
        if route.kind == "private":
            return WebResponse(200, [("Content-Type", "text/html; charset=utf-8")], self._private_page(site, path))
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title></head>'
            f"<body><h1>Not found</h1><p>There is no {html.escape(path)} on {site.host}.</p></body></html>"
        )
        return WebResponse(404, [("Content-Type", "text/html; charset=utf-8")], body.encode())

    @staticmethod
    def _private_page(site: Site, path: str) -> bytes:
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Members only</title></head>'
            f"<body><main><h1>Members area of {html.escape(site.name)}</h1>"
            f'<p><a href="/page-1.html">Public page</a> <a href="/private/deeper-{len(path)}.html">Deeper</a> '
            f'<a href="http://example.org/private-leak">Leak</a></p></main></body></html>'
        )
        return body.encode()

    # ---------------------------------------------------------------- page models

    def _model(self, site: Site, path: str) -> _Page:
        key = (site.index, path)
        page = self._models.get(key)
        if page is None:
            if self.spam is not None and self.spam.builds(site):
                page = self.spam.build(site, path)
            else:
                page = _PageBuilder(self, site, path).build()
            if self.spam is not None:
                page = self.spam.augment(site, path, page)
            if self._evolution is not None:
                page = self._evolution.evolve(site, path, page)
            self._models[key] = page
        return page

    # ---------------------------------------------------------------- ground truth

    def _fetch(self, site: Site, url: str) -> tuple[int | None, str | None, list[str], str | None]:
        """Follow redirects by construction: (status, final_url, redirect_urls, error)."""
        chain: list[str] = []
        current = url
        while True:
            path = current[len(site.origin):].split("?", 1)[0]
            if self._evolution is not None and not self._evolution.fetchable(site, path):
                return None, None, chain, "robots_disallowed"
            route = self._route(site, path)
            if route.kind != "redirect":
                return route.status, current, chain, None
            if current in chain:
                return None, None, chain, "redirect_loop"
            chain.append(current)
            current = route.location or ""

    def _compute_truth(self) -> tuple[list[dict], list[dict]]:
        pages: list[dict] = []
        links: list[dict] = []
        for site in self.sites:
            if self._evolution is not None and not self._evolution.fetchable(site, "/"):
                continue  # the host that is down this epoch answers nothing
            done_docs: dict[str, int] = {}
            hopped: set[str] = set()
            queue = [site.home_url]
            seen = {site.home_url}
            while queue:
                url = queue.pop(0)
                status, final_url, chain, error = self._fetch(site, url)
                row: dict = {
                    "url": url, "status": status, "final_url": final_url, "content_type": None,
                    "links_count": 0, "meta_robots_nofollow": False, "header_robots_nofollow": False,
                    "page_nofollow": False, "encoding": None, "charset": None, "redirect_urls": chain,
                    "error": error, "lang": None, "noindex": False, "canonical_url": None,
                }
                pages.append(row)
                for hop in chain:
                    if hop not in hopped:
                        hopped.add(hop)
                        links.append(self._redirect_row(site, hop))
                if final_url is None:
                    continue
                path = final_url[len(site.origin):].split("?", 1)[0]
                route = self._route(site, path)
                response = self.respond(site.host, path)
                row["content_type"] = (response.header("Content-Type") or "").split(";")[0].strip() or None
                if route.kind == "missing":
                    row.update(encoding="utf-8", charset="utf-8", lang="en")
                    continue
                if route.kind != "page":
                    continue
                page = self._model(site, path)
                row.update(
                    links_count=len(page.links), meta_robots_nofollow=page.meta_robots_nofollow,
                    header_robots_nofollow=page.header_robots_nofollow, page_nofollow=page.nofollow,
                    encoding=_BROWSER_CODEC.get(page.encoding, page.encoding), charset=page.encoding,
                    lang=page.lang, noindex=page.noindex, canonical_url=page.canonical_url,
                )
                if final_url in done_docs:
                    continue
                done_docs[final_url] = len(page.links)
                for position, link in enumerate(page.links):
                    target = link.target if link.target is not None else final_url
                    links.append(self._link_row(site, page, final_url, position, link, target))
                    if (
                        link.scheme == "http" and link.host == site.host
                        and not target[len(site.origin):].startswith("/private/")
                        and (self._evolution is None
                             or self._evolution.fetchable(site, target[len(site.origin):].split("?", 1)[0]))
                        and target not in seen
                    ):
                        seen.add(target)
                        queue.append(target)
                for kind, head_target in (("canonical", page.canonical_url), ("meta_refresh", page.meta_refresh)):
                    if head_target is not None:
                        links.append(self._head_row(site, page, final_url, kind, head_target))
        return pages, links

    @staticmethod
    def _follow_reason(rel: list[str], page: _Page | None) -> str:
        for token in ("nofollow", "ugc", "sponsored"):
            if token in rel:
                return "rel_" + token
        if page is not None and page.meta_robots_nofollow:
            return "meta_robots"
        if page is not None and page.header_robots_nofollow:
            return "x_robots_tag"
        return "followed"

    @staticmethod
    def _plain_row(site: Site, source: str, kind: str, target: str) -> dict:
        """A row for a same-site, non-body link (canonical, meta refresh, redirect)."""
        return {
            "source_url": source, "position": None, "tag": None, "target_url": target,
            "target_fragment": None, "target_scheme": "http", "target_host": site.host,
            "referring_domain": site.registrable_domain, "target_domain": site.registrable_domain,
            "is_external": False, "anchor_text": "", "anchor_from_alt": False, "rel": [],
            "nofollow": False, "ugc": False, "sponsored": False, "follow": True,
            "link_kind": kind, "region": None, "img_src": None, "img_alt": None, "title_attr": None,
            "hreflang": None, "target_attr": None, "redirect_status": None, "follow_reason": "followed",
        }

    def _redirect_row(self, site: Site, url: str) -> dict:
        route = self._route(site, url[len(site.origin):].split("?", 1)[0])
        row = self._plain_row(site, url, "redirect", route.location or "")
        row["redirect_status"] = route.status
        return row

    def _head_row(self, site: Site, page: _Page, source: str, kind: str, target: str) -> dict:
        row = self._plain_row(site, source, kind, target)
        reason = self._follow_reason([], page)
        row.update(tag="link" if kind == "canonical" else "meta", region="head",
                   follow=reason == "followed", follow_reason=reason)
        return row

    @staticmethod
    def _link_row(site: Site, page: _Page, source: str, position: int, link: _Link, target: str) -> dict:
        nofollow, ugc, sponsored = ("nofollow" in link.rel), ("ugc" in link.rel), ("sponsored" in link.rel)
        return {
            "source_url": source,
            "position": position,
            "tag": link.tag,
            "target_url": target,
            "target_fragment": link.fragment,
            "target_scheme": link.scheme,
            "target_host": link.host,
            "referring_domain": site.registrable_domain,
            "target_domain": link.domain,
            "is_external": link.domain is not None and link.domain != site.registrable_domain,
            "anchor_text": link.anchor_text,
            "anchor_from_alt": link.anchor_from_alt,
            "rel": list(link.rel),
            "nofollow": nofollow,
            "ugc": ugc,
            "sponsored": sponsored,
            "follow": not (nofollow or ugc or sponsored or page.nofollow),
            "link_kind": link.kind,
            "region": link.region,
            "img_src": link.img_src,
            "img_alt": link.img_alt,
            "title_attr": link.title_attr,
            "hreflang": link.hreflang,
            "target_attr": link.target_attr,
            "redirect_status": None,
            "follow_reason": World._follow_reason(link.rel, page),
        }

    def _truth_rows(self) -> tuple[list[dict], list[dict]]:
        if self._truth is None:
            self._truth = self._compute_truth()
        return self._truth

    def ground_truth_pages(self) -> list[dict]:
        """One row per URL a correct crawler requests (per site, in BFS order).

        Keys: ``url`` (as requested), ``status`` (after redirects), ``final_url``,
        ``content_type`` (no parameters), ``links_count`` (links on the final document),
        ``meta_robots_nofollow``, ``header_robots_nofollow``, ``page_nofollow``,
        ``encoding`` (Python codec a browser decodes the HTML bytes with: the declared charset,
        except Shift_JIS -> ``cp932`` and GB2312 -> ``gb18030`` as in the WHATWG Encoding
        standard; None for non-HTML), ``charset`` (the declared charset, lowercase),
        ``redirect_urls`` (URLs that answered with a redirect, in order), ``error``,
        ``lang`` (``<html lang>`` as written, None where absent), ``noindex`` (meta robots
        or X-Robots-Tag says noindex) and ``canonical_url`` (``<link rel=canonical>`` resolved).
        ``links_count`` counts body links (``<a href>``, ``<area href>``, ``<iframe src>``).
        A redirect loop (``/loop-a``) is recorded with ``status``/``final_url``/
        ``content_type`` None and ``error == "redirect_loop"``. ``robots.txt`` is not a row.
        """
        return [dict(row, redirect_urls=list(row["redirect_urls"])) for row in self._truth_rows()[0]]

    def ground_truth_links(self, kinds: tuple[str, ...] | None = BODY_LINK_KINDS) -> list[dict]:
        """One row per link element on every distinct final HTML 200 document, in document order.

        ``kinds`` selects rows by ``link_kind``; the default is the body links of kind a, area
        and image (what the crawler's e2e test compares), None returns every kind: also
        ``iframe``, ``canonical``, ``meta_refresh`` (tag link/meta, no position, region
        ``head``) and ``redirect`` (one row per distinct redirecting URL a robots-obeying
        crawler requests, target = the resolved Location, ``redirect_status`` 301/302).
        Further keys: ``link_kind``, ``region`` (header/nav/main/aside/footer/body; head;
        None for redirects), ``img_src``/``img_alt`` (image links only; alt cleaned like
        anchor text), ``title_attr``/``hreflang``/``target_attr`` (raw attribute values),
        ``redirect_status`` and ``follow_reason`` (rel_nofollow, rel_ugc, rel_sponsored,
        meta_robots, x_robots_tag or followed; first that applies).

        A document reached both directly and through redirects contributes its links once,
        with ``source_url`` = its final URL. Keys: ``source_url``, ``position``, ``tag``,
        ``target_url`` (WHATWG-normalized, no fragment; non-hierarchical hrefs as written),
        ``target_fragment``, ``target_scheme``, ``target_host``, ``referring_domain``,
        ``target_domain``, ``is_external``, ``anchor_text``, ``anchor_from_alt``, ``rel``,
        ``nofollow``, ``ugc``, ``sponsored``, ``follow``.
        """
        return [
            dict(row, rel=list(row["rel"]))
            for row in self._truth_rows()[1]
            if kinds is None or row["link_kind"] in kinds
        ]

    def ground_truth_anchor_classes(self) -> list[dict]:
        """One row per body link of kind a/area/image (as :meth:`ground_truth_links`): its
        ``source_url``, ``position``, ``target_domain``, ``anchor_text``, ``anchor_from_alt``
        and ``anchor_class``, the class the world built the anchor to have (README, Anchor
        classes: empty, image, naked_url, generic, branded, compound, exact, partial, other)."""
        rows = []
        for row in self.ground_truth_links():
            site = self.site(row["source_url"].split("/")[2])
            path = "/" + row["source_url"].split("/", 3)[3].split("?", 1)[0]
            link = self._model(site, path).links[row["position"]]
            rows.append({key: row[key] for key in ("source_url", "position", "target_domain", "anchor_text",
                                                    "anchor_from_alt")} | {"anchor_class": link.anchor_class})
        return rows

    def write_ground_truth(self, directory: str | Path) -> None:
        """Write ``links.jsonl`` and ``pages.jsonl`` into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        pages, links = self._truth_rows()
        for name, rows in (("pages.jsonl", pages), ("links.jsonl", links)):
            with (out / name).open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


class _PageBuilder:
    """Builds one page model: clean values first, then a noisy rendering of them."""

    def __init__(self, world: World, site: Site, path: str) -> None:
        self.world = world
        self.config = world.config
        self.site = site
        self.path = path
        self.k = 0 if path == "/" else world._page_number(path) or 0
        self.rng = random.Random(f"{self.config.seed}:{site.index}:{path}")
        self.parts: list[str | _Link] = []
        s, k = site.index, self.k
        # Feature schedule: fixed by (site, page) so every feature exists in every default world.
        self.encoding, self.charset_in_header, self.locale = "utf-8", (s + k) % 5 != 0, "en"
        if k == 2 and s % 4 in (0, 2):
            self.encoding, self.charset_in_header, self.locale = "windows-1251", s % 4 == 0, "ru"
        elif k == 3 and s % 6 == 1:
            self.encoding, self.charset_in_header, self.locale = "iso-8859-1", True, "fr"
        elif k == 7 and s % 8 == 3:
            self.encoding, self.charset_in_header, self.locale = "shift_jis", True, "ja"
        elif k == 8 and s % 8 == 6:
            self.encoding, self.charset_in_header, self.locale = "gb2312", False, "zh"
        self.lang: str | None = None if (s + k) % 7 == 3 else _LANG_ATTR[self.locale]
        self.region = "body"
        self.robots = _PAGE_ROBOTS[s % len(_PAGE_ROBOTS)] if k == 4 else None
        self.base_href: str | None = None
        if k == 5:
            self.base_href = f"http://{site.host}/section/" if s % 2 == 0 else "/section/"
        self.base_dir = "/section/" if self.base_href else "/"

    # ------------------------------------------------------------ rendering helpers

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def _noisy_text(self, clean: str) -> str:
        """Render ``clean`` so that decode + collapse whitespace + NFKC + trim gives it back."""
        rng = self.rng
        words = clean.split(" ")
        mode = rng.choices(
            ["plain", "entity", "fullwidth", "combining", "nested", "split"], [4, 3, 1, 1, 2, 1]
        )[0]
        rendered: list[str] = []
        for word in words:
            if mode == "fullwidth" and _FULLWIDTH_OK.fullmatch(word):
                rendered.append("".join(chr(ord(c) + 0xFEE0) for c in word))
            elif mode == "combining":
                rendered.append(html.escape("".join(_COMBINING.get(c, c) for c in word), quote=False))
            elif mode == "entity":
                rendered.append(
                    "".join(rng.choice(_CHARREFS[c]) if c in _CHARREFS else html.escape(c) for c in word)
                )
            else:
                rendered.append(html.escape(word, quote=False))
        if mode == "nested":
            i = rng.randrange(len(rendered))
            tag = rng.choice(["b", "em", "strong", 'span class="hl"'])
            rendered[i] = f"<{tag}>{rendered[i]}</{tag.split()[0]}>"
        elif mode == "split":
            candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
            if candidates:
                i = rng.choice(candidates)
                cut = len(words[i]) // 2
                rendered[i] = f"<span>{html.escape(words[i][:cut])}</span>{html.escape(words[i][cut:])}"
        separators = [" ", " ", " ", "  ", "\n", "\t", "\n      ", "&nbsp;"]
        if mode == "fullwidth":
            separators.append("\u3000")
        text = "".join(
            word if i == 0 else rng.choice(separators) + word for i, word in enumerate(rendered)
        )
        if rng.random() < 0.3:
            text = rng.choice(["\n  ", " ", "\t"]) + text + rng.choice(["\n", " ", ""])
        return text

    def _noisy_alt(self, clean: str) -> str:
        rng = self.rng
        words = [html.escape(word, quote=True) for word in clean.split(" ")]
        return "".join(
            word if i == 0 else rng.choice([" ", " ", "  ", "\n"]) + word for i, word in enumerate(words)
        )

    def _attr(self, name: str, value: str, upper: bool) -> str:
        name = name.upper() if upper else name
        roll = self.rng.random()
        if roll < 0.1 and value and _UNQUOTED_OK.fullmatch(value):
            return f"{name}={value}"
        if roll < 0.2:
            return f"{name}='{html.escape(value, quote=True)}'"
        return f'{name}="{html.escape(value, quote=True)}"'

    def _element(self, tag: str, attrs: list[tuple[str, str]], content: str | None) -> str:
        rng = self.rng
        upper = rng.random() < 0.06
        extra: list[tuple[str, str]] = []
        if tag == "a" and rng.random() < 0.25:
            picked = rng.choice([("class", "link"), ("title", "More"), ("target", "_blank")])
            if picked[0] not in {key for key, _ in attrs}:  # never a duplicate attribute
                extra.append(picked)
        self.last_attrs = dict(attrs + extra)
        ordered = attrs + extra
        if extra and rng.random() < 0.5:
            ordered = extra + attrs
        name = tag.upper() if upper else tag
        rendered = " ".join(self._attr(key, value, upper) for key, value in ordered)
        if content is None:
            return f"<{name} {rendered}>"
        return f"<{name} {rendered}>{content}</{name}>"

    def _rel(self, probability: float) -> tuple[str | None, list[str]]:
        if self.rng.random() < probability:
            raw, tokens = self.rng.choice(_REL_VARIANTS)
            return raw, list(tokens)
        return None, []

    def add_link(
        self,
        href: str,
        target: str | None,
        fragment: str | None,
        scheme: str,
        host: str | None,
        domain: str | None,
        text: str,
        *,
        content: str = "text",
        rel: tuple[str | None, list[str]] = (None, []),
        tag: str = "a",
        attrs_extra: tuple[tuple[str, str], ...] = (),
        anchor_class: str = "other",
    ) -> None:
        """Append one link element. ``content``: text | image | image_noalt | image_text.
        ``anchor_class``: what the text is, by construction, when it is neither empty nor alt."""
        rel_raw, rel_tokens = rel
        attrs = [("href", href)]
        if rel_raw is not None:
            attrs.append(("rel", rel_raw))
        attrs.extend(attrs_extra)
        self.last_attrs = dict(attrs)
        from_alt = False
        kind, img_alt = ("area" if tag == "area" else "a"), None
        if tag == "area":
            left = 60 * sum(1 for part in self.parts if isinstance(part, _Link) and part.tag == "area")
            attrs = [("shape", "rect"), ("coords", f"{left},0,{left + 60},40"), *attrs,
                     ("alt", self._noisy_alt(text))]
            element = self._area(attrs)
            from_alt = bool(text)
        else:
            ws = self.rng.choice(["", "\n  ", " "])
            if content == "image":
                inner = f'{ws}<img src="/logo.png" alt="{self._noisy_alt(text)}" width="120" height="40">{ws}'
                from_alt, kind, img_alt = bool(text), "image", text
            elif content == "image_noalt":
                inner, text, kind = f'{ws}<img src="/logo.png" width="16" height="16">{ws}', "", "image"
            elif content == "image_text":
                inner, kind, img_alt = f'<img src="/logo.png" alt="icon"> {self._noisy_text(text)}', "image", "icon"
            else:
                inner = self._noisy_text(text)
            element = self._element("a", attrs, inner)
        given = self.last_attrs
        self.parts.append(
            _Link(tag, element, target, fragment, scheme, host, domain, text, from_alt, rel_tokens,
                  kind=kind, region=self.region, img_src="/logo.png" if kind == "image" else None,
                  img_alt=img_alt, title_attr=given.get("title"), hreflang=given.get("hreflang"),
                  target_attr=given.get("target"),
                  anchor_class="empty" if not text else "image" if from_alt else anchor_class)
        )

    def _area(self, attrs: list[tuple[str, str]]) -> str:
        # alt is pre-rendered (already escaped), the other attributes are escaped here.
        rendered = []
        for key, value in attrs:
            if key == "alt":
                rendered.append(f'alt="{value}"')
            else:
                rendered.append(f'{key}="{html.escape(value, quote=True)}"')
        return f"<area {' '.join(rendered)}>"

    # ------------------------------------------------------------ link kinds

    def internal(
        self,
        target_path: str,
        text: str,
        *,
        form: str | None = None,
        query: str | None = None,
        fragment: str | None = None,
        rel: tuple[str | None, list[str]] = (None, []),
        content: str = "text",
        tag: str = "a",
        attrs_extra: tuple[tuple[str, str], ...] = (),
        anchor_class: str = "other",
    ) -> None:
        """Link to a path on this site written in one of many equivalent forms."""
        site, rng = self.site, self.rng
        if query:
            target_path = f"{target_path}?{query}"
        name = target_path[1:]
        forms = ["abs", "root", "root", "dotdot", "spaces"]
        if name and not name.startswith("?"):
            forms += ["rel", "rel", "dot", "detour"]
        elif self.base_dir == "/":
            forms.append("dot")
        form = form or rng.choice(forms)
        origin = site.origin
        if form == "abs":
            href, target = origin + target_path, origin + target_path
        elif form == "root":
            href, target = target_path, origin + target_path
        elif form == "spaces":
            href, target = target_path, origin + target_path
        elif form == "rel":
            href, target = name, origin + self.base_dir + name
        elif form == "dot":
            href, target = "./" + name, origin + self.base_dir + name
        elif form == "detour":
            href, target = "./x/../" + name, origin + self.base_dir + name
        elif form == "dotdot":
            href, target = "../" + name, origin + "/" + name  # both base dirs are at most one level deep
        else:
            raise ValueError(form)
        if fragment is not None:
            href += "#" + fragment
        if form == "spaces":
            href = f" {href}\t"  # the URL parser strips leading/trailing spaces and tabs
        self.add_link(href, target, fragment, "http", site.host, site.registrable_domain, text,
                      rel=rel, content=content, tag=tag, attrs_extra=attrs_extra, anchor_class=anchor_class)

    def random_internal(self, text: str | None = None, rel_probability: float = 0.1) -> None:
        rng = self.rng
        k = rng.randrange(self.config.pages_per_site)
        target = "/" if k == 0 else f"/page-{k}.html"
        query = rng.choice(_INTERNAL_QUERIES) if rng.random() < 0.12 else None
        fragment = rng.choice(_FRAGMENTS) if rng.random() < 0.12 else None
        content = rng.choices(["text", "image", "image_text", "image_noalt"], [20, 2, 2, 1])[0]
        self.internal(target, text or self.label(k), query=query, fragment=fragment,
                      rel=self._rel(rel_probability), content=content)

    def external(self, rel_probability: float = 0.3, text: str | None = None, tag: str = "a") -> None:
        """Link to a page of another site in the world, host written in varied forms."""
        rng, sites = self.rng, self.world.sites
        if len(sites) < 2:
            self.outside(rel_probability)
            return
        other = sites[rng.choice([i for i in range(self.config.sites) if i != self.site.index])]
        k = rng.randrange(self.config.pages_per_site)
        path = "/" if k == 0 else f"/page-{k}.html"
        style = rng.choices(
            ["plain", "upper", "port", "unicode", "protocol_relative", "upper_scheme", "no_slash"],
            [55, 10, 10, 8, 7, 5, 5],
        )[0]
        host = other.host
        if style == "upper":
            host = "".join(c.upper() if rng.random() < 0.5 else c for c in host)
            host = host if host != other.host else host.upper()
        href = f"http://{host}{path}"
        if style == "port":
            href = f"http://{host}:80{path}"
        elif style == "unicode":
            href = f"http://{other.unicode_host}{path}"
        elif style == "protocol_relative":
            href = f"//{host}{path}"
        elif style == "upper_scheme":
            href = f"HTTP://{host}{path}"
        elif style == "no_slash" and path == "/":
            href = f"http://{host}"
        fragment = rng.choice(_FRAGMENTS[:3]) if rng.random() < 0.1 else None
        if fragment is not None:
            href += "#" + fragment
        self.add_link(href, f"http://{other.host}{path}", fragment, "http", other.host, other.registrable_domain,
                      text or f"{other.name}: {self.label(k)}", rel=self._rel(rel_probability), tag=tag,
                      anchor_class="other" if text else "compound")  # brand name + a label

    def outside(self, rel_probability: float = 0.3, rel: tuple[str | None, list[str]] | None = None) -> None:
        """Link to a host outside the world (never fetched)."""
        href, target, fragment, scheme, host, domain = self.rng.choice(_OUTSIDE)
        self.add_link(href, target, fragment, scheme, host, domain, f"Partner {host}",
                      rel=rel if rel is not None else self._rel(rel_probability),
                      anchor_class="compound")  # "Partner" + a host name holding the brand label

    def mailto(self) -> None:
        href = f"mailto:info@{self.site.registrable_domain}"
        self.add_link(href, href, None, "mailto", None, None, "Write to us")

    def tel(self) -> None:
        href = f"tel:+44-20-7946-{self.site.index % 10000:04d}"
        self.add_link(href, href, None, "tel", None, None, "Call us")

    def javascript(self) -> None:
        self.add_link("javascript:void(0)", "javascript:void(0)", None, "javascript", None, None, "Open chat")

    def self_fragment(self, fragment: str, text: str) -> None:
        """A fragment-only href: it targets the document URL itself."""
        site = self.site
        self.add_link("#" + fragment, None, fragment, "http", site.host, site.registrable_domain, text)

    def label(self, k: int) -> str:
        if k == 0:
            return _HOME_LABEL[self.locale]
        labels = _LABELS[self.locale]
        return labels[(k + self.site.index) % len(labels)]

    def sentence(self) -> str:
        return html.escape(self.rng.choice(_SENTENCES[self.locale]))

    # ------------------------------------------------------------ page layout

    def build(self) -> _Page:
        site, k = self.site, self.k
        title = f"{site.name} — {'Home' if k == 0 else self.label(k)}"
        lang_attr = f' lang="{self.lang}"' if self.lang is not None else ""
        head = [f'<!DOCTYPE html>\n<html{lang_attr}>\n<head>\n']
        if not self.charset_in_header or self.encoding == "utf-8":
            head.append(f'<meta charset="{self.encoding}">\n')
        head.append(f"<title>{html.escape(title)}</title>\n")
        meta_nofollow = header_nofollow = noindex = False
        extra_headers: list[tuple[str, str]] = []
        if self.robots is not None:
            where, value, is_nofollow = self.robots
            noindex = "noindex" in value.lower()
            if where == "meta":
                name = "ROBOTS" if "NOFOLLOW" in value else "robots"
                head.append(f'<meta name="{name}" content="{value}">\n')
                meta_nofollow = is_nofollow
            else:
                extra_headers.append(("X-Robots-Tag", value))
                header_nofollow = is_nofollow
        elif k == 0 and site.index % 2:
            head.append('<meta name="robots" content="index, follow">\n')
        head.append('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
        canonical = f"http://{site.host}{self.path}"
        head.append(f'<link rel="canonical" href="{canonical}">\n')
        refresh = None
        if k == 6 and site.index % 4 == 1:
            head.append('<meta http-equiv="refresh" content="0; url=/page-1.html">\n')
            refresh = f"{site.origin}/page-1.html"
        if self.base_href:
            head.append(f'<base href="{self.base_href}">\n')
        head.append("</head>\n<body>\n")
        self.raw("".join(head))
        if k == 0:
            self._home_body()
        else:
            self._page_body()
        if k in (1, 6):
            main_rng, self.rng = self.rng, random.Random(f"{self.config.seed}:{site.index}:{self.path}:extra")
            self._region_block() if k == 1 else self._iframes()
            self.rng = main_rng
        if self.config.link_rot:
            from linkspider.web.targets import add_rot_links

            add_rot_links(self)
        self.raw("</body>\n</html>\n")
        content_type = "text/html"
        if self.charset_in_header:
            label = {"shift_jis": "Shift_JIS", "gb2312": "GB2312"}.get(self.encoding, self.encoding)
            content_type += f"; charset={label}"
        return _Page(self.encoding, content_type, meta_nofollow, header_nofollow, extra_headers, self.parts,
                     lang=self.lang, noindex=noindex, canonical_url=canonical, meta_refresh=refresh)

    def _region_block(self) -> None:
        """Links after the footer, outside every landmark element: ARIA roles and class/id names."""
        n = self.config.pages_per_site
        blocks = (
            ('<div role="navigation" class="quick-links">', "</div>", "nav", (("hreflang", "fr"),)),
            ('<div role="banner">', "</div>", "header", (("title", "Site banner"),)),
            ('<div role="contentinfo"><p>', "</p></div>", "footer", (("target", "_blank"),)),
            ('<div role="complementary">', "</div>", "aside", (("hreflang", "en-GB"), ("target", "_self"))),
            ('<div role="main"><div class="footer-note">', "</div></div>", "main", (("title", "Note"),)),
            ('<div class="site-footer">', "</div>", "footer", ()),
            ('<div id="sidebar"><p>', "</p></div>", "aside", (("title", "Related & more"),)),
            ('<ul class="menu"><li>', "</li></ul>", "nav", (("hreflang", "de"),)),
            ('<div class="masthead">', "</div>", "header", ()),
            ('<div class="promo-box"><p>', "</p></div>", "body", (("target", "_top"),)),
            ('<section class="teaser">', "</section>", "body", ()),
        )
        for i, (opening, closing, region, attrs) in enumerate(blocks):
            self.raw(opening)
            self.region = region
            target = 1 + (self.site.index + i) % (n - 1)
            self.internal(f"/page-{target}.html", self.label(target), attrs_extra=attrs,
                          rel=self._rel(0.2), content="image" if i % 5 == 4 else "text")
            self.region = "body"
            self.raw(closing + "\n")

    def _iframes(self) -> None:
        """``<iframe src>`` links: same site always, another site's home page on even sites."""
        site = self.site
        self.raw('<div class="embed">')
        self._iframe("/page-1.html", site.origin + "/page-1.html", site, "Embedded page")
        self.raw("</div>\n")
        if site.index % 2 == 0 and len(self.world.sites) > 1:
            other = self.world.sites[(site.index + 1) % len(self.world.sites)]
            self.raw('<div role="complementary">')
            self.region = "aside"
            self._iframe(f"http://{other.host}/", other.home_url, other, None)
            self.region = "body"
            self.raw("</div>\n")

    def _iframe(self, src: str, target: str, site: Site, title: str | None) -> None:
        title_html = f' title="{html.escape(title)}"' if title else ""
        element = f'<iframe src="{html.escape(src)}"{title_html} width="300" height="200"></iframe>'
        self.parts.append(_Link("iframe", element, target, None, "http", site.host, site.registrable_domain,
                                "", False, [], kind="iframe", region=self.region, title_attr=title,
                                anchor_class="empty"))

    def _header(self) -> None:
        site = self.site
        self.raw('<header class="site-header">\n')
        self.region = "header"
        if self.k == 0 or self.rng.random() < 0.6:
            self.internal("/", f"Logo of {site.name}", content="image", form=self.rng.choice(["root", "abs"]))
        else:
            self.internal("/", self.label(0))
        self.raw(' <a class="menu-toggle" role="button">Menu</a>\n</header>\n')
        self.region = "body"

    def _footer(self) -> None:
        rng = self.rng
        self.raw(f'<footer>\n<p>&copy; 2024 {html.escape(self.site.name)}. ')
        self.region = "footer"
        self.mailto()
        if self.k == 0 or rng.random() < 0.5:
            self.raw(" | ")
            self.tel()
        if self.k == 0 or rng.random() < 0.4:
            self.raw(" | ")
            self.javascript()
        self.raw("</p>\n</footer>\n")
        self.region = "body"

    def _home_body(self) -> None:
        site, n = self.site, self.config.pages_per_site
        self._header()
        self.raw("<nav>\n<ul>\n")
        self.region = "nav"
        for k in range(1, n):
            self.raw("<li>")
            self.internal(f"/page-{k}.html", self.label(k))
            self.raw("</li>\n")
        self.raw("</ul>\n</nav>\n<main>\n<a id=\"top\"></a>\n<article>\n")
        self.region = "main"
        self.raw(f"<h1>Welcome to {html.escape(site.name)}</h1>\n<p>{self.sentence()} ")
        self.internal("/old/page-1.html", "Old address of page 1", form="rel")
        self.raw(", ")
        self.internal(f"/go/{min(2, n - 1)}", "Short link")
        self.raw(", ")
        self.internal("/missing-1.html", "Broken link", form="root")
        self.raw(".</p>\n<p>Downloads: ")
        self.internal("/logo.png", "Our logo")
        self.raw(" ")
        self.internal("/report.pdf", "Annual report (PDF)")
        self.raw(" ")
        self.internal("/data.json", "Open data")
        self.raw("</p>\n<p>")
        self.internal("/private/", "Members area", form="root")
        self.raw(" ")
        self.internal("/private/secret.html", "Secret plans", form="abs")
        if World.has_loop(site):
            self.raw(" ")
            self.internal("/loop-a", "Endless redirect", form="root")
        self.raw("</p>\n<p>")
        # Fixed anchor-text oddities so each appears in every world.
        self._fixed_link("/page-1.html", "/page-1.html", None, "full width", "ｆｕｌｌ　ｗｉｄｔｈ")
        self.raw(" ")
        self._fixed_link("page-1.html#top", "/page-1.html", "top", "Books & Magazines", "Books &amp;\n  Magazines")
        self.raw(" ")
        self._fixed_link("./page-1.html?a=1&b=2", "/page-1.html?a=1&b=2", None, "Café menu",
                         "Caf&eacute;&nbsp;menu")
        self.raw(" ")
        self._fixed_link("/page-1.html#", "/page-1.html", "", "Résumé tips", "R&#233;sum&#233; <b>tips</b>")
        self.raw(" ")
        self._fixed_link("../page-1.html", "/page-1.html", None, "Best deals",
                         "\n\t<b>Best</b>   <span>deals</span>  ")
        self.raw(" ")
        self._fixed_link("/", "/", None, "Megastore", "<b>Mega</b>store")
        self.raw(" ")
        self.internal("/page-1.html", "Read more", content="image_text", form="root", anchor_class="generic")
        self.raw(" ")
        self.internal("/", "", content="image_noalt", form="abs")
        self.raw("</p>\n<p>")
        for _ in range(self.config.external_links_per_page):
            self.external(rel_probability=0.2)
            self.raw(" ")
        self.outside(rel=(None, []))
        self.raw("</p>\n")
        self.raw(f'<img src="/logo.png" usemap="#map-{site.index}" alt="Site map">\n')
        self.raw(f'<map name="map-{site.index}">\n')
        self.internal("/page-1.html", "Region one", tag="area", form="root")
        self.raw("\n")
        self.external(rel_probability=0.5, text="Partner region", tag="area")
        self.raw('\n<area shape="default" alt="No link here">\n</map>\n')
        self.raw("<!-- <a href=\"/page-1.html\">commented out</a> -->\n")
        self.raw("</article>\n</main>\n<aside>\n<h2>Partners</h2>\n<ul>\n")
        self.region = "aside"
        for raw, tokens in _REL_VARIANTS:
            self.raw("<li>")
            if self.rng.random() < 0.5:
                self.outside(rel=(raw, list(tokens)))
            else:
                self.internal(f"/page-{self.rng.randrange(1, n)}.html", "Sponsored offer", rel=(raw, list(tokens)))
            self.raw("</li>\n")
        self.raw("</ul>\n</aside>\n")
        self._footer()

    def _fixed_link(self, href: str, path: str, fragment: str | None, clean: str, inner: str) -> None:
        site = self.site
        element = f'<a href="{html.escape(href, quote=True)}">{inner}</a>'
        self.parts.append(_Link("a", element, site.origin + path, fragment, "http", site.host,
                                site.registrable_domain, clean, False, [], region=self.region))

    def _page_body(self) -> None:
        rng, k, n = self.rng, self.k, self.config.pages_per_site
        self._header()
        self.raw("<nav class=\"breadcrumbs\">\n<ul>\n")
        self.region = "nav"
        neighbours = [0, k - 1, (k + 1) % n] + rng.sample(range(n), min(2, n))
        for target in neighbours:
            self.raw("<li>")
            query = rng.choice(_INTERNAL_QUERIES) if rng.random() < 0.12 else None
            fragment = rng.choice(_FRAGMENTS) if rng.random() < 0.1 else None
            self.internal("/" if target == 0 else f"/page-{target}.html", self.label(target),
                          query=query, fragment=fragment)
            self.raw("</li>\n")
        self.raw("</ul>\n</nav>\n<main>\n<a id=\"top\"></a>\n<article>\n")
        self.region = "main"
        self.raw(f"<h1>{html.escape(self.label(k))}</h1>\n")
        if self.locale != "en":
            self.raw("<p>")
            self.internal("/page-1.html", _LABELS[self.locale][0])
            self.raw("</p>\n")
        externals = self.config.external_links_per_page
        for paragraph in range(rng.randint(2, 3)):
            self.raw(f"<p>{self.sentence()} ")
            for _ in range(rng.randint(1, 3)):
                self.random_internal(rel_probability=0.15)
                self.raw(f" {self.sentence()} ")
            share = externals if paragraph == 0 else 0
            for _ in range(share):
                self.external()
                self.raw(" ")
            if rng.random() < 0.4:
                self.outside()
            self.raw("</p>\n")
        if rng.random() < 0.3:
            self.raw("<script>var tpl = '<a href=\"/page-1.html\">not a link</a>';</script>\n")
        if self.base_href is None and rng.random() < 0.4:
            self.raw("<p>")
            self.self_fragment(rng.choice(["comments", "top", ""]), "Jump to comments")
            self.raw("</p>\n")
        self.raw("</article>\n</main>\n")
        self.region = "aside"
        if self.base_href is not None:
            self.raw("<aside>\n<p>")
            self.internal(f"/page-{1 + k % (n - 1)}.html", "See also", form="rel")
            self.raw(" ")
            self.internal(f"/page-{1 + (k + 1) % (n - 1)}.html", "Up one level", form="dotdot")
            self.raw("</p>\n</aside>\n")
        elif rng.random() < 0.5:
            self.raw("<aside>\n<h2>Comments</h2>\n<ul>\n")
            for _ in range(rng.randint(1, 3)):
                self.raw("<li>")
                if rng.random() < 0.5:
                    self.outside(rel=rng.choice(_REL_VARIANTS[:8]))
                else:
                    self.random_internal(rel_probability=0.8)
                self.raw("</li>\n")
            self.raw("</ul>\n</aside>\n")
        self._footer()

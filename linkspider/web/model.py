"""The generated web's model: its configuration, sites, page and link models, responses and
the constants every part of it shares (``linkspider.web.world`` builds and serves it)."""

from __future__ import annotations

import asyncio
import re
import struct
import zlib
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable

__all__ = ["ALL_LINK_KINDS", "BODY_LINK_KINDS", "Site", "WebResponse", "WorldConfig"]


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
    "de": ("Neuigkeiten", "Über uns", "Kontakt", "Veranstaltungen", "Öffnungszeiten", "Geschenkgutscheine",
           "Häufige Fragen"),
}
_HOME_LABEL = {"en": "Home", "ru": "Главная", "fr": "Accueil", "ja": "ホーム", "zh": "首页", "de": "Startseite"}
_LANG_ATTR = {"en": "en", "ru": "ru", "fr": "fr", "ja": "ja", "zh": "zh-CN", "de": "de"}
#: Sentences of the pages in a language other than their site's (``linkspider.web.subjects``
#: holds each site's own): the windows-1251, ISO-8859-1, Shift_JIS and GB2312 pages.
_SENTENCES: dict[str, tuple[str, ...]] = {
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
    #: Anchor class by construction (docs/analysis.md, Anchor classes), for ground_truth_anchor_classes.
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



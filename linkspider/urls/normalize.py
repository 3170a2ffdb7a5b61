"""URL rules: resolving hrefs as a browser does, and taking URLs apart.

Resolution follows the WHATWG URL standard through ``ada-url``: the host is lowercased and
IDNA-encoded to punycode, default ports are dropped, dot segments are resolved. Every function
here is pure and works on strings, so the crawl, the pipelines and the tests share one
definition of "the URL a link points to".
"""

from __future__ import annotations

from ada_url import join_url, normalize_url

#: Schemes whose URLs have a host (WHATWG "special" schemes); others (mailto:, tel:,
#: javascript:, data:) are recorded but have no host and are never fetched.
HIERARCHICAL_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss", "file"})
FETCHABLE_SCHEMES = frozenset({"http", "https"})


def resolve_href(href: str, base_url: str | None) -> str | None:
    """Return ``href`` resolved against ``base_url`` as a browser would, or None if invalid.

    With ``base_url`` None, ``href`` must be an absolute URL.

    >>> resolve_href("../b?q=1#top", "http://Example.COM:80/a/c")
    'http://example.com/b?q=1#top'
    """
    try:
        return join_url(base_url, href) if base_url is not None else normalize_url(href)
    except ValueError:
        return None


#: Charsets in which a link's query is plain UTF-8 (the URL standard's rule for UTF-16 too).
_UNICODE_CHARSETS = frozenset({"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be"})


def is_unicode_charset(encoding: str | None) -> bool:
    """Return True when a page in ``encoding`` (None: unknown) encodes link queries as UTF-8.

    >>> is_unicode_charset("UTF_8"), is_unicode_charset("cp1252")
    (True, False)
    """
    return encoding is None or encoding.lower().replace("_", "-") in _UNICODE_CHARSETS


def encode_query_for_document(href: str, encoding: str | None) -> str:
    """Return ``href`` with its query's non-ASCII characters percent-encoded in ``encoding``.

    Browsers encode the query of a link with the document's encoding (the path always with
    UTF-8); characters the encoding lacks become ``&#N;`` first. Hrefs that are ASCII, have no
    query, or sit in a UTF-8 page are returned unchanged.

    >>> encode_query_for_document("p.html?price=£32&µ=unit", "latin-1")
    'p.html?price=%A332&%B5=unit'
    >>> encode_query_for_document("#faq?é", "latin-1")  # a fragment is always UTF-8
    '#faq?é'
    """
    if href.isascii() or not encoding or "?" not in href or is_unicode_charset(encoding):
        return href
    before_hash, hash_sign, fragment = href.partition("#")
    if "?" not in before_hash:  # a "?" in the fragment starts no query
        return href
    head, _, query = before_hash.partition("?")
    encoded = "".join(
        ch if ch.isascii() else "".join(
            f"%{byte:02X}" for byte in ch.encode(encoding, errors="xmlcharrefreplace")
        )
        for ch in query
    )  # fmt: skip
    return f"{head}?{encoded}{hash_sign}{fragment}"


def document_base_url(page_url: str, base_href: str | None) -> str:
    """Return the URL that relative links on a page resolve against.

    That is the first ``<base href>`` resolved against the page URL when it is valid, else the
    page URL (HTML standard, "document base URL").
    """
    if base_href is None:
        return page_url
    return resolve_href(base_href, page_url) or page_url


def base_directory(base_url: str | None) -> str | None:
    """Return the part of an http(s) base URL that path-relative hrefs resolve against: the
    WHATWG-serialized URL up to the last ``/`` of its path; None for other URLs.

    Hrefs other than ``""``, ``?query`` and ``#fragment`` resolve alike against every base
    URL with the same directory, which lets resolved targets be shared between pages.

    >>> base_directory("HTTP://a.com/docs/page.html?x=/y#z")
    'http://a.com/docs/'
    >>> base_directory("http://a.com"), base_directory("mailto:x@a.com")
    ('http://a.com/', None)
    """
    if base_url is None:
        return None
    url = resolve_href(base_url, None)
    if url is None or not url.startswith(("http://", "https://")):
        return None
    path = url.partition("#")[0].partition("?")[0]
    return path[: path.rfind("/") + 1]


def split_fragment(url: str) -> tuple[str, str | None]:
    """Return ``(url_without_fragment, fragment)``; the fragment is None when there is no '#'.

    >>> split_fragment("http://a.com/x#top")
    ('http://a.com/x', 'top')
    """
    head, sep, fragment = url.partition("#")
    return (head, fragment) if sep else (url, None)


def url_scheme(url: str) -> str:
    """Return the scheme of an absolute, normalized URL, e.g. ``'mailto'``."""
    return url.partition(":")[0]


def url_host(url: str) -> str | None:
    """Return the host of a normalized absolute URL (no port, no userinfo), or None.

    Works on the serialized form ``ada`` produces, which is why plain string slicing is
    enough and several times faster than parsing again.

    >>> url_host("http://user@xn--bcher-kva.de:8080/x")
    'xn--bcher-kva.de'
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in HIERARCHICAL_SCHEMES:
        return None
    end = len(rest)
    for stop in "/?#":
        i = rest.find(stop)
        if i != -1 and i < end:
            end = i
    authority = rest[:end].rpartition("@")[2]
    if authority.startswith("["):
        return authority[: authority.find("]") + 1] or None
    return authority.partition(":")[0] or None

"""The HTTP ``Link:`` response header (RFC 8288) as link rows.

``parse_link_header`` is a pure function over the header's values: each link-value
``<url>; param=value; ...`` gives a :class:`HeaderLink`; a part it cannot read (no ``<url>``,
an unclosed ``<`` or quote) is skipped and counted, never raised. ``add_header_links`` appends
the links to an extracted page as rows of kind ``http_header``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from linkspider.extraction.page import ExtractedPage, append_link_row
from linkspider.urls.normalize import resolve_href

#: Most links read from one response's Link headers; the rest are counted as ignored.
MAX_HEADER_LINKS = 100


class HeaderLink(NamedTuple):
    """One link-value of a ``Link:`` header: the URL as written and its parameters."""

    href: str
    rel: str | None
    hreflang: str | None
    type: str | None
    media: str | None


def _split_outside(text: str, separator: str) -> list[str] | None:
    """Split ``text`` at ``separator`` outside ``<...>`` and double quotes; None when a ``<``
    or a quote is left open."""
    parts, start, in_url, in_quote, i = [], 0, False, False, 0
    while i < len(text):
        char = text[i]
        if in_quote:
            if char == "\\":
                i += 1
            elif char == '"':
                in_quote = False
        elif in_url:
            in_url = char != ">"
        elif char == '"':
            in_quote = True
        elif char == "<":
            in_url = True
        elif char == separator:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if in_url or in_quote:
        return None
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_link_value(part: str) -> HeaderLink | None:
    """Return the link of one link-value, or None when it is not one.

    >>> parse_link_value('<https://a.com/de>; rel="alternate"; hreflang=de')
    HeaderLink(href='https://a.com/de', rel='alternate', hreflang='de', type=None, media=None)
    >>> parse_link_value('rel=canonical') is None
    True
    """
    params = _split_outside(part, ";")
    if not params:
        return None
    target = params[0].strip()
    if len(target) < 2 or target[0] != "<" or target[-1] != ">":
        return None
    found: dict[str, str] = {}
    for param in params[1:]:
        name, equals, value = param.partition("=")
        name = name.strip().lower().rstrip("*")
        if name and equals and name not in found:  # RFC 8288: the first occurrence counts
            found[name] = _unquote(value)
    rel = " ".join(found.get("rel", "").split()) or None
    return HeaderLink(target[1:-1].strip(), rel, found.get("hreflang") or None,
                      found.get("type") or None, found.get("media") or None)  # fmt: skip


def parse_link_header(values: Iterable[str]) -> tuple[list[HeaderLink], int]:
    """Return the links of a response's ``Link:`` header values and how many parts were ignored
    (malformed, or past :data:`MAX_HEADER_LINKS`).

    >>> links, ignored = parse_link_header(['<https://a.com/>; rel="canonical", junk',
    ...                                     '</fr>; rel=alternate; hreflang="fr"'])
    >>> [(link.href, link.rel, link.hreflang) for link in links], ignored
    ([('https://a.com/', 'canonical', None), ('/fr', 'alternate', 'fr')], 1)
    """
    links: list[HeaderLink] = []
    ignored = 0
    for value in values:
        parts = _split_outside(value, ",")
        if parts is None:
            ignored += 1
            continue
        for part in parts:
            if not part.strip():
                continue
            link = parse_link_value(part)
            if link is None or len(links) >= MAX_HEADER_LINKS:
                ignored += 1
            else:
                links.append(link)
    return links, ignored


def add_header_links(page: ExtractedPage, page_url: str, values: Iterable[str]) -> int:
    """Append the links of ``values`` (the ``Link:`` headers of the response at ``page_url``) to
    ``page`` as ``http_header`` rows, their URLs resolved against ``page_url`` (RFC 8288: not
    against ``<base href>``); return how many parts were ignored."""
    links, ignored = parse_link_header(values)
    for link in links:
        href = resolve_href(link.href, page_url) or link.href
        append_link_row(page, "http_header", href, None, None, None, link.rel, link.hreflang,
                        link.type, link.media)  # fmt: skip
    page.header_links += len(links)
    return ignored


def header_canonical(page: ExtractedPage) -> int | None:
    """Return the position of the first ``rel=canonical`` row from the Link header, or None."""
    start = len(page.hrefs) - page.header_links
    for i in range(start, len(page.hrefs)):
        if "canonical" in (page.rels[i] or "").lower().split():
            return i
    return None

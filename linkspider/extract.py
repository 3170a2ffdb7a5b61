"""Link extraction: one HTML document in, its raw links and page facts out.

Parses once with selectolax's lexbor backend (an HTML5 parser, like a browser's, and many
times faster than lxml or Scrapy's LinkExtractor). Returns raw values as they stand in the
document - hrefs unresolved, anchor text with its whitespace - in plain column lists, so the
caller can resolve and normalize in bulk. Every ``<a href>`` and ``<area href>`` is a link,
whatever its scheme or rel: a backlink index records every link and says what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

LINK_SELECTOR = "a[href], area[href]"


@dataclass(slots=True)
class ExtractedPage:
    """What one HTML document says, before any normalization.

    The link fields are parallel lists, one entry per link in document order.
    """

    title: str | None = None
    base_href: str | None = None
    canonical_href: str | None = None
    meta_robots: str | None = None
    tags: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    alts: list[str | None] = field(default_factory=list)
    rels: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.hrefs)


def extract_page(html: str | bytes) -> ExtractedPage:
    """Return the links and page facts of an HTML document.

    ``alts`` holds the alt text that stands in for an empty anchor: an ``<area>``'s own alt, or
    the alt of the first ``<img>`` inside an ``<a>`` whose text is blank; otherwise None.

    >>> page = extract_page('<a href="/x" rel="NoFollow">Hi &amp; bye</a>')
    >>> page.hrefs, page.texts, page.rels
    (['/x'], ['Hi & bye'], ['NoFollow'])
    """
    tree = LexborHTMLParser(html)
    page = ExtractedPage()
    head = tree.head
    if head is not None:
        _read_head(head, page)
    # The HTML standard uses the first <base href> anywhere in the document.
    base = tree.css_first("base[href]")
    if base is not None:
        page.base_href = base.attributes.get("href")
    tags, hrefs, texts, alts, rels = page.tags, page.hrefs, page.texts, page.alts, page.rels
    for node in tree.css(LINK_SELECTOR):
        attrs = node.attributes
        tag = node.tag
        tags.append(tag)
        hrefs.append(attrs.get("href") or "")
        rels.append(attrs.get("rel"))
        if tag == "area":
            texts.append("")
            alts.append(attrs.get("alt"))
            continue
        text = node.text(deep=True)
        texts.append(text)
        if text.strip():
            alts.append(None)
        else:
            img = node.css_first("img[alt]")
            alts.append(img.attributes.get("alt") if img is not None else None)
    return page


def _read_head(head, page: ExtractedPage) -> None:
    """Fill the page-level facts found in ``<head>`` (title, canonical, robots)."""
    title = head.css_first("title")
    if title is not None:
        page.title = " ".join(title.text().split()) or None
    for link in head.css("link[rel][href]"):
        rel = (link.attributes.get("rel") or "").lower().split()
        if "canonical" in rel:
            page.canonical_href = link.attributes.get("href")
            break
    robots = [
        (meta.attributes.get("content") or "").strip()
        for meta in head.css("meta[name][content]")
        if (meta.attributes.get("name") or "").strip().lower() in ("robots", "linkspider")
    ]
    if robots:
        page.meta_robots = ", ".join(r for r in robots if r) or None

"""Link extraction: one HTML document in, its raw links and page facts out.

Parses once with selectolax's lexbor backend (an HTML5 parser, like a browser's, and many
times faster than lxml or Scrapy's LinkExtractor). Returns raw values as they stand in the
document - hrefs unresolved, anchor text with its whitespace - in plain column lists, so the
caller can resolve and normalize in bulk.

Every ``<a href>``, ``<area href>`` and ``<iframe src>`` in the body is a link, whatever its
scheme or rel (a backlink index records every link and says what it is), followed by the
page's head links (``<link rel=alternate|amphtml|next|prev>``: :data:`HEAD_LINK_KINDS`), its
``<link rel=canonical>`` and ``<meta http-equiv=refresh>`` targets. For each link the
extractor also reports where it sits (``region``, ``dom_path``) and the visible text around it
(``context_before``/``context_after``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

from linkspider.extraction.text import count_words, main_element, text_without_chrome, top_terms

BODY_LINK_SELECTOR = "a[href], area[href], iframe[src]"
_LINK_TAGS = frozenset({"a", "area", "iframe"})
CONTEXT_CHARS = 80

#: HTML5 landmark elements and ARIA landmark roles, and the region each one names.
LANDMARK_TAGS = {"header": "header", "nav": "nav", "main": "main", "aside": "aside",
                 "footer": "footer"}  # fmt: skip
LANDMARK_ROLES = {"banner": "header", "navigation": "nav", "main": "main",
                  "complementary": "aside", "contentinfo": "footer"}  # fmt: skip
#: Class and id names that mark a region when no landmark element or role does.
_NAME_REGION = re.compile(
    r"(?:^|[-_\s])(?:(footer?)|(nav|navbar|navigation|menu|mainmenu)|(sidebar)|(header|masthead))"
    r"(?:$|[-_\s\d])",
    re.I,
)
_NAME_REGIONS = ("footer", "nav", "aside", "header")

#: Elements whose text is not shown: left out of word counts and link contexts.
INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "title"]
_CAN_HIDE_LINKS = frozenset({"noscript", "template", "title"})
_SCAN_SELECTOR = ", ".join([BODY_LINK_SELECTOR, "a[href] img", "base[href]", *INVISIBLE_TAGS])
#: Elements whose text bounds a link's context.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header li main nav ol p pre section summary table "
    "td th ul".split()
)
# Private-use characters: they cannot clash with page text that matters.
_MARK_START, _MARK_END, _MARK_SEP = "\ue000", "\ue001", "\ue002"
# A marker, or what the slice's right edge left of one ("<end>1"); see _visible for the left.
_MARKER = re.compile("[\ue000\ue001][0-9]*\ue002?")
_LEADING_WORD, _TRAILING_WORD = re.compile(r"\S*"), re.compile(r"\S*\Z")
_SPAN = 3 * CONTEXT_CHARS  # raw text kept around a link: room for whitespace to collapse
#: A space before closing punctuation, as text joining leaves it.
_SPACE_BEFORE_CLOSING = re.compile(r" (?=[.,;:!?)\]])")
#: The kind of a ``<link>`` row by its rel token (the first that applies, in this order).
HEAD_LINK_KINDS = {"alternate": "alternate", "amphtml": "amphtml", "next": "pagination",
                   "prev": "pagination", "previous": "pagination"}  # fmt: skip
_REFRESH_URL = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S)


@dataclass(slots=True)
class ExtractedPage:
    """What one HTML document says, before any normalization.

    The link fields are parallel lists, one entry per link: body links in document order,
    then the head links (alternate, amphtml, pagination), the canonical and meta refresh
    targets, then the HTTP ``Link:`` header's links (``header_links`` of them, added by
    ``linkspider.extraction.headers.add_header_links``).
    """

    title: str | None = None
    lang: str | None = None
    base_href: str | None = None
    canonical_href: str | None = None
    meta_robots: str | None = None
    meta_refresh_href: str | None = None
    hreflang_alternates: list[tuple[str, str]] = field(default_factory=list)
    word_count: int = 0
    #: The main text's most frequent terms and their counts (``linkspider.extraction.text``);
    #: None until ``fill_link_contexts`` runs with ``text=True``.
    main_terms: list[tuple[str, int]] | None = None
    kinds: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    alts: list[str | None] = field(default_factory=list)
    img_srcs: list[str | None] = field(default_factory=list)
    img_alts: list[str | None] = field(default_factory=list)
    rels: list[str | None] = field(default_factory=list)
    title_attrs: list[str | None] = field(default_factory=list)
    hreflangs: list[str | None] = field(default_factory=list)
    target_attrs: list[str | None] = field(default_factory=list)
    #: The type and media attributes of ``<link>`` and Link-header rows; None for body links.
    type_attrs: list[str | None] = field(default_factory=list)
    media_attrs: list[str | None] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    dom_paths: list[str | None] = field(default_factory=list)
    contexts_before: list[str | None] = field(default_factory=list)
    contexts_after: list[str | None] = field(default_factory=list)
    positions: list[int | None] = field(default_factory=list)
    #: Body links past ``max_links`` that were left out (0: none).
    links_cut: int = 0
    #: Link rows from the HTTP ``Link:`` header, the last ones (0: none).
    header_links: int = 0
    # <link> elements of the head other than the canonical: (kind, href, rel, hreflang, type, media).
    _head_links: list[tuple[str, str, str, str | None, str | None, str | None]] = field(
        default_factory=list, repr=False, compare=False)
    # The parsed document and its body link nodes, kept until fill_link_contexts runs.
    _tree: LexborHTMLParser | None = field(default=None, repr=False, compare=False)
    _nodes: list[LexborNode] = field(default_factory=list, repr=False, compare=False)
    _hidden: list[LexborNode] = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.hrefs)

    @property
    def canonical_at(self) -> int | None:
        """Return the position of the canonical link in the link lists, or None: after the
        body links, before the meta refresh target (see ``extract_page``)."""
        if self.canonical_href is None:
            return None
        return len(self.hrefs) - 1 - (self.meta_refresh_href is not None) - self.header_links

    @property
    def meta_refresh_at(self) -> int | None:
        """Return the position of the meta refresh link in the link lists, or None."""
        if self.meta_refresh_href is None:
            return None
        return len(self.hrefs) - 1 - self.header_links


def extract_page(html: str | bytes, context: str | None = "all",
                 max_links: int | None = None) -> ExtractedPage:  # fmt: skip
    """Return the links and page facts of an HTML document.

    ``alts`` holds the alt text that stands in for an empty anchor: an ``<area>``'s own alt, or
    the alt of the first ``<img>`` inside an ``<a>`` whose text is blank; otherwise None.
    ``context="all"`` fills every link's context and the word count; ``"none"`` skips that
    work; ``None`` defers it to ``fill_link_contexts`` (the crawl picks links once resolved).
    ``max_links`` bounds the body links kept (the first ones, in document order); how many
    were left out is ``links_cut``.

    >>> page = extract_page('<a href="/x" rel="NoFollow">Hi &amp; bye</a>')
    >>> page.hrefs, page.texts, page.rels, page.kinds, page.regions
    (['/x'], ['Hi & bye'], ['NoFollow'], ['a'], ['body'])
    """
    tree = LexborHTMLParser(html)
    page = ExtractedPage()
    root = tree.root
    if root is not None:
        page.lang = (root.attributes.get("lang") or "").strip() or None
    head = tree.head
    if head is not None:
        _read_head(head, page)
    # One pass over the document finds the links, the images inside links, the <base> and
    # the invisible elements (each further query would walk the whole tree again).
    nodes, tags, images, hidden = [], [], [], []
    select = _selector().find
    for node in (select(_SCAN_SELECTOR, root) if root is not None else ()):
        tag = node.tag
        if tag in _LINK_TAGS:
            nodes.append(node)
            tags.append(tag)
        elif tag == "img":
            images.append(node)
        elif tag == "base":
            # The HTML standard uses the first <base href> anywhere in the document.
            if page.base_href is None:
                page.base_href = node.attributes.get("href")
        else:
            hidden.append(node)
    if max_links is not None and len(nodes) > max_links:
        page.links_cut = len(nodes) - max_links
        del nodes[max_links:], tags[max_links:]
    ancestry = _Ancestry()
    _read_body_links(nodes, tags, _first_images(images), ancestry, page)
    page.contexts_before.extend([None] * len(nodes))
    page.contexts_after.extend([None] * len(nodes))
    page.type_attrs.extend([None] * len(nodes))
    page.media_attrs.extend([None] * len(nodes))
    page._tree, page._nodes, page._hidden = tree, nodes, hidden
    for kind, href, rel, hreflang, type_, media in page._head_links:
        append_link_row(page, kind, href, "link", "head", "head>link", rel, hreflang, type_, media)
    for kind, href in (("canonical", page.canonical_href), ("meta_refresh", page.meta_refresh_href)):
        if href is not None:
            _append_head_link(page, kind, href)
    if context == "all":
        fill_link_contexts(page, range(len(nodes)))
    elif context == "none":
        fill_link_contexts(page, ())
    return page


def _selector() -> LexborCSSSelector:
    """Return this thread's CSS selector engine.

    ``node.css`` builds a selector engine (a CSS parser and a matcher) for every document;
    one per thread serves every document instead (selectolax's engine is not thread-safe).
    """
    try:
        return _local.selector
    except AttributeError:
        _local.selector = LexborCSSSelector()
        return _local.selector


_local = threading.local()


def fill_link_contexts(page: ExtractedPage, indices: Iterable[int], text: bool = True) -> None:
    """Fill the context of the body links at ``indices`` and, with ``text``, the page's word
    count and main terms (``linkspider.extraction.text``).

    A link's context is the visible text around it inside its nearest block element (the next
    block up when that holds nothing but the link, twice at most). Links inside invisible
    elements (script, template, noscript) keep None. Releases the parsed document.
    """
    tree, nodes, hidden = page._tree, page._nodes, page._hidden
    if tree is None:
        return
    page._tree, page._nodes, page._hidden = None, [], []
    # Only these can hold elements (script and style hold raw text; the parser moves links
    # out of <head>).
    inside = {link.mem_id for element in hidden if element.tag in _CAN_HIDE_LINKS
              and _has_elements(element)
              for link in _selector().find(BODY_LINK_SELECTOR, element)}  # fmt: skip
    # Only body links have a node (and a context): canonical and meta refresh rows come after.
    body = len(nodes)
    indices = [i for i in indices if i < body]
    visible = [i for i in indices if nodes[i].mem_id not in inside] if inside else indices
    # Detached, not freed: the document's memory goes at once when the tree is released.
    for node in hidden:
        node.decompose(recursive=False)
    body = tree.body
    if body is None:
        return
    main = None
    if text:
        body_text = body.text(deep=True, separator=" ")
        page.word_count = count_words(body_text)
        element = main_element(body, _selector().find)
        if element is not None:  # read before the contexts put their markers in the tree
            main = element.text(deep=True, separator=" ")
    if visible:
        _read_contexts(nodes, visible, page)
    if text:
        if main is None:  # markers are words of their own (no terms: digits and marks)
            main = text_without_chrome(body, _selector().find, _region_named, body_text)
        page.main_terms = top_terms(main)


def _has_elements(node: LexborNode) -> bool:
    """Return False for an element that holds nothing or only text (a ``<title>`` in the
    head, always), which no query needs to search."""
    child = node.child
    return child is not None and (child.tag != "-text" or child.next is not None)


def _read_head(head: LexborNode, page: ExtractedPage) -> None:
    """Fill the page-level facts found in ``<head>`` (one query for all of them)."""
    robots = []
    for node in _selector().find("title, link[rel][href], meta[content]", head):
        tag = node.tag
        if tag == "title":
            if page.title is None:
                page.title = " ".join(node.text().split()) or None
            continue
        attrs = node.attributes
        if tag == "link":
            rel = (attrs.get("rel") or "").lower().split()
            if "canonical" in rel:
                if page.canonical_href is None:
                    page.canonical_href = attrs.get("href")
                continue
            kind = next((HEAD_LINK_KINDS[t] for t in rel if t in HEAD_LINK_KINDS), None)
            if kind is None:
                continue  # stylesheets, icons, preloads: not links to pages
            hreflang = (attrs.get("hreflang") or "").strip() or None
            if kind == "alternate" and hreflang:
                page.hreflang_alternates.append((hreflang, attrs.get("href") or ""))
            page._head_links.append((kind, attrs.get("href") or "", attrs.get("rel") or "", hreflang,
                                     attrs.get("type"), attrs.get("media")))  # fmt: skip
            continue
        name = (attrs.get("name") or "").strip().lower()
        if name in ("robots", "linkspider"):
            robots.append((attrs.get("content") or "").strip())
        elif (attrs.get("http-equiv") or "").strip().lower() == "refresh":
            match = _REFRESH_URL.match(attrs.get("content") or "")
            if match and match.group(2) and page.meta_refresh_href is None:
                page.meta_refresh_href = match.group(2)
    if robots:
        page.meta_robots = ", ".join(r for r in robots if r) or None


def _first_images(images: list[LexborNode]) -> dict[int, LexborNode]:
    """Return the first of ``images`` inside each link, keyed by the link's ``mem_id``."""
    first: dict[int, LexborNode] = {}
    for img in images:
        parent = img.parent
        while parent is not None and parent.tag != "a":
            parent = parent.parent
        if parent is not None and parent.mem_id not in first:
            first[parent.mem_id] = img
    return first


def _read_body_links(
    nodes: list[LexborNode], node_tags: list[str], images: dict[int, LexborNode],
    ancestry: _Ancestry, page: ExtractedPage,
) -> None:
    # The hot loop of a crawl (hundreds of links per page): bound methods, one attribute
    # read per node, and the parent's path and region looked up once per parent element.
    kinds, hrefs, texts = page.kinds.append, page.hrefs.append, page.texts.append
    alts, img_srcs, img_alts = page.alts.append, page.img_srcs.append, page.img_alts.append
    rels, titles, hreflangs = page.rels.append, page.title_attrs.append, page.hreflangs.append
    targets, regions, paths = page.target_attrs.append, page.regions.append, page.dom_paths.append
    facts, memo = ancestry.facts, ancestry.memo
    page.positions.extend(range(len(nodes)))
    page.tags.extend(node_tags)
    for node, tag in zip(nodes, node_tags):
        attrs = node.attributes
        rels(attrs.get("rel"))
        titles(attrs.get("title"))
        hreflangs(attrs.get("hreflang"))
        targets(attrs.get("target"))
        parent = node.parent
        known = memo.get(parent.mem_id) if parent is not None else None
        _, prefix, _, _, region = known or facts(parent)
        regions(region)
        step = _step(tag, attrs) if "id" in attrs or "class" in attrs else tag
        paths(f"{prefix}>{step}" if prefix else step)
        if tag == "iframe":
            kinds("iframe")
            hrefs(attrs.get("src") or "")
            texts("")
            alts(None)
            img_srcs(None)
            img_alts(None)
            continue
        hrefs(attrs.get("href") or "")
        if tag == "area":
            kinds("area")
            texts("")
            alts(attrs.get("alt"))
            img_srcs(None)
            img_alts(None)
            continue
        text = node.text(deep=True)
        texts(text)
        img = images.get(node.mem_id) if images else None
        if img is None:
            kinds("a")
            alts(None)
            img_srcs(None)
            img_alts(None)
        else:
            img_attrs = img.attributes
            kinds("image")
            img_srcs(img_attrs.get("src"))
            img_alts(img_attrs.get("alt"))
            alts(img_attrs.get("alt") if not text.strip() else None)


def _append_head_link(page: ExtractedPage, kind: str, href: str) -> None:
    tag = "link" if kind == "canonical" else "meta"
    append_link_row(page, kind, href, tag, "head", f"head>{tag}")


def append_link_row(
    page: ExtractedPage, kind: str, href: str, tag: str | None, region: str | None,
    dom_path: str | None, rel: str | None = None, hreflang: str | None = None,
    type_: str | None = None, media: str | None = None,
) -> None:
    """Append one link row that is no body link (no position, text or context)."""
    page.kinds.append(kind)
    page.tags.append(tag)  # type: ignore[arg-type]
    page.hrefs.append(href)
    page.positions.append(None)
    for column in (page.alts, page.img_srcs, page.img_alts, page.title_attrs, page.target_attrs,
                   page.contexts_before, page.contexts_after):
        column.append(None)  # fmt: skip
    page.rels.append(rel)
    page.hreflangs.append(hreflang)
    page.type_attrs.append(type_)
    page.media_attrs.append(media)
    page.texts.append("")
    page.regions.append(region)  # type: ignore[arg-type]
    page.dom_paths.append(dom_path)


#: Elements a dom path names, the link's own step included.
DOM_PATH_LEVELS = 4
_TOP = ((), "", None, None, "body")


class _Ancestry:
    """Per-document memo of what each element gives the links inside it: the last steps of
    their dom path and their region.

    Each element is read once, from its parent's memo entry, however many links sit under it:
    a link costs one parent lookup instead of a walk up the tree.
    """

    def __init__(self, levels: int = DOM_PATH_LEVELS) -> None:
        self.keep = max(levels - 1, 0)
        # mem_id -> (steps, joined steps, landmark region, name region, region)
        self.memo: dict[int, tuple[tuple[str, ...], str, str | None, str | None, str]] = {}

    def facts(self, node: LexborNode | None) -> tuple[tuple[str, ...], str, str | None, str | None, str]:
        """Return ``(steps, 'a>b>c', landmark, named, region)`` for the links inside ``node``.

        ``steps`` are the last ``levels - 1`` path steps down to ``node`` (none above body);
        the region is the innermost landmark element or ARIA role, else the innermost class/id
        name (footer, nav, menu, sidebar, header), else ``body``.
        """
        memo = self.memo
        chain = []
        cached = _TOP
        while node is not None:
            key = node.mem_id
            hit = memo.get(key)
            if hit is not None:
                cached = hit
                break
            tag = node.tag
            if tag in ("html", "-document", None):
                memo[key] = _TOP
                break
            chain.append((key, tag, node))
            node = node.parent
        steps, _, landmark, named, _ = cached
        keep = self.keep
        for key, tag, element in reversed(chain):
            attrs = element.attributes
            if attrs:
                step = _step(tag, attrs)
                role = attrs.get("role")
                own = LANDMARK_ROLES.get(role.strip().lower()) if role else None
                own = own or LANDMARK_TAGS.get(tag)
                if own is None:
                    named = _region_from_names(attrs) or named
            else:  # most list items, paragraphs and spans: the tag says it all
                step = tag
                own = LANDMARK_TAGS.get(tag)
            if own is not None:
                landmark = own
            steps = (step,) if tag == "body" else (*steps, step)[-keep:] if keep else ()
            cached = memo[key] = (steps, ">".join(steps), landmark, named,
                                  landmark or named or "body")  # fmt: skip
        return cached


def _step(tag: str, attrs: dict) -> str:
    """Return one dom path step: the tag with its id, else with its first class."""
    element_id = attrs.get("id")
    if element_id:
        return f"{tag}#{element_id.strip()}"
    classes = attrs.get("class")
    if classes:
        first = _first_class(classes)
        if first:
            return f"{tag}.{first}"
    return tag


# A site's pages repeat a few class and id values over and over: each is read once.
@lru_cache(maxsize=16_384)
def _first_class(classes: str) -> str:
    names = classes.split(maxsplit=1)
    return names[0] if names else ""


def dom_path(node: LexborNode, levels: int = DOM_PATH_LEVELS) -> str:
    """Return a short CSS-like path to ``node``: its last ``levels`` elements, e.g.
    ``nav#menu>ul>li>a``; each step is the tag with its id, else its first class."""
    if node.tag in ("html", "-document") or levels < 1:
        return ""
    step = _step(node.tag or "", node.attributes)
    if node.tag == "body":
        return step
    prefix = _Ancestry(levels).facts(node.parent)[1]
    return f"{prefix}>{step}" if prefix else step


def _region_from_names(attrs: dict) -> str | None:
    for value in (attrs.get("id"), attrs.get("class")):
        if value:
            region = _region_named(value)
            if region is not None:
                return region
    return None


@lru_cache(maxsize=16_384)
def _region_named(value: str) -> str | None:
    match = _NAME_REGION.search(value)
    return _NAME_REGIONS[match.lastindex - 1] if match else None  # type: ignore[operator]


def _read_contexts(nodes: list[LexborNode], indices: list[int], page: ExtractedPage) -> None:
    """Set the context of the links at ``indices`` (see ``fill_link_contexts``).

    Marker characters are put around each such link, so the block's text (one C-level call)
    shows exactly where the link starts and ends, repeated anchor texts included.
    """
    marks = [(i, f"{_MARK_START}{i}{_MARK_SEP}", f"{_MARK_END}{i}{_MARK_SEP}") for i in indices]
    for i, start_mark, end_mark in marks:
        nodes[i].insert_before(start_mark)
        nodes[i].insert_after(end_mark)
    block_texts: dict[int, str] = {}
    for i, start_mark, end_mark in marks:
        before = after = ""
        block = nodes[i].parent
        for _ in range(3):
            while block is not None and block.tag not in _BLOCK_TAGS:
                block = block.parent
            if block is None:
                break
            text = block_texts.get(block.mem_id)
            if text is None:
                text = block_texts[block.mem_id] = block.text(deep=True, separator=" ")
            start = text.find(start_mark)
            end = text.find(end_mark, start) + len(end_mark)
            low, high = max(0, start - _SPAN), end + _SPAN
            before = _visible(text[low:start], cut_left=low > 0 and not text[low - 1].isspace())
            after = _visible(text[end:high], cut_right=high < len(text) and not text[high].isspace())
            if before or after or block.tag == "body":
                break
            block = block.parent
        page.contexts_before[i] = _last_words(before, CONTEXT_CHARS)
        page.contexts_after[i] = _first_words(after, CONTEXT_CHARS)


def _visible(raw: str, cut_left: bool = False, cut_right: bool = False) -> str:
    """Return a slice of block text without markers, tidied; ``cut_left``/``cut_right`` say
    the slice's edge fell inside a word, which is then left out."""
    if not raw or raw.isspace():
        return ""
    if _MARK_SEP in raw or _MARK_START in raw or _MARK_END in raw:
        head, sep, rest = raw.partition(_MARK_SEP)
        if sep and (not head or head.isdigit()):  # a marker cut by the slice's left edge
            raw, cut_left = rest, False
        raw = _MARKER.sub(" ", raw)
    if cut_left and not raw[0].isspace():
        raw = raw[_LEADING_WORD.match(raw).end():]  # type: ignore[union-attr]
    if cut_right and raw and not raw[-1].isspace():
        raw = raw[: _TRAILING_WORD.search(raw).start()]  # type: ignore[union-attr]
    return _tidy(raw)


def _last_words(text: str, limit: int) -> str:
    """Return the end of tidied ``text``, at most ``limit`` characters, from a word's start
    (cut inside a word only when one word is longer than ``limit``)."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    if text[-limit - 1] != " ":  # the cut fell inside a word: drop it unless it is too long
        space = tail.find(" ")
        word_start = text.rfind(" ", 0, len(text) - limit) + 1
        if space != -1 and len(text) - limit + space - word_start <= limit:
            tail = tail[space + 1 :]
    return tail.lstrip()


def _first_words(text: str, limit: int) -> str:
    """Return the start of tidied ``text``, at most ``limit`` characters, to a word's end."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if text[limit] != " ":  # the cut fell inside a word: drop it unless it is too long
        space = head.rfind(" ")
        word_end = text.find(" ", limit)
        if space != -1 and (word_end if word_end != -1 else len(text)) - space - 1 <= limit:
            head = head[:space]
    return head.rstrip()


def _tidy(text: str) -> str:
    """Return ``text`` with whitespace collapsed and no space before closing punctuation or
    after an opening bracket."""
    text = " ".join(text.split())
    # Three plain passes beat one regex with a lookbehind alternative by half.
    if "( " in text:
        text = text.replace("( ", "(")
    if "[ " in text:
        text = text.replace("[ ", "[")
    return _SPACE_BEFORE_CLOSING.sub("", text)

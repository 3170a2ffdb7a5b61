"""Nesting cap: flatten a document's elements beyond a depth, before the HTML parser sees it.

An HTML5 parser does work proportional to the depth of the tree for many start tags (lexbor,
like the standard, looks down the stack of open elements for a ``<p>`` to close on every
``<div>``), so a page of N nested ``<div>`` costs O(N^2): 0.1 s at 10,000, 30 s at 100,000.
Browsers cap the depth of the tree they build (Chromium and WebKit at 512, beyond which new
elements become siblings). :func:`cap_nesting` does the equivalent on the markup: it follows
the stack of open elements with the tree builder's rules (void elements, end tags, the
implied ends of ``p``, ``li``, table cells and the like), and once the stack is
``max_depth`` deep it drops further start tags and their end tags, keeping their text and the
link tags (``<a>``, ``<area>``, ``<iframe>``, ``<img>``, ``<base>``), so the links of a
page over the cap are still found (``region`` and ``dom_path`` then stop at the cap).

Where the scan cannot tell what the parser will do, it assumes the deeper tree (it counts
tags in attribute values and in foreign content's script, never skips what a parser might
read as markup), so the parsed tree is never deeper than the cap by more than the few
elements a parser inserts itself (``<tbody>``, reconstructed formatting elements).
Documents with fewer than ``SCAN_ABOVE_TAGS`` ``<`` are returned as they are: that few tags
cannot cost more than a few milliseconds however they nest.

The scan runs in C when the ``_nestscan`` extension is built (``pip install -e .`` builds it
where a C compiler is found; ``python setup.py build_ext --inplace`` in a checkout): the same
walk, token for token, at about 30 times the speed, so an ordinary page pays a few
percent of its CPU for the cap instead of doubling it. The C pass only measures; a document it
finds over the cap (or with a ``<select>`` over ``MAX_SELECT_OPTIONS``) is scanned again here,
which does the cutting. Without the extension, and for ``str`` documents that are not ASCII
(their tag names lowered by Unicode rules), the Python scan does it all.
"""

from __future__ import annotations

import re
from typing import NamedTuple, TypeVar

try:
    from linkspider.extraction import _nestscan
except Exception:  # noqa: BLE001 - not built (no C compiler), or an egg's loader stub that
    _nestscan = None  # cannot extract it (Scrapyd): the Python scan does it all

#: Depth of the element tree browsers build at most (Chromium's
#: ``kMaximumHTMLParserDOMTreeDepth``, WebKit's ``maximumHTMLParserDOMTreeDepth``).
MAX_NESTING_DEPTH = 512
#: Documents with fewer ``<`` than this are parsed as they are (worst case ~0.1 s, bench).
SCAN_ABOVE_TAGS = 4096
#: Options one ``<select>`` keeps: lexbor's cost is quadratic in them (0.7 s for 10,000,
#: 16 s for 40,000, however flat); the tags of further ones are dropped, their text kept.
MAX_SELECT_OPTIONS = 1000
#: How far down the stack an implied end looks for the element it closes.
_WALK = 64

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param "
    "source track wbr".split()
)
#: Kept beyond the cap: the elements links are read from (none of them nests).
_KEPT = frozenset({"a", "area", "iframe", "img", "base"})
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea",
                       "title", "plaintext"})  # fmt: skip
_FOREIGN = frozenset({"svg", "math"})
#: Never on the stack as counted here (a document always has them).
_ROOTS = frozenset({"html", "head", "body"})
#: The HTML standard's "special" elements: an end tag of another element stops at them.
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button caption "
    "center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form "
    "frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li "
    "link listing main marquee menu meta nav noembed noframes noscript object ol p param "
    "plaintext pre script search section select source style summary table tbody td template "
    "textarea tfoot th thead title tr track ul wbr xmp mi mo mn ms mtext annotation-xml "
    "foreignobject desc".split()
)
#: End tags that close their element through everything above it, within a scope.
_BLOCK_END = frozenset(
    "address article aside blockquote button center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup listing main menu nav ol pre search section summary "
    "ul h1 h2 h3 h4 h5 h6 li dd dt p form".split()
)
_SCOPE = frozenset({"applet", "caption", "html", "table", "td", "th", "marquee", "object",
                    "template", "svg", "math", "foreignobject", "desc"})  # fmt: skip
#: Start tags that close an open ``<p>`` first.
_CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 "
    "h6 pre listing form plaintext table hr xmp li dd dt".split()
)
#: A start tag that closes the open element(s) named here, as far down as ``_WALK``, unless
#: one of the barrier elements comes first.
_CLOSES = {
    "li": ({"li"}, _SPECIAL - {"address", "div", "p"}),
    "dd": ({"dd", "dt"}, _SPECIAL - {"address", "div", "p"}),
    "dt": ({"dd", "dt"}, _SPECIAL - {"address", "div", "p"}),
    "td": ({"td", "th"}, {"table"}),
    "th": ({"td", "th"}, {"table"}),
    "tr": ({"tr"}, {"table"}),
    "tbody": ({"tbody", "thead", "tfoot"}, {"table"}),
    "thead": ({"tbody", "thead", "tfoot"}, {"table"}),
    "tfoot": ({"tbody", "thead", "tfoot"}, {"table"}),
    "option": ({"option"}, {"select"}),
    "optgroup": ({"option", "optgroup"}, {"select"}),
    "a": ({"a"}, _SPECIAL),
    "button": ({"button"}, _SCOPE),
    "nobr": ({"nobr"}, _SPECIAL),
    **{f"h{n}": ({f"h{k}" for k in range(1, 7)}, _SPECIAL) for n in range(1, 7)},
}

_TOKEN_PATTERN = (
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"  # a comment, as the tokenizer ends it
    r"|<[!?][^>]*>?"  # doctype, bogus comment
    r"|</(?![A-Za-z])[^>]*>?"  # </ not followed by a letter: a bogus comment
    r"|<(/?)([A-Za-z][^\t\n\f\r />]*)[^>]*>?"  # a start or end tag
)
_TOKEN_STR = re.compile(_TOKEN_PATTERN, re.S)
_TOKEN_BYTES = re.compile(_TOKEN_PATTERN.encode(), re.S)

Document = TypeVar("Document", str, bytes)


class CappedDocument(NamedTuple):
    """A document with its elements beyond the cap flattened."""

    html: str | bytes
    #: Start and end tags dropped (0: the document is returned as it was).
    dropped_tags: int
    #: Deepest stack of open elements the scan saw (before the cap); 0 when not scanned.
    depth_seen: int


def cap_nesting(html: Document, max_depth: int = MAX_NESTING_DEPTH,
                tags: int | None = None) -> CappedDocument:  # fmt: skip
    """Return ``html`` with elements nested deeper than ``max_depth`` flattened (see module doc).

    ``tags`` is the count of ``<`` in ``html`` when the caller has it.

    >>> capped = cap_nesting("<div>" * 6000 + "<a href=/x>x</a>", max_depth=512)
    >>> capped.dropped_tags, capped.html.count("<div>"), "<a href=/x>" in capped.html
    (5488, 512, True)
    """
    text = isinstance(html, str)
    if tags is None:
        tags = html.count("<" if text else b"<")
    if tags < SCAN_ABOVE_TAGS:
        return CappedDocument(html, 0, 0)
    if _nestscan is not None and (not text or html.isascii()):
        deepest = _nestscan.depth(html.encode("ascii") if text else html, max_depth,
                                  MAX_SELECT_OPTIONS, _WALK)  # fmt: skip
        if deepest >= 0:  # nothing to cut
            return CappedDocument(html, 0, deepest)
    return scan_and_cut(html, max_depth)


def scan_and_cut(html: Document, max_depth: int = MAX_NESTING_DEPTH) -> CappedDocument:
    """Return ``html`` capped by the Python scan, whatever its size (``cap_nesting``'s work).

    >>> scan_and_cut("<div><div><a href=/x>x</a></div></div>", max_depth=1).dropped_tags
    2
    """
    text = isinstance(html, str)
    token = _TOKEN_STR if text else _TOKEN_BYTES
    decode = (lambda s: s) if text else (lambda s: s.decode("latin-1"))
    stack: list[str] = []
    open_count: dict[str, int] = {}
    dropped: dict[str, int] = {}
    foreign = 0
    deepest = 0
    options = 0
    cuts: list[tuple[int, int]] = []  # spans of dropped tags
    pos = 0
    length = len(html)
    search = token.search
    while pos < length:
        match = search(html, pos)
        if match is None:
            break
        pos = match.end()
        name_raw = match.group(2)
        if name_raw is None:
            continue  # comment, doctype, bogus comment
        name = decode(name_raw).lower()
        if match.group(1):  # an end tag
            if dropped.get(name):
                dropped[name] -= 1
                cuts.append(match.span())
            elif open_count.get(name):
                if _pop_to(stack, open_count, name):
                    foreign = open_count.get("svg", 0) + open_count.get("math", 0)
            continue
        if name in _ROOTS:
            continue
        self_closing = foreign and match.group(0)[-2:-1] in ("/", b"/")
        if name in _VOID or self_closing:
            if len(stack) >= max_depth and name not in _KEPT:
                cuts.append(match.span())
            continue
        _implied_ends(stack, open_count, name)
        if name == "select":
            options = 0
        elif name in ("option", "optgroup") and open_count.get("select"):
            options += 1
            if options > MAX_SELECT_OPTIONS:
                dropped[name] = dropped.get(name, 0) + 1
                cuts.append(match.span())
                continue
        elif name in ("tr", "td", "th") and stack and stack[-1] in ("table", "tbody"):
            # The tree builder inserts the <tbody> (and <tr>) the markup leaves out.
            implied = ["tbody"] if stack[-1] == "table" else []
            if name != "tr":
                implied.append("tr")
            for element in implied:
                stack.append(element)
                open_count[element] = open_count.get(element, 0) + 1
        if len(stack) >= max_depth:
            # Raw text elements stay: dropped, their text would be read as markup.
            if name not in _KEPT and name not in _RAW_TEXT:
                dropped[name] = dropped.get(name, 0) + 1
                cuts.append(match.span())
        else:
            stack.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            deepest = max(deepest, len(stack))
            if name in _FOREIGN:
                foreign += 1
        if name in _RAW_TEXT and not foreign:
            pos = _raw_text_end(html, pos, name, text)
    if not cuts:
        return CappedDocument(html, 0, deepest)
    return CappedDocument(_cut(html, cuts, text), len(cuts), deepest)


def _pop_to(stack: list[str], open_count: dict[str, int], name: str) -> bool:
    """Pop the stack down to and including ``name`` when the parser would; return whether.

    A block end tag closes everything above its element within a scope; any other end tag
    stops at a special element (it is then ignored, as the parser ignores it).
    """
    barrier = _SCOPE if name in _BLOCK_END else _SPECIAL
    for i in range(len(stack) - 1, -1, -1):
        element = stack[i]
        if element == name:
            for popped in stack[i:]:
                open_count[popped] -= 1
            del stack[i:]
            return True
        if element in barrier:
            return False
    return False


def _implied_ends(stack: list[str], open_count: dict[str, int], name: str) -> None:
    """Pop what a start tag ``name`` closes first: an open ``<p>``, the previous list item,
    table cell, option or heading (looking at most ``_WALK`` elements down)."""
    if name in _CLOSES_P and open_count.get("p"):
        _close(stack, open_count, {"p"}, _SCOPE | {"button"})
    rule = _CLOSES.get(name)
    if rule is not None and any(open_count.get(n) for n in rule[0]):
        _close(stack, open_count, *rule)


def _close(stack: list[str], open_count: dict[str, int], names: set[str], barrier: set[str] | frozenset[str]) -> None:
    for i in range(len(stack) - 1, max(len(stack) - 1 - _WALK, -1), -1):
        element = stack[i]
        if element in names:
            for popped in stack[i:]:
                open_count[popped] -= 1
            del stack[i:]
            return
        if element in barrier:
            return


def _raw_text_end(html: str | bytes, pos: int, name: str, text: bool) -> int:
    """Return where the raw text of element ``name`` opened at ``pos`` ends (its end tag's
    start, as the tokenizer finds it), or the end of the document."""
    pattern = _raw_end_pattern(name, text)
    match = pattern.search(html, pos)
    return match.start() if match else len(html)


_RAW_END: dict[tuple[str, bool], re.Pattern] = {}


def _raw_end_pattern(name: str, text: bool) -> re.Pattern:
    key = (name, text)
    pattern = _RAW_END.get(key)
    if pattern is None:
        source = rf"</{name}[\t\n\f\r />]"
        pattern = _RAW_END[key] = re.compile(source if text else source.encode(), re.I)
    return pattern


def _cut(html: str | bytes, cuts: list[tuple[int, int]], text: bool) -> str | bytes:
    """Return ``html`` with each span in ``cuts`` replaced by one space (words stay apart)."""
    space = " " if text else b" "
    parts = []
    last = 0
    for start, end in cuts:
        parts.append(html[last:start])
        last = end
    parts.append(html[last:])
    return space.join(parts)


#: Name classes, as ``_nestscan`` numbers them; barrier sets get the bits above these.
_NATIVE_CLASSES = (_VOID, _KEPT, _RAW_TEXT, _FOREIGN, _ROOTS, _CLOSES_P, _BLOCK_END)


def native_configuration() -> tuple[list[tuple[bytes, int, tuple[bytes, ...] | None, int]], int, int, int]:
    """Return ``_nestscan.configure``'s arguments: every name the scan knows with its classes
    and implied-end rule, and the barrier bits of a ``<p>``'s implied end and of end tags."""
    barriers: dict[frozenset[str], int] = {}

    def bit(names: set[str] | frozenset[str]) -> int:
        key = frozenset(names)
        if key not in barriers:
            barriers[key] = 1 << (len(_NATIVE_CLASSES) + len(barriers))
        return barriers[key]

    p_barrier, block_barrier, other_barrier = bit(_SCOPE | {"button"}), bit(_SCOPE), bit(_SPECIAL)
    rules = {name: (closes, bit(barrier)) for name, (closes, barrier) in _CLOSES.items()}
    known = set().union(*_NATIVE_CLASSES, _SPECIAL, _SCOPE, _CLOSES, *(c for c, _ in _CLOSES.values()),
                        {"p", "select", "option", "optgroup", "tr", "td", "th", "table", "tbody"})
    entries = []
    for name in sorted(known):
        flags = sum(1 << i for i, names in enumerate(_NATIVE_CLASSES) if name in names)
        flags |= sum(b for names, b in barriers.items() if name in names)
        closes, barrier = rules.get(name, (None, 0))
        entries.append((name.encode(), flags,
                        tuple(sorted(n.encode() for n in closes)) if closes else None, barrier))  # fmt: skip
    return entries, p_barrier, block_barrier, other_barrier


if _nestscan is not None:
    _nestscan.configure(*native_configuration())

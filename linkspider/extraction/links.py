"""Link normalization: raw extracted links to the columns of the ``links`` table.

Pure functions over plain values: ``resolve_links`` gives the target columns (the spider
needs them to follow links), ``describe_links`` the anchor, rel and follow columns (the
normalize pipeline calls it); the small rules they use are tested one by one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from linkspider.urls.domains import registrable_domain, site_key, site_keys
from linkspider.urls.normalize import (
    base_directory,
    document_base_url,
    encode_query_for_document,
    is_unicode_charset,
    resolve_href,
    split_fragment,
    url_host,
    url_scheme,
)

FOLLOWED = "followed"


def clean_anchor_text(text: str) -> str:
    """Return anchor text as a reader sees it: NFKC-normalized, whitespace collapsed, trimmed.

    Entities are already decoded by the HTML parser.

    >>> clean_anchor_text("\\n  Read\\xa0more  &\\tｆｕｌｌ ")
    'Read more & full'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


#: Most cleaned anchor texts kept in memory; the memo is emptied when full.
ANCHOR_MEMO_SIZE = 65_536
_ANCHORS: dict[str, str] = {}


def _clean_and_remember(text: str) -> str:
    cleaned = _ANCHORS[text] = clean_anchor_text(text)
    return cleaned


def rel_tokens(rel: str | None) -> list[str]:
    """Return the rel attribute's tokens, lowercased and deduplicated, in document order.

    >>> rel_tokens(" NoFollow\\tnoopener nofollow ")
    ['nofollow', 'noopener']
    """
    if not rel:
        return []
    tokens = rel.lower().split()
    return list(dict.fromkeys(tokens)) if len(tokens) > 1 else tokens


def robots_directives(value: str | None) -> set[str]:
    """Return the directives of a meta robots / X-Robots-Tag value, lowercased.

    A user-agent prefix as in ``X-Robots-Tag: googlebot: nofollow`` is dropped.

    >>> sorted(robots_directives("NOINDEX, nofollow"))
    ['nofollow', 'noindex']
    """
    if not value:
        return set()
    directives = set()
    for part in value.lower().replace(";", ",").split(","):
        token = part.rpartition(":")[2].strip()
        if token:
            directives.add(token)
    return directives


def page_nofollow_reason(meta_robots: str | None, x_robots_tag: str | None) -> str | None:
    """Return ``'meta_robots'`` or ``'x_robots_tag'`` when the page says nofollow, else None."""
    if {"nofollow", "none"} & robots_directives(meta_robots):
        return "meta_robots"
    if {"nofollow", "none"} & robots_directives(x_robots_tag):
        return "x_robots_tag"
    return None


def follow_reason(rel: Sequence[str], page_reason: str | None) -> str:
    """Return why a link passes no equity (first reason that applies), or ``'followed'``.

    >>> follow_reason(["ugc", "nofollow"], None)
    'rel_nofollow'
    >>> follow_reason([], "meta_robots")
    'meta_robots'
    """
    if rel:
        if "nofollow" in rel:
            return "rel_nofollow"
        if "ugc" in rel:
            return "rel_ugc"
        if "sponsored" in rel:
            return "rel_sponsored"
    return page_reason or FOLLOWED


#: A fragment-only href the URL standard keeps as written: printable ASCII outside the
#: fragment percent-encode set (space " < > `).
_PLAIN_FRAGMENT = re.compile(r"#[\x21\x23-\x3b\x3d\x3f-\x5f\x61-\x7e]*\Z")
#: Most resolved targets kept in memory; the memo is emptied when full.
TARGET_MEMO_SIZE = 65_536
_TARGETS: dict[tuple[str, str], tuple[str, str | None, str | None, str | None, str]] = {}


def resolve_links(
    page_url: str, base_href: str | None, hrefs: Sequence[str], encoding: str | None = None
) -> dict[str, list]:
    """Return the target columns (url, fragment, host, domain, scheme) of a page's hrefs.

    Hrefs resolve against the document base URL (``<base href>`` or the page URL), with the
    query encoded in the page's ``encoding`` as a browser does. An href that is not a valid
    URL keeps its raw text as ``target_url``, with scheme ``'invalid'``.

    >>> resolve_links("http://a.com/x/", None, ["../y#top"])["target_url"]
    ['http://a.com/y']
    """
    base = document_base_url(page_url, base_href)
    directory = base_directory(base)
    memo = _TARGETS
    targets = []
    page_target = None
    # Queries are encoded in the page's charset, which only matters outside Unicode pages.
    charset = None if is_unicode_charset(encoding) else encoding
    for href in hrefs:
        if href[:1] == "#" and _PLAIN_FRAGMENT.match(href):
            # A link within the page (a third of all links on documentation sites): the
            # page's own URL with the fragment as written, as the URL standard keeps it.
            if page_target is None:
                page_target = resolve_target("", base)
            if page_target[4] != "invalid":
                targets.append((page_target[0], href[1:], *page_target[2:]))
                continue
        if charset is not None:
            href = encode_query_for_document(href, charset)
        key = (_memo_base(href, base, directory), href)
        target = memo.get(key)
        if target is None:
            if len(memo) >= TARGET_MEMO_SIZE:
                memo.clear()
            target = memo[key] = resolve_target(href, base)
        targets.append(target)
    urls, fragments, hosts, domains, schemes = (
        [list(column) for column in zip(*targets)] if targets else ([], [], [], [], [])
    )
    return {
        "target_url": urls,
        "target_fragment": fragments,
        "target_host": hosts,
        "target_domain": domains,
        "target_scheme": schemes,
    }


def _memo_base(href: str, base: str, directory: str | None) -> str:
    """Return what ``href``'s target depends on: ``directory`` for most hrefs, the whole
    ``base`` for those that may keep the base's last path segment or query ("", "?q", "#f",
    "http:", "http:?q", or any with leading whitespace or a tab or newline inside)."""
    first = href[:1]
    if directory is None or first <= " " or first in "?#":
        return base
    if "\t" in href or "\n" in href or "\r" in href:
        return base
    colon = href.find(":")
    if colon != -1 and href[colon + 1 : colon + 2] in ("", "?", "#"):
        return base
    return directory


def resolve_target(
    href: str, base: str | None
) -> tuple[str, str | None, str | None, str | None, str]:
    """Return ``(url, fragment, host, domain, scheme)`` of one href resolved against ``base``.

    >>> resolve_target("//B\u00fccher.de/x#y", "https://a.com/")
    ('https://xn--bcher-kva.de/x', 'y', 'xn--bcher-kva.de', 'xn--bcher-kva.de', 'https')
    >>> resolve_target("http://[::1", None)
    ('http://[::1', None, None, None, 'invalid')
    """
    absolute = resolve_href(href, base)
    if absolute is None:
        return href, None, None, None, "invalid"
    url, fragment = split_fragment(absolute)
    host = url_host(url)
    return url, fragment, host, registrable_domain(host), url_scheme(url)


def page_says_noindex(meta_robots: str | None, x_robots_tag: str | None) -> bool:
    """Return True when meta robots or X-Robots-Tag says noindex (or none)."""
    directives = robots_directives(meta_robots) | robots_directives(x_robots_tag)
    return bool({"noindex", "none"} & directives)


def count_internal_external(
    target_sites: Sequence[str | None], externals: Sequence[bool], positions: Sequence[int | None]
) -> tuple[int, int]:
    """Return how many body links (those with a position) point inside and outside the site;
    links without a host (``target_sites`` None: mailto:, tel:) are neither.

    >>> count_internal_external(["a.com", "b.com", None, "a.com"], [False, True, False, False],
    ...                         [0, 1, 2, None])
    (1, 1)
    """
    internal = external = 0
    for site, is_external, position in zip(target_sites, externals, positions):
        if position is None or site is None:
            continue
        if is_external:
            external += 1
        else:
            internal += 1
    return internal, external


def redirect_link(from_url: str, to_url: str, status: int) -> tuple[dict[str, object], dict[str, list]]:
    """Return the source values and ``links`` columns of one HTTP redirect hop (one row).

    >>> source, cols = redirect_link("http://a.com/old", "http://b.com/new", 301)
    >>> source["referring_domain"], cols["target_domain"], cols["link_kind"], cols["follow"]
    ('a.com', ['b.com'], ['redirect'], [True])
    """
    source_host = url_host(from_url)
    referring = registrable_domain(source_host)
    cols = resolve_links(from_url, None, [to_url])
    cols.update(describe_links([""], [None], [None], site_keys(cols["target_domain"], cols["target_host"]),
                               site_key(source_host)))  # fmt: skip
    cols.update(link_kind=["redirect"], redirect_status=[status], tag=[None], position=[None],
                seen_in=["raw"])
    source = {"source_url": from_url, "source_host": source_host, "referring_domain": referring}
    return source, cols


def describe_links(
    texts: Sequence[str],
    alts: Sequence[str | None],
    rels: Sequence[str | None],
    target_sites: Sequence[str | None],
    referring_site: str | None,
    page_reason: str | None = None,
) -> dict[str, list]:
    """Return the anchor, rel and follow columns of a page's links.

    ``target_sites`` and ``referring_site`` are sites (``linkspider.urls.domains.site_key``: the
    registrable domain, else the host): a link is external when its target's site differs.

    ``anchor_text`` is the cleaned text, or the cleaned alt text when the text is empty
    (``anchor_from_alt`` then True). ``follow`` is False when the link's rel or the page
    (``page_reason``) says so, and ``follow_reason`` says which.
    """
    n = len(texts)
    memo = _ANCHORS
    if len(memo) >= ANCHOR_MEMO_SIZE:
        memo.clear()
    # Menus repeat their anchor texts on every page of a site: clean each text once.
    anchors = [memo.get(text) or _clean_and_remember(text) if text else "" for text in texts]
    from_alts = [False] * n
    for i, alt in enumerate(alts):
        if alt and not anchors[i]:
            anchors[i] = clean_anchor_text(alt)
            from_alts[i] = bool(anchors[i])
    externals = [site is not None and site != referring_site for site in target_sites]
    plain_reason = page_reason or FOLLOWED  # the reason of a link without rel
    plain_follows = plain_reason == FOLLOWED
    rel_lists: list[list[str]] = [[] for _ in range(n)]
    nofollows, ugcs, sponsoreds = [False] * n, [False] * n, [False] * n
    reasons = [plain_reason] * n
    follows = [plain_follows] * n
    for i, rel in enumerate(rels):
        if rel:  # few links have one
            tokens = rel_lists[i] = rel_tokens(rel)
            nofollows[i] = "nofollow" in tokens
            ugcs[i] = "ugc" in tokens
            sponsoreds[i] = "sponsored" in tokens
            reasons[i] = follow_reason(tokens, page_reason)
            follows[i] = reasons[i] == FOLLOWED
    return {
        "anchor_text": anchors,
        "anchor_from_alt": from_alts,
        "rel": rel_lists,
        "nofollow": nofollows,
        "ugc": ugcs,
        "sponsored": sponsoreds,
        "follow": follows,
        "follow_reason": reasons,
        "is_external": externals,
    }

"""Which links of a rendered page the raw HTML has, the rendered DOM has, or both (``seen_in``).

Pure functions over the parallel link lists of ``linkspider.extraction.page.ExtractedPage``
and the target columns of ``linkspider.extraction.links.resolve_links``; the rendering spider
(``linkspider.discovery.rendering``) calls them, docs/rendering.md says what they mean.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from linkspider.extraction.page import ExtractedPage

#: The per-link lists of an ``ExtractedPage`` that a rendered-only link is appended to.
LINK_LISTS = (
    "kinds", "tags", "hrefs", "texts", "alts", "img_srcs", "img_alts", "rels", "title_attrs",
    "hreflangs", "target_attrs", "type_attrs", "media_attrs", "regions", "dom_paths",
    "contexts_before", "contexts_after", "positions",
)  # fmt: skip
#: The target columns of ``resolve_links`` a rendered-only link is appended to.
TARGET_COLUMNS = ("target_url", "target_fragment", "target_host", "target_domain", "target_scheme")


def match_rendered(
    raw_keys: Sequence[tuple[str, str]], rendered_keys: Sequence[tuple[str, str]]
) -> tuple[list[str], list[int]]:
    """Return ``seen_in`` of each raw link (``both`` or ``raw``) and the indices of the
    rendered links the raw HTML does not have. A key is ``(link_kind, target_url)``; a key
    twice in one and once in the other matches once (multisets, in document order).

    >>> match_rendered([("a", "/x"), ("a", "/x"), ("a", "/gone")], [("a", "/x"), ("a", "/js")])
    (['both', 'raw', 'raw'], [1])
    """
    available = Counter(rendered_keys)
    seen_in = []
    for key in raw_keys:
        if available[key] > 0:
            available[key] -= 1
            seen_in.append("both")
        else:
            seen_in.append("raw")
    in_raw = Counter(raw_keys)
    added = []
    for index, key in enumerate(rendered_keys):
        if in_raw[key] > 0:
            in_raw[key] -= 1
        else:
            added.append(index)
    return seen_in, added


def link_keys(page: ExtractedPage, target_urls: Sequence[str]) -> list[tuple[str, str]]:
    """Return the ``(link_kind, target_url)`` key of each link of ``page``."""
    return list(zip(page.kinds, target_urls))


def append_links(
    raw: ExtractedPage, raw_columns: dict[str, list], rendered: ExtractedPage,
    rendered_columns: dict[str, list], indices: Sequence[int],
) -> None:  # fmt: skip
    """Append the rendered links at ``indices`` to the raw page's link lists and target
    columns, in place (after the raw rows, which keep their order and values)."""
    for name in LINK_LISTS:
        source = getattr(rendered, name)
        getattr(raw, name).extend(source[i] if i < len(source) else None for i in indices)
    for name in TARGET_COLUMNS:
        source = rendered_columns[name]
        raw_columns[name].extend(source[i] for i in indices)

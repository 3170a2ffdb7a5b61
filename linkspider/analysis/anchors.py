"""Anchor-text classes of a backlink, first matching rule wins (docs/analysis.md, Anchor classes).

1. ``empty``: no text (an image without alt text, an empty element).
2. ``image``: the text is an image's alt text (``anchor_from_alt``).
3. ``naked_url``: the text is a URL: an absolute http(s) URL, or one word that is a host name
   with a suffix on the Public Suffix List, with an optional path (``www.example.com/shop``).
4. ``generic``: the text, lowercased and trimmed of surrounding punctuation, is on
   Lighthouse's list of non-descriptive link texts, in any language it covers
   (``data/generic_anchors.json``, with its source and license).
5. ``branded``: the words of the text are the words of a brand name (``--brand``, else the
   target domain's own label: ``news-1`` of ``news-1.com``), or the same letters run together
   (``BBC``, ``News1``).
6. ``compound``: a brand name's words appear in the text, in order, with other words.
7. ``exact``: the words of the text are the words of a keyword (``--keywords``).
8. ``partial``: every word of a keyword appears in the text, with other words or in another
   order.
9. ``other``: anything else.

Words are the runs of letters and digits of the NFKC-normalized, case-folded text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import tldextract

ANCHOR_CLASSES = ("empty", "image", "naked_url", "generic", "branded", "compound", "exact",
                  "partial", "other")  # fmt: skip
GENERIC_ANCHORS_FILE = Path(__file__).with_name("data") / "generic_anchors.json"

_WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
_HOST_LIKE = re.compile(r"([^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}\.?(?::\d+)?(?:[/?#]\S*)?")
_EXTRACT = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                                 include_psl_private_domains=True)  # fmt: skip


@lru_cache(maxsize=1)
def generic_anchor_texts() -> frozenset[str]:
    """Return every generic (non-descriptive) link text of Lighthouse's lists, all languages."""
    data = json.loads(GENERIC_ANCHORS_FILE.read_text(encoding="utf-8"))
    return frozenset(text.casefold() for texts in data["languages"].values() for text in texts)


def anchor_words(text: str) -> tuple[str, ...]:
    """Return the words of ``text``: runs of letters and digits, NFKC, case-folded.

    >>> anchor_words("News-1: Latest NEWS!")
    ('news', '1', 'latest', 'news')
    """
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _trimmed(text: str) -> str:
    """Lowercase ``text``, collapse whitespace, drop punctuation and symbols at both ends."""
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def is_naked_url(text: str) -> bool:
    """Return True when ``text`` is a URL or a bare host name (with an optional path).

    >>> [is_naked_url(t) for t in ("https://a.example/x", "www.bbc.co.uk", "Node.js", "a b.com")]
    [True, True, False, False]
    """
    text = text.strip()
    if not text or len(text.split(None, 1)) > 1:  # one word (split's whitespace is isspace's)
        return False
    if _URL.fullmatch(text):
        return True
    if not _HOST_LIKE.fullmatch(text):
        return False
    host = re.split(r"[/?#:]", text, maxsplit=1)[0].rstrip(".")
    parts = _EXTRACT(host)
    return bool(parts.suffix and parts.domain)


def domain_label(domain: str) -> str:
    """Return the label of a registrable domain without its public suffix, in Unicode.

    >>> domain_label("store-2.co.uk"), domain_label("xn--bcher-5-n2a.de")
    ('store-2', 'bücher-5')
    """
    label = _EXTRACT(domain).domain or domain.split(".")[0]
    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    return label


def brand_names(target_domain: str | None, given: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the brand names of a target: ``given`` ones, else the domain's own label."""
    if given:
        return tuple(given)
    return (domain_label(target_domain),) if target_domain else ()


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    size = len(part)
    return any(words[i:i + size] == part for i in range(len(words) - size + 1))


def classify_anchor(
    text: str,
    from_alt: bool,
    brands: Iterable[str] = (),
    keywords: Iterable[str] = (),
) -> str:
    """Return the class of one anchor (the first rule of the module docstring that matches).

    >>> classify_anchor("Click here", False, ["news-1"])
    'generic'
    >>> classify_anchor("News 1: Latest news", False, ["news-1"])
    'compound'
    >>> classify_anchor("cheap blue widgets online", False, ["acme"], ["blue widgets"])
    'partial'
    """
    if not text.strip():
        return "empty"
    if from_alt:
        return "image"
    if is_naked_url(text):
        return "naked_url"
    if _trimmed(text) in generic_anchor_texts():
        return "generic"
    words = anchor_words(text)
    joined = "".join(words)
    brand_words = [w for w in (anchor_words(b) for b in brands) if w]
    for brand in brand_words:
        if words == brand or joined == "".join(brand):
            return "branded"
    for brand in brand_words:
        if _contains(words, brand) or "".join(brand) in words:
            return "compound"
    keyword_words = [w for w in (anchor_words(k) for k in keywords) if w]
    if any(words == keyword for keyword in keyword_words):
        return "exact"
    if any(set(keyword) <= set(words) for keyword in keyword_words):
        return "partial"
    return "other"

"""How the generated world's pages word their links to other sites, as real sites do: the brand
name of the target, the brand with more words, the target's keywords exactly or among other
words, "click here", the naked URL, a logo with alt text, an image without alt, or a few words
of description. Each anchor knows its class by construction (docs/analysis.md, Anchor classes;
``World.ground_truth_anchor_classes``), and the world's crawl test checks that
``linkspider analyze`` classifies every one the same.

Brands are the words of the target domain's own label (``news-1`` -> ``News 1``), what
``linkspider analyze`` takes as the brand without ``--brand``; keywords are the target's topic
keywords (``linkspider.web.subjects``), which ``World.keywords`` gives ``analyze --keywords``.
Targets outside the world have no keywords: their anchors are never exact or partial.

>>> import random
>>> brand_text("news-1"), brand_text("gone-vendor")
('News 1', 'Gone Vendor')
>>> [choose_anchor(random.Random(i), "en", "www.news-1.com", "news-1", "http://www.news-1.com/",
...                ("rose pruning",), "en", "Latest news").text for i in range(1, 5)]
['News 1', 'a friendly shop we like', 'Visit News 1', 'News 1: Latest news']
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Weights of the classes of a link to a site of the world (mixes measured on real backlink
#: profiles are of this shape: brand and URL anchors first, keyword anchors a minority).
WORLD_MIX = {"branded": 20, "compound": 11, "exact": 5, "partial": 10, "generic": 13, "naked_url": 12,
             "image": 9, "empty": 3, "other": 17}  # fmt: skip
#: Directories list a site under its name or address.
DIRECTORY_MIX = {"branded": 40, "naked_url": 35, "compound": 15, "image": 10}
#: Weights of a link to a host outside the world (no keywords there).
OUTSIDE_MIX = {"branded": 22, "compound": 22, "naked_url": 22, "generic": 16, "other": 14, "image": 4}

#: Non-descriptive texts of Lighthouse's lists (linkspider/analysis/data/generic_anchors.json),
#: by the language of the page that links; other languages write the English ones.
GENERIC = {
    "en": ("click here", "Click here", "read more", "Read more »", "here", "more info", "Learn more"),
    "de": ("hier klicken", "Weiterlesen", "hier", "mehr"),
    "ja": ("ここをクリック", "続きを読む"),
}
#: Descriptions that hold no brand and no keyword, by the language of the page that links.
DESCRIPTIONS = {
    "en": ("a friendly shop we like", "an excellent write-up", "worth a visit", "their latest article",
           "a useful resource", "this great guide"),
    "de": ("ein lesenswerter Beitrag", "sehr empfehlenswert", "unsere Lieblingsseite"),
    "fr": ("un article passionnant", "à découvrir absolument"),
    "ru": ("Полезный сайт", "Интересная статья"),
    "ja": ("おすすめのサイト", "とても役に立つ記事"),
    "zh": ("值得一看的网站", "很有用的文章"),
}  # fmt: skip
#: Anchors holding a keyword among other words, by the keyword's language ("{}": the keyword).
#: Japanese and Chinese need punctuation between the runs, or the keyword would be no word.
PARTIAL = {
    "en": ("{} tips", "a guide to {}", "the best {} this year", "{} for beginners"),
    "de": ("die besten {}", "{} im Überblick"),
    "fr": ("nos {}", "{} pour débutants"),
    "ja": ("{}・ガイド", "おすすめ・{}"),
    "zh": ("{}、入门", "推荐、{}"),
}
COMPOUND = ("{brand}: {page}", "Visit {brand}", "{brand} website", "Partner {host}")


@dataclass(frozen=True)
class Anchor:
    """One link's anchor: its text, how the link holds it and its class by construction."""

    text: str
    content: str  # text | image (the text is the alt) | image_noalt (no text at all)
    anchor_class: str


def domain_label(domain: str) -> str:
    """Return the first label of a registrable domain, in Unicode (``xn--bcher-5-n2a.de`` ->
    ``bücher-5``): the world's domains are all one label and a public suffix."""
    label = domain.split(".")[0]
    return label.encode("ascii").decode("idna") if label.startswith("xn--") else label


def brand_text(label: str) -> str:
    """Return a domain label as a brand name: its hyphen-separated words, capitalized."""
    return " ".join(word[:1].upper() + word[1:] for word in label.split("-"))


def choose_anchor(rng: random.Random, language: str, host: str, label: str, url: str,
                  keywords: tuple[str, ...] = (), keyword_language: str = "en", page: str = "",
                  mix: dict[str, int] | None = None) -> Anchor:  # fmt: skip
    """Return an anchor for a link to ``url`` on ``host`` (domain label ``label``), written on
    a page in ``language``; ``keywords`` are the target's, in ``keyword_language``; ``page``
    names the target page; ``mix`` weighs the classes (default ``WORLD_MIX``, or
    ``OUTSIDE_MIX`` without keywords)."""
    mix = mix or (WORLD_MIX if keywords else OUTSIDE_MIX)
    if not keywords:
        mix = {name: weight for name, weight in mix.items() if name not in ("exact", "partial")}
    kind = rng.choices(list(mix), list(mix.values()))[0]
    brand = brand_text(label)
    if kind == "branded":
        text = rng.choice((brand, brand.replace(" ", ""), brand.upper(), label))
    elif kind == "compound":
        templates = COMPOUND if page else [t for t in COMPOUND if "{page}" not in t]
        text = rng.choice(templates).format(brand=brand, page=page, host=host)
    elif kind == "exact":
        keyword = rng.choice(keywords)
        text = keyword.title() if keyword.isascii() and rng.random() < 0.3 else keyword
    elif kind == "partial":
        keyword = rng.choice(keywords)
        text = rng.choice(PARTIAL[keyword_language]).format(keyword)
    elif kind == "generic":
        text = rng.choice(GENERIC.get(language, GENERIC["en"]))
    elif kind == "naked_url":
        text = rng.choice((host, url, url.split("//", 1)[-1].rstrip("/")))
    elif kind == "image":
        return Anchor(rng.choice((brand, f"{brand} logo")), "image", "image")
    elif kind == "empty":
        return Anchor("", "image_noalt", "empty")
    else:
        text = rng.choice(DESCRIPTIONS.get(language, DESCRIPTIONS["en"]))
    return Anchor(text, "text", kind)

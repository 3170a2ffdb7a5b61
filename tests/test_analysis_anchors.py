"""Anchor classes, first rule wins (docs/analysis.md, Anchor classes); the generic list's provenance;
the ``--brand`` and ``--keywords`` inputs."""

from __future__ import annotations

import json

import pytest

from linkspider.analysis.analyze import keywords_file, parse_brands, read_keywords
from linkspider.analysis.anchors import (
    ANCHOR_CLASSES,
    GENERIC_ANCHORS_FILE,
    brand_names,
    classify_anchor,
    domain_label,
    generic_anchor_texts,
    is_naked_url,
)

BRANDS = ["acme-tools"]
KEYWORDS = ["cordless drill", "buy power tools"]

CASES = [
    ("", False, "empty"),
    ("   ", False, "empty"),
    ("", True, "empty"),
    ("Acme logo", True, "image"),  # alt text wins over the brand
    ("https://www.acme-tools.com/drills", False, "naked_url"),
    ("http://example.org", False, "naked_url"),
    ("www.acme-tools.com", False, "naked_url"),
    ("acme-tools.co.uk/shop?x=1", False, "naked_url"),
    ("bücher-5.de", False, "naked_url"),
    ("Click here", False, "generic"),
    ("READ MORE »", False, "generic"),
    ("  learn   more ", False, "generic"),
    ("続きを読む", False, "generic"),
    ("hier klicken", False, "generic"),
    ("läs mer", False, "generic"),
    ("más información", False, "generic"),
    ("Acme Tools", False, "branded"),
    ("ACME-TOOLS", False, "branded"),
    ("acmetools", False, "branded"),
    ("Acme Tools: cordless drill", False, "compound"),
    ("Visit acmetools today", False, "compound"),
    ("Cordless Drill", False, "exact"),
    ("cordless-drill", False, "exact"),
    ("best cordless drill 2026", False, "partial"),
    ("drill, cordless", False, "partial"),
    ("Power tools to buy", False, "partial"),
    ("cordless saws", False, "other"),
    ("Node.js", False, "other"),  # js is not a public suffix
    ("Tools by Acme", False, "other"),  # brand words out of order
]


@pytest.mark.parametrize(("text", "from_alt", "expected"), CASES)
def test_anchor_class(text: str, from_alt: bool, expected: str) -> None:
    assert classify_anchor(text, from_alt, BRANDS, KEYWORDS) == expected


def test_every_class_has_a_case() -> None:
    assert {expected for _, _, expected in CASES} == set(ANCHOR_CLASSES)


def test_without_keywords_nothing_is_exact_or_partial() -> None:
    assert classify_anchor("cordless drill", False, BRANDS) == "other"


def test_the_brand_defaults_to_the_target_domains_label() -> None:
    assert brand_names("shop.example.co.uk") == ("example",)
    assert brand_names("user-3.github.io") == ("user-3",)
    assert brand_names("xn--bcher-5-n2a.de") == ("bücher-5",)
    assert brand_names("acme.com", ["Acme Corp"]) == ("Acme Corp",)
    assert domain_label("bbc.co.uk") == "bbc"


def test_naked_urls() -> None:
    assert is_naked_url("HTTPS://EXAMPLE.COM/Path")
    assert not is_naked_url("ftp://example.com")  # not an http(s) URL, and not a bare host
    assert not is_naked_url("example")
    assert not is_naked_url("e.g.")


def test_the_generic_list_is_lighthouses_with_its_source_and_license() -> None:
    data = json.loads(GENERIC_ANCHORS_FILE.read_text(encoding="utf-8"))
    assert "lighthouse" in data["repository"].lower() and data["license"].startswith("Apache-2.0")
    assert len(data["commit"]) == 40
    assert set(data["languages"]) == {"en", "ja", "es", "pt", "ko", "sv", "de", "ta", "fa"}
    assert {"click here", "read more", "learn more"} <= set(data["languages"]["en"])
    assert len(generic_anchor_texts()) == len({t for ts in data["languages"].values() for t in ts})


def test_brand_option_values() -> None:
    assert parse_brands(["Acme", "acme.com=Acme Tools", "a=b"]) == {"": ["Acme", "a=b"],
                                                                    "acme.com": ["Acme Tools"]}


def test_keywords_file(tmp_path) -> None:
    path = tmp_path / "keywords.txt"
    path.write_text("# money keywords\ncordless drill\n\nacme.com\tbuy power tools\n", encoding="utf-8")
    assert read_keywords(path) == {"": ["cordless drill"], "acme.com": ["buy power tools"]}


def test_the_datasets_own_keywords_file_is_the_default(tmp_path) -> None:
    assert keywords_file(tmp_path, None) is None
    (tmp_path / "keywords.tsv").write_text("acme.com\tcordless drill\n", encoding="utf-8")
    assert keywords_file(tmp_path, None) == tmp_path / "keywords.tsv"
    given = tmp_path / "other.txt"
    assert keywords_file(tmp_path, str(given)) == given  # a given file wins


def test_a_bad_keywords_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "keywords.txt"
    path.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"keywords.txt:1: expected KEYWORD"):
        read_keywords(path)
    with pytest.raises(ValueError, match="cannot read the keywords file"):
        read_keywords(tmp_path / "missing.txt")


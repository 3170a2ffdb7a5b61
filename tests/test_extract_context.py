"""Where a link sits and what surrounds it: kind, region, dom_path, context, head links."""

from __future__ import annotations

import pytest

from linkspider.extraction.page import dom_path, extract_page


def one_link(html: str) -> dict:
    page = extract_page(html)
    fields = ("kinds", "tags", "hrefs", "regions", "dom_paths", "contexts_before",
              "contexts_after", "img_srcs", "img_alts", "title_attrs", "hreflangs",
              "target_attrs", "positions")  # fmt: skip
    rows = [dict(zip(fields, values)) for values in zip(*(getattr(page, f) for f in fields))]
    marked = [r for r in rows if r["hrefs"] == "/target"]
    assert len(marked) == 1, rows
    return marked[0]


@pytest.mark.parametrize(
    ("html", "region"),
    [
        ("<header><a href=/target>x</a></header>", "header"),
        ("<nav><ul><li><a href=/target>x</a></li></ul></nav>", "nav"),
        ("<main><p><a href=/target>x</a></p></main>", "main"),
        ("<aside><a href=/target>x</a></aside>", "aside"),
        ("<footer><a href=/target>x</a></footer>", "footer"),
        ("<div role=navigation><a href=/target>x</a></div>", "nav"),
        ("<div role=contentinfo><a href=/target>x</a></div>", "footer"),
        ("<div role=complementary><a href=/target>x</a></div>", "aside"),
        ("<div role=banner><a href=/target>x</a></div>", "header"),
        ("<div class='site-footer'><a href=/target>x</a></div>", "footer"),
        ("<div id=sidebar><a href=/target>x</a></div>", "aside"),
        ("<ul class='menu main-menu'><li><a href=/target>x</a></ul>", "nav"),
        ("<div class=navbar><a href=/target>x</a></div>", "nav"),
        ("<div class=canvas><a href=/target>x</a></div>", "body"),  # 'nav' inside a word
        ("<p><a href=/target>x</a></p>", "body"),
    ],
)
def test_region_of_a_link(html: str, region: str) -> None:
    assert one_link(f"<body>{html}</body>")["regions"] == region


def test_innermost_landmark_wins() -> None:
    assert one_link("<header><nav><a href=/target>x</a></nav></header>")["regions"] == "nav"


def test_landmark_element_beats_class_names() -> None:
    html = "<main><div class=footer-note><a href=/target>x</a></div></main>"
    assert one_link(html)["regions"] == "main"


def test_dom_path_names_tags_ids_and_first_class() -> None:
    html = "<body><nav id=menu><ul class='a b'><li><a href=/target>x</a></li></ul></nav></body>"
    assert one_link(html)["dom_paths"] == "nav#menu>ul.a>li>a"


def test_context_is_the_visible_text_around_the_link() -> None:
    html = ("<body><p>Read   the\n<b>full</b> review <a href=/target>on our site</a> before you"
            " <i>buy</i>.</p><script>var hidden = 1;</script></body>")  # fmt: skip
    row = one_link(html)
    assert (row["contexts_before"], row["contexts_after"]) == ("Read the full review", "before you buy.")


def _words_fitting(words: list[str], limit: int = 80) -> list[str]:
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    return kept


def test_context_is_cut_between_words_not_inside_one() -> None:
    words = [f"{'lorem' if i % 3 else 'ipsum'}{i}" for i in range(60)]
    html = f"<p>{' '.join(words)} <a href=/target>x</a> {' '.join(words)}</p>"
    row = one_link(html)
    assert row["contexts_before"] == " ".join(_words_fitting(words[::-1])[::-1])
    assert row["contexts_after"] == " ".join(_words_fitting(words))
    assert 70 < len(row["contexts_before"]) <= 80 and 70 < len(row["contexts_after"]) <= 80


def test_a_word_longer_than_the_context_is_cut_inside() -> None:
    long_word = "https://example.com/" + "a" * 100
    row = one_link(f"<p>see {long_word} then <a href=/target>x</a> and {long_word}</p>")
    assert row["contexts_before"] == (long_word + " then")[-80:]
    assert row["contexts_after"] == ("and " + long_word)[:80]


def test_context_closes_the_gaps_text_joining_leaves_around_punctuation() -> None:
    html = ("<p>Prices ( <b>in</b> euros ) apply [ <i>see</i> note ] , said <em>she</em> : "
            "<a href=/target>x</a> <b>now</b> ! ( <i>or</i> [ later ] ) .</p>")  # fmt: skip
    row = one_link(html)
    assert row["contexts_before"] == "Prices (in euros) apply [see note], said she:"
    assert row["contexts_after"] == "now! (or [later])."


def test_context_is_cut_at_80_characters_and_skips_scripts() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    html = f"<body><p>{words} <a href=/target>x</a> <style>p{{}}</style>{words}</p></body>"
    row = one_link(html)
    assert len(row["contexts_before"]) <= 80 and row["contexts_before"].endswith("w58 w59")
    assert len(row["contexts_after"]) <= 80 and row["contexts_after"].startswith("w0 w1")
    assert "{" not in row["contexts_after"]


def test_word_count_counts_visible_words_only() -> None:
    page = extract_page("<title>Not counted</title><body><p>one two</p><script>x y z</script>"
                        "<a href=/>three</a></body>")  # fmt: skip
    assert page.word_count == 3


def test_image_link_kind_keeps_img_src_and_alt() -> None:
    row = one_link("<a href=/target title=T hreflang=de target=_blank><img src=l.png alt=Logo></a>")
    assert (row["kinds"], row["tags"], row["img_srcs"], row["img_alts"]) == ("image", "a", "l.png", "Logo")
    assert (row["title_attrs"], row["hreflangs"], row["target_attrs"]) == ("T", "de", "_blank")


def test_iframe_canonical_and_meta_refresh_are_links() -> None:
    page = extract_page(
        "<head><link rel=canonical href=/canon><meta http-equiv=Refresh content='3; URL=\"/next\"'>"
        "</head><body><a href=/a>a</a><iframe src=/frame></iframe></body>"
    )
    assert list(zip(page.kinds, page.hrefs, page.positions, page.regions)) == [
        ("a", "/a", 0, "body"), ("iframe", "/frame", 1, "body"),
        ("canonical", "/canon", None, "head"), ("meta_refresh", "/next", None, "head"),
    ]  # fmt: skip


def test_page_facts_lang_and_hreflang_alternates() -> None:
    page = extract_page("<html lang=' de-AT '><head><link rel=alternate hreflang=en href=/en>"
                        "<link rel=alternate hreflang=x-default href=/></head></html>")  # fmt: skip
    assert page.lang == "de-AT"
    assert page.hreflang_alternates == [("en", "/en"), ("x-default", "/")]


def test_dom_path_stops_at_body() -> None:
    page = extract_page("<body><a href=/x>x</a></body>")
    assert page.dom_paths == ["body>a"] and dom_path is not None


def test_context_of_crowded_blocks_is_plain_page_text() -> None:
    """In a block of many short links, the text around each link holds the neighbours' anchor
    texts and nothing of the markers used to find it, whole or cut at the slice's edge."""
    spacing = "\n" + " " * 40  # whitespace that collapses: a slice reaches far back
    links = f"{spacing}|".join(f'<a href="/p{i}">item {i}</a>' for i in range(300))
    page = extract_page(f"<p>{links}</p>")
    contexts = page.contexts_before[1:300] + page.contexts_after[:299]
    assert all(contexts)
    leaked = [c for c in contexts if any("\ue000" <= ch <= "\uf8ff" for ch in c)]
    assert leaked == []
    assert page.contexts_before[150].endswith("item 148 | item 149 |")
    assert page.contexts_after[150].startswith("| item 151 | item 152")
    assert page.contexts_before[150].startswith(("item", "|"))
    assert all(len(c) <= 80 for c in contexts)


@pytest.mark.parametrize(
    "html",
    ["<p>before <noscript><a href=/target>x</a></noscript> after</p>",
     "<p>before <svg><title><a href=/target>x</a></title></svg> after</p>"],
)
def test_links_in_invisible_elements_have_no_context(html: str) -> None:
    page = extract_page(html)
    assert page.hrefs == ["/target"]
    assert (page.contexts_before, page.contexts_after) == ([None], [None])
    assert page.word_count == 2  # "before after": the invisible text is not counted

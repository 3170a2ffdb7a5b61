"""Relevance and languages: the tokenizer (CJK bigrams), the main text, TF-IDF cosines on
hand-made vectors, template terms, the basis of a link's relevance; and end to end, a crawl
of the topical web (``linkspider.web.topics``) analyzed by ``linkspider analyze``, read back
with DuckDB."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import sparse

from linkspider.analysis.dataset import analysis_path
from linkspider.analysis.relevance import (
    blended_cosines,
    blended_relevance,
    normalize_rows,
    pair_cosines,
    template_entries,
    tf_idf,
)
from linkspider.extraction.page import extract_page
from linkspider.extraction.text import count_words, terms_language, tokenize, top_terms
from linkspider.web import LocalWebProcess
from linkspider.web.topics import CLUB, GARAGE, GERMAN, JAPANESE, NURSERY, TopicWeb
from tests.conftest import PROJECT_ROOT
from tests.crawling import local_web_args, run_crawl, run_linkspider

RUN = "relevance"


def test_words_are_lowercase_word_runs_without_stopwords_or_digits() -> None:
    assert tokenize("The ROSES of 2024, and the e-mail_list!") == ["roses", "mail", "list"]
    assert tokenize("Gärten über Straße") == ["gärten", "straße"]  # über: a German stopword


def test_cjk_runs_become_overlapping_bigrams() -> None:
    assert tokenize("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert tokenize("서울 시청") == ["서울", "시청"]
    assert tokenize("日 Tokyo") == ["日", "tokyo"]


def test_top_terms_are_the_same_with_or_without_cjk_on_the_page() -> None:
    text = "garden roses, garden tools; roses garden. " * 3
    assert top_terms(text) == top_terms(text + " 東京")[:3] == [("garden", 9), ("roses", 6), ("tools", 3)]


def test_cjk_characters_count_as_words() -> None:
    assert count_words("東京は日本の首都です") == 10
    assert count_words("Tokyo 東京 tower") == 4
    assert count_words("plain english words") == 3


def test_main_terms_come_from_main_without_navigation_and_footer() -> None:
    html = ("<body><nav>Home Catalogue Basket</nav><main><p>Roses and roses in the garden.</p>"
            "</main><footer>Imprint privacy</footer></body>")  # fmt: skip
    assert extract_page(html).main_terms == [("roses", 2), ("garden", 1)]
    no_main = ("<body><div id='site-header'>Catalogue</div><div class='sidebar'>Basket</div>"
               "<p>Compost <a href='/x'>feeds</a> the soil.</p><aside>Offers</aside></body>")  # fmt: skip
    assert extract_page(no_main).main_terms == [("compost", 1), ("feeds", 1), ("soil", 1)]


def test_languages_are_identified_from_terms() -> None:
    german = [t for t, _ in top_terms("Die Gärten der Stadt blühen im Frühling; viele Menschen "
                                      "besuchen den Park, um die Rosen zu sehen.")]  # fmt: skip
    japanese = [t for t, _ in top_terms("春の初めにバラの枝を剪定すると、たくさんの花が咲きます。")]
    assert (terms_language(german), terms_language(japanese), terms_language(["ok"])) == ("de", "ja", None)


def test_cosine_of_tf_idf_vectors_is_their_normalized_dot_product() -> None:
    # page 0: a, b; page 1: a (x2); page 2: c.  idf: a = 1 + ln(4/3), b = c = 1 + ln(2)
    matrix = tf_idf(np.array([0, 0, 1, 2]), np.array([0, 1, 0, 2]), np.array([1, 1, 2, 1]), 3, 3)
    idf_a, idf_b = 1 + np.log(4 / 3), 1 + np.log(2)
    cos, shared = pair_cosines(matrix, np.array([0, 0, 1]), np.array([1, 2, 1]), explain=5)
    assert cos[0] == pytest.approx(idf_a / np.hypot(idf_a, idf_b))
    assert cos[1] == 0.0 and cos[2] == pytest.approx(1.0)
    assert shared == [[0], [], [0]]


def test_shared_terms_are_ordered_by_their_weight_product() -> None:
    vectors = normalize_rows(sparse.csr_array(np.array([[1.0, 3.0, 2.0, 0.5], [1.0, 1.0, 1.0, 1.0]])))
    _, shared = pair_cosines(vectors, np.array([0]), np.array([1]), explain=3)
    assert shared == [[1, 2, 0]]


def test_blended_cosine_is_the_cosine_of_the_weighted_sums() -> None:
    # p=(1,0,0), S=(0,1,0), q=(0,0,1), T=(0,1,0): the sides are (.8,.2,0) and (0,.5,.5),
    # their dot product .1, their norms sqrt(.68) and sqrt(.5): .1 / sqrt(.34) = 0.171499
    blended = blended_cosines(page_page=0.0, page_target_site=0.0, site_target_page=0.0, site_site=1.0,
                              page_own_site=0.0, target_own_site=0.0, source_weight=0.8, target_weight=0.5)
    assert float(blended) == pytest.approx(0.171499, abs=1e-6)


def test_relevance_blends_the_source_page_with_its_site_and_the_target_page_with_its_site() -> None:
    vectors = sparse.csr_array(np.array([
        [1.0, 0.0, 0.0],  # 0: source page p
        [0.6, 0.8, 0.0],  # 1: its site's profile S
        [0.0, 0.8, 0.6],  # 2: the target site's profile T
        [0.0, 0.0, 1.0],  # 3: a target page q of T
        [0.6, 0.0, 0.8],  # 4: a target page sharing term 0 with p
    ]))  # fmt: skip
    relevance, terms = blended_relevance(
        vectors, source_pages=np.array([0, 0, 0]), target_pages=np.array([-1, 3, 4]),
        source_sites=np.array([1, 1, -1]), target_sites=np.array([2, 2, -1]),
        site_site=np.array([0.64, 0.64, 0.0]))  # S.T = .8 x .8
    # site basis: (.8p + .2S) = (.92, .16, 0) against T: .16 x .8 / sqrt(.92² + .16²) = .128 / sqrt(.872)
    # page basis: against .5q + .5T = (0, .4, .8): .064 / (sqrt(.872) x sqrt(.8)) = 0.076626
    # no sites known: the pages alone, p.q = .6, explained by their one shared term
    assert relevance.tolist() == pytest.approx([0.137073, 0.076626, 0.6], abs=1e-6)
    assert terms.lists() == [[], [], [0]]


def test_template_terms_are_on_more_than_half_of_a_sites_pages_of_five_or_more() -> None:
    # site 0: 5 pages, term 9 on all of them, term 1 on 2; site 1: 4 pages, term 9 on all
    rows = np.array([0, 0, 1, 2, 3, 4, 4, 5, 6, 7, 8])
    terms = np.array([9, 1, 9, 9, 9, 9, 1, 9, 9, 9, 9])
    row_site = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    template = template_entries(rows, terms, row_site, 2)
    assert template.tolist() == [True, False, True, True, True, True, False, False, False, False, False]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    web, out = TopicWeb(), tmp_path_factory.mktemp("relevance")
    with LocalWebProcess(web) as server:
        result = run_crawl(*web.seeds(), *local_web_args(server.proxy_url, out), "--external-hops", "1",
                           "--run-id", RUN)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    analyzed = run_linkspider("analyze", "--out", str(out), timeout=120)
    assert analyzed.returncode == 0, analyzed.stderr[-3000:]
    return out


def club_links(out: Path) -> dict[str, tuple]:
    rows = duckdb.sql(f"""
        SELECT target_url, relevance, relevance_basis, relevance_terms, site_relevance,
               source_language, target_language
        FROM read_parquet('{analysis_path(out, RUN, "link_scores")}')
        WHERE is_external AND source_url = 'http://{CLUB}/'""").fetchall()
    return {row[0]: row[1:] for row in rows}


def test_an_on_topic_link_is_more_relevant_than_an_off_topic_one(dataset: Path) -> None:
    links = club_links(dataset)
    on, off = links[f"http://{NURSERY}/"], links[f"http://{GARAGE}/"]
    assert on[0] > off[0] and on[1] == off[1] == "target_page"
    assert on[2] and not set(on[2]) & {"newsletter", "subscribe"}  # template terms left out
    assert on[3] > 0.3 > 0.1 > off[3]


def test_an_unfetched_target_is_compared_with_its_sites_profile(dataset: Path) -> None:
    relevance, basis, terms, site_relevance, *_ = club_links(dataset)[f"http://{NURSERY}/gone.html"]
    assert basis == "target_site" and 0 < relevance <= 1 and terms


def test_languages_of_the_pages_and_sites(dataset: Path) -> None:
    links = club_links(dataset)
    assert links[f"http://{GERMAN}/"][4:] == ("en", "de")
    assert links[f"http://{JAPANESE}/"][4:] == ("en", "ja")
    topics = dict(duckdb.sql(f"SELECT site, language FROM "
                             f"read_parquet('{analysis_path(dataset, RUN, 'site_topics')}')").fetchall())  # fmt: skip
    assert topics == {"garden-club.com": "en", "rose-nursery.com": "en", "car-repair.com": "en",
                      "gartenfreunde.de": "de", "niwa-club.jp": "ja"}  # fmt: skip


def test_site_topics_lead_with_the_sites_subject(dataset: Path) -> None:
    rows = duckdb.sql(f"""SELECT site, pages, [t.term FOR t IN top_terms] AS terms,
                              [t.weight FOR t IN top_terms] AS weights
                          FROM read_parquet('{analysis_path(dataset, RUN, "site_topics")}')""").fetchall()
    by_site = {site: (pages, terms, weights) for site, pages, terms, weights in rows}
    assert by_site["garden-club.com"][0] == 6
    assert {"car", "brake", "engine"} & set(by_site["car-repair.com"][1][:5])
    assert "soil" in by_site["rose-nursery.com"][1][:10]
    for _, terms, weights in by_site.values():
        assert len(terms) <= 20 and weights == sorted(weights, reverse=True)


def test_only_external_body_links_have_relevance(dataset: Path) -> None:
    ((bad,),) = duckdb.sql(f"""SELECT count(*) FROM read_parquet('{analysis_path(dataset, RUN, "link_scores")}')
                            WHERE (relevance IS NOT NULL OR source_language IS NOT NULL)
                              AND NOT (is_external AND weight IS NOT NULL)""").fetchall()  # fmt: skip
    assert bad == 0


def test_the_manuals_off_topic_backlinks_query_finds_the_off_topic_links(dataset: Path) -> None:
    manual = (PROJECT_ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
    (query,) = [q for q in re.findall(r"duckdb\.sql\('''(.*?)'''\)", manual, re.S) if "relevance <" in q]
    rows = duckdb.sql(query.replace("output/", f"{dataset}/")).fetchall()
    assert {row[1] for row in rows} == {f"http://{GARAGE}/", f"http://{GERMAN}/", f"http://{JAPANESE}/"}
    assert rows[0][1] == f"http://{JAPANESE}/"  # the least related site first


def test_the_term_wise_product_and_the_dense_buffer_give_the_same_cosines_and_terms(monkeypatch) -> None:
    """pair_cosines_explained multiplies pairs with a small right row term by term and looks
    the others up in a dense buffer: both ways, the same explaining terms and the same
    cosines (to the rounding of their sums)."""
    from linkspider.analysis import relevance

    rng = np.random.default_rng(7)
    dense = rng.random((60, 400)) * (rng.random((60, 400)) < 0.1)
    dense[50:] = rng.random((10, 400)) * (rng.random((10, 400)) < 0.9)  # rows of ~360 terms
    dense[:, :3] = 0.25  # ties on the first terms
    vectors = relevance.normalize_rows(sparse.csr_array(dense))
    left, right = rng.integers(0, 60, 500), rng.integers(0, 60, 500)
    mixed = relevance.pair_cosines_explained(vectors, left, right, 5)
    assert (np.diff(vectors.indptr)[right] > relevance._SMALL_ROW_TERMS).any()  # both ways ran
    monkeypatch.setattr(relevance, "_SMALL_ROW_TERMS", -1)  # every pair through the buffer
    buffered = relevance.pair_cosines_explained(vectors, left, right, 5)
    expected = np.clip((vectors[left].toarray() * vectors[right].toarray()).sum(axis=1), 0, 1)
    assert np.allclose(mixed[0], expected, rtol=1e-12) and np.allclose(buffered[0], expected, rtol=1e-12)
    assert mixed[1].lists() == buffered[1].lists()

"""Topical relevance of backlinks: TF-IDF over the pages' main terms, per-site topic profiles,
and the languages of pages and sites (the relevance columns of ``link_scores`` and the
``site_topics`` table).

The model, in one place (docs/analysis.md, Relevance, says the same):

- **Terms** are ``pages.main_terms`` (the 64 most frequent terms of a page's main text,
  ``linkspider.extraction.text``); a page is one 2xx row per final URL.
- **Weights**: ``tf-idf = (1 + ln count) x (ln((1 + N) / (1 + df)) + 1)``, ``N`` the run's pages
  with terms, ``df`` the pages among them holding the term (the smoothed IDF of scikit-learn).
- **Template terms**: on a site with ``TEMPLATE_MIN_PAGES`` pages or more, a term on more than
  ``TEMPLATE_SHARE`` of its pages is the site's template (menus, footers, boilerplate the
  main-text rule let through) and left out of that site's page vectors.
- **Vectors**: each page's weights, L2-normalized; a **site profile** is the sum of its pages'
  vectors *with* their template terms, L2-normalized: on a site about one thing its topic's
  words are on most pages too, and a profile without them would lose the topic (a site's own
  boilerplate only dilutes its profile; boilerplate many sites share has a low IDF).
- **relevance** of an external body link: the cosine of the source side,
  ``SOURCE_PAGE_WEIGHT`` x source page + the rest x its site's profile, with the target side,
  ``TARGET_PAGE_WEIGHT`` x target page + the rest x its site's profile
  (``relevance_basis`` ``target_page``) when the target was fetched and has a vector, else the
  target site's profile alone (``target_site``); null when neither, or when the source page
  has no vector (``blended_cosines``: two random pages of same-topic sites share few terms,
  their sites share many). ``relevance_terms``: the terms the source page shares with the
  target page (or site) with the largest weight products (up to ``EXPLAINING_TERMS``).
  ``site_relevance``: source site profile against target site profile.
- **Languages**: py3langid on each page's terms (``terms_languages``); a site's language is its
  pages' most common one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from linkspider.analysis import queries
from linkspider.analysis.page_rank import url_forwards
from linkspider.extraction.text import terms_languages

#: A site needs this many pages with terms before it has template terms...
TEMPLATE_MIN_PAGES = 5
#: ...which are the terms on more than this share of them.
TEMPLATE_SHARE = 0.5
#: Shared terms kept in relevance_terms, and top terms per site in site_topics.
EXPLAINING_TERMS = 5
SITE_TOP_TERMS = 20
#: Share of the source page in the source side of ``relevance`` (the rest: its site's profile)...
SOURCE_PAGE_WEIGHT = 0.8
#: ...and of a fetched target page in the target side (the rest: the target site's profile).
TARGET_PAGE_WEIGHT = 0.5
#: Link pairs scored at once (bounds the memory of their source rows).
_CHUNK = 50_000


@dataclass
class TopicModel:
    """The run's page vectors and site profiles (module docstring), rows of one matrix:
    pages first, then sites."""

    vocabulary: np.ndarray  # term id -> term
    vectors: sparse.csr_array  # L2-normalized rows: pages, then site profiles
    page_index: dict[str, int]  # final URL or requested URL -> page row
    page_site: list[str | None]
    page_language: list[str | None]
    site_index: dict[str, int]  # site -> row in vectors
    site_pages: dict[str, int]
    site_language: dict[str, str | None]
    has_vector: np.ndarray  # per row: at least one term left


def tf_idf(rows: np.ndarray, terms: np.ndarray, counts: np.ndarray, n_rows: int, n_terms: int,
           keep: np.ndarray | None = None) -> sparse.csr_array:  # fmt: skip
    """Return the L2-normalized TF-IDF matrix of (row, term, count) entries (module docstring):
    IDF over every entry, the matrix of the ``keep`` ones (default all).

    >>> m = tf_idf(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 1, 2]), 2, 2)
    >>> [[round(float(x), 3) for x in row] for row in m.toarray()]
    [[0.58, 0.815], [1.0, 0.0]]
    """
    df = np.bincount(terms, minlength=n_terms)
    n = len(np.unique(rows))
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    weight = (1.0 + np.log(np.maximum(counts, 1))) * idf[terms]
    if keep is not None:
        rows, terms, weight = rows[keep], terms[keep], weight[keep]
    return normalize_rows(sparse.csr_array((weight, (rows, terms)), shape=(n_rows, n_terms)))


def normalize_rows(matrix: sparse.csr_array) -> sparse.csr_array:
    """Return ``matrix`` with each non-zero row scaled to unit L2 norm (zero rows stay zero)."""
    matrix = sparse.csr_array(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sparse.csr_array(sparse.diags_array(scale) @ matrix)


def template_entries(rows: np.ndarray, terms: np.ndarray, row_site: np.ndarray,
                     n_sites: int) -> np.ndarray:  # fmt: skip
    """Return a mask of the (row, term) entries that are their site's template terms: on more
    than ``TEMPLATE_SHARE`` of the site's rows, on a site of ``TEMPLATE_MIN_PAGES`` rows or more.

    >>> rows = np.repeat(np.arange(5), 2); terms = np.array([0, 1, 0, 2, 0, 3, 0, 4, 5, 6])
    >>> template_entries(rows, terms, np.zeros(5, dtype=np.int64), 1).astype(int).tolist()
    [1, 0, 1, 0, 1, 0, 1, 0, 0, 0]
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    n_terms = int(terms.max()) + 1
    sites = row_site[rows]
    key = sites.astype(np.int64) * n_terms + terms
    unique_keys, site_df = np.unique(key, return_counts=True)  # one entry per (row, term)
    site_rows = np.bincount(row_site[np.unique(rows)], minlength=n_sites)
    key_site = unique_keys // n_terms
    template = (site_rows[key_site] >= TEMPLATE_MIN_PAGES) & (site_df > TEMPLATE_SHARE * site_rows[key_site])
    return np.isin(key, unique_keys[template])


def topic_model(con: duckdb.DuckDBPyConnection) -> TopicModel:
    """Return the run's page vectors and site profiles (``run_pages`` behind ``con``)."""
    columns = {name for (name, *_) in con.execute("DESCRIBE run_pages").fetchall()}
    sql = queries.PAGE_TERMS if "main_terms" in columns else queries.PAGE_TERMS.replace(
        "any_value(main_terms)", "NULL::STRUCT(term VARCHAR, count INTEGER)[]")
    pages = con.sql(sql).to_arrow_table()
    finals = pages.column("final_url").to_pylist()
    page_site = pages.column("site").to_pylist()
    page_index = {url: i for i, url in enumerate(finals)}
    for i, urls in enumerate(pages.column("urls").to_pylist()):
        for url in urls or ():
            page_index.setdefault(url, i)
    main_terms = pages.column("main_terms").combine_chunks()
    lengths = pc.list_value_length(main_terms).fill_null(0).to_numpy()
    flat = pc.list_flatten(main_terms)
    encoded = pc.dictionary_encode(flat.field("term")) if len(flat) else None
    vocabulary = np.array(encoded.dictionary.to_pylist() if encoded is not None else [], dtype=object)
    terms = encoded.indices.to_numpy().astype(np.int64) if encoded is not None else np.zeros(0, np.int64)
    counts = flat.field("count").to_numpy(zero_copy_only=False) if len(flat) else np.zeros(0)
    rows = np.repeat(np.arange(len(finals)), lengths)
    sites = sorted({s for s, n in zip(page_site, lengths) if s is not None and n})
    site_row = {site: i for i, site in enumerate(sites)}
    row_site = np.array([site_row.get(s, -1) if s is not None else -1 for s in page_site], np.int64)
    # pages without a site (none expected) form no template and no profile
    keep = ~template_entries(rows, terms, np.where(row_site >= 0, row_site, len(sites)), len(sites) + 1)
    n_pages, n_terms = len(finals), len(vocabulary)
    page_vectors = tf_idf(rows, terms, counts, n_pages, n_terms, keep)
    whole_pages = tf_idf(rows, terms, counts, n_pages, n_terms)  # profiles keep the template
    in_site = row_site >= 0
    membership = sparse.csr_array((np.ones(int(in_site.sum())), (row_site[in_site], np.flatnonzero(in_site))),
                                  shape=(len(sites), n_pages))  # fmt: skip
    profiles = normalize_rows(membership @ whole_pages)
    vectors = sparse.csr_array(sparse.vstack([page_vectors, profiles], format="csr"))
    has_vector = np.diff(vectors.indptr) > 0
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    page_language = terms_languages([vocabulary[terms[start:start + n]].tolist()
                                     for start, n in zip(starts.tolist(), lengths.tolist())])  # fmt: skip
    site_language, site_pages = _site_languages(page_site, page_language, lengths)
    return TopicModel(vocabulary, vectors, page_index, page_site, page_language,
                      {site: n_pages + i for i, site in enumerate(sites)}, site_pages, site_language,
                      has_vector)  # fmt: skip


def _site_languages(page_site: list[str | None], page_language: list[str | None],
                    lengths: np.ndarray) -> tuple[dict[str, str | None], dict[str, int]]:  # fmt: skip
    """Return site -> most common page language (ties: alphabetical), site -> pages with terms."""
    languages: dict[str, Counter[str]] = defaultdict(Counter)
    pages: Counter[str] = Counter()
    for site, language, n in zip(page_site, page_language, lengths):
        if site is None or not n:
            continue
        pages[site] += 1
        if language is not None:
            languages[site][language] += 1
    most = {site: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else None
            for site, c in languages.items()}  # fmt: skip
    return {site: most.get(site) for site in pages}, dict(pages)


def pair_cosines(vectors: sparse.csr_array, left: np.ndarray, right: np.ndarray,
                 explain: int = 0) -> tuple[np.ndarray, list[list[int]]]:  # fmt: skip
    """Return the cosine of rows ``left[i]`` and ``right[i]`` of unit-norm ``vectors``, and with
    ``explain``, the ids of up to that many shared terms of each pair, largest product first.

    Pairs are taken in order of their right row, each right row spread once into a dense
    buffer that the left rows' few terms look up: the cost is the left rows' terms, however
    many terms a site profile (a right row) holds.

    >>> v = normalize_rows(sparse.csr_array(np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])))
    >>> cos, shared = pair_cosines(v, np.array([0, 0]), np.array([1, 2]), explain=2)
    >>> [round(float(c), 4) for c in cos], shared
    ([0.7071, 0.0], [[0], []])
    """
    cosines = np.zeros(len(left))
    shared: list[list[int]] = [[] for _ in range(len(left))] if explain else []
    buffer = np.zeros(vectors.shape[1])
    indptr, indices, data = vectors.indptr, vectors.indices, vectors.data
    order = np.argsort(right, kind="stable")
    for start in range(0, len(order), _CHUNK):
        at = order[start:start + _CHUNK]
        rows = sparse.csr_array(vectors[left[at]])
        product = np.zeros(len(rows.data))
        rights = right[at]
        firsts = np.flatnonzero(np.r_[True, rights[1:] != rights[:-1]])
        for first, last in zip(firsts.tolist(), np.r_[firsts[1:], len(at)].tolist()):
            r = int(rights[first])
            terms = indices[indptr[r]:indptr[r + 1]]
            buffer[terms] = data[indptr[r]:indptr[r + 1]]
            low, high = rows.indptr[first], rows.indptr[last]
            product[low:high] = rows.data[low:high] * buffer[rows.indices[low:high]]
            buffer[terms] = 0.0
        products = sparse.csr_array((product, rows.indices, rows.indptr), shape=rows.shape)
        cosines[at] = np.clip(np.asarray(products.sum(axis=1)).ravel(), 0.0, 1.0)
        if explain:
            products.eliminate_zeros()
            for i, ids in zip(at.tolist(), _top_per_row(products, explain)):
                shared[i] = ids
    return cosines, shared


def distinct_pair_cosines(vectors: sparse.csr_array, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return ``pair_cosines`` of rows ``left[i]`` and ``right[i]``, each distinct pair computed
    once: a run has few site pairs, and few page and own-site pairs, for many links.

    >>> v = normalize_rows(sparse.csr_array(np.array([[1.0, 1.0], [1.0, 0.0]])))
    >>> [round(float(c), 4) for c in distinct_pair_cosines(v, np.array([0, 0, 1]), np.array([1, 1, 1]))]
    [0.7071, 0.7071, 1.0]
    """
    if len(left) == 0:
        return np.zeros(0)
    keys, inverse = np.unique(left.astype(np.int64) * vectors.shape[0] + right, return_inverse=True)
    cosines, _ = pair_cosines(vectors, keys // vectors.shape[0], keys % vectors.shape[0])
    return cosines[inverse.ravel()]


def blended_cosines(page_page: np.ndarray, page_target_site: np.ndarray, site_target_page: np.ndarray,
                    site_site: np.ndarray, page_own_site: np.ndarray, target_own_site: np.ndarray,
                    source_weight: np.ndarray | float,
                    target_weight: np.ndarray | float) -> np.ndarray:  # fmt: skip
    """Return the cosine of ``a p + (1 - a) S`` with ``b q + (1 - b) T`` (``a``:
    ``source_weight``, ``b``: ``target_weight``) from the cosines of the unit vectors p (source
    page), S (its site's profile), q (target page) and T (target site's profile), pairwise:
    p.q, p.T, S.q, S.T, p.S and q.T; no vector is built, so a page costs its own terms.

    >>> float(blended_cosines(0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.8, 0.5).round(6))  # (.8,.2,0).(0,.5,.5)
    0.171499
    """
    a, b = np.asarray(source_weight, float), np.asarray(target_weight, float)
    dot = (a * b * page_page + a * (1 - b) * page_target_site + (1 - a) * b * site_target_page
           + (1 - a) * (1 - b) * site_site)  # fmt: skip
    left = np.sqrt(a * a + (1 - a) ** 2 + 2 * a * (1 - a) * page_own_site)
    right = np.sqrt(b * b + (1 - b) ** 2 + 2 * b * (1 - b) * target_own_site)
    return np.clip(dot / (left * right), 0.0, 1.0)


def blended_relevance(vectors: sparse.csr_array, source_pages: np.ndarray, target_pages: np.ndarray,
                      source_sites: np.ndarray, target_sites: np.ndarray,
                      site_site: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:  # fmt: skip
    """Return ``relevance`` (module docstring) of each pair of rows of ``vectors``, and the
    ids of its explaining terms: the source page's shared with the target page (basis target
    page) or site. ``target_pages`` -1: basis target site; a site -1: none (that side is its
    page alone); ``site_site``: the two sites' cosine (``site_relevance``, computed once)."""
    n = len(source_pages)
    by_page, has_source_site, has_target_site = target_pages >= 0, source_sites >= 0, target_sites >= 0
    a = np.where(has_source_site, SOURCE_PAGE_WEIGHT, 1.0)
    b = np.where(by_page, np.where(has_target_site, TARGET_PAGE_WEIGHT, 1.0), 0.0)
    cosines = {name: np.zeros(n) for name in ("pq", "pT", "Sq", "ST", "pS", "qT")}
    shared: list[list[int]] = [[] for _ in range(n)]

    def fill(name: str, mask: np.ndarray, left: np.ndarray, right: np.ndarray, explain: bool = False) -> None:
        if not explain:
            cosines[name][mask] = distinct_pair_cosines(vectors, left[mask], right[mask])
            return
        values, ids = pair_cosines(vectors, left[mask], right[mask], EXPLAINING_TERMS)
        cosines[name][mask] = values
        for i, terms in zip(np.flatnonzero(mask).tolist(), ids):
            shared[i] = terms

    fill("pq", by_page, source_pages, target_pages, explain=True)
    fill("pT", has_target_site & ~by_page, source_pages, target_sites, explain=True)
    fill("pT", has_target_site & by_page, source_pages, target_sites)
    fill("pS", has_source_site, source_pages, source_sites)
    fill("Sq", by_page & has_source_site, target_pages, source_sites)  # the page on the left: its terms' cost
    fill("qT", by_page & has_target_site, target_pages, target_sites)
    c = cosines
    c["ST"] = np.where(has_source_site & has_target_site, site_site, 0.0)
    return blended_cosines(c["pq"], c["pT"], c["Sq"], c["ST"], c["pS"], c["qT"], a, b), shared


def _top_per_row(product: sparse.csr_array, k: int) -> list[list[int]]:
    """Return the column ids of each row's ``k`` largest entries, largest first."""
    product.sort_indices()
    nnz = np.diff(product.indptr)
    rows = np.repeat(np.arange(len(nnz)), nnz)
    order = np.lexsort((-product.data, rows))  # by row, then largest first (stable: term id)
    rank = np.arange(len(order)) - product.indptr[rows[order]]
    chosen = order[rank < k]
    columns = product.indices[chosen].tolist()
    bounds = np.concatenate([[0], np.cumsum(np.minimum(nnz, k))]).tolist()
    return [columns[bounds[i]:bounds[i + 1]] for i in range(len(nnz))]


def relevance_pairs(con: duckdb.DuckDBPyConnection, model: TopicModel,
                    forward: dict[str, str] | None = None) -> pa.Table:
    """Return the relevance columns of each distinct (source_url, target_url) of the run's
    external body links (module docstring)."""
    links = con.execute(queries.RELEVANCE_LINKS).fetchall()
    forward = url_forwards(con) if forward is None else forward
    n_pages, has = len(model.page_site), model.has_vector
    left, right, basis, scored = [], [], [], []
    left_site, right_site = [], []  # the scored pairs' site profiles (-1: none)
    site_left, site_right, site_scored = [], [], []
    source_languages, target_languages = [], []
    for i, (source_url, target_url, source_site, target_site) in enumerate(links):
        source = model.page_index.get(source_url)
        target = model.page_index.get(target_url)
        if target is None and target_url in forward:
            target = model.page_index.get(forward[target_url])
        source_site = model.page_site[source] if source is not None else source_site
        target_site = model.page_site[target] if target is not None else target_site
        source_profile, target_profile = model.site_index.get(source_site), model.site_index.get(target_site)
        if source is not None and has[source]:
            by_page = target is not None and has[target]
            if by_page or target_profile is not None:
                left.append(source), right.append(target if by_page else -1), scored.append(i)
                basis.append("target_page" if by_page else "target_site")
                left_site.append(-1 if source_profile is None else source_profile)
                right_site.append(-1 if target_profile is None else target_profile)
        if source_profile is not None and target_profile is not None:
            site_left.append(source_profile), site_right.append(target_profile), site_scored.append(i)
        source_languages.append(model.page_language[source] if source is not None else
                                model.site_language.get(source_site))  # fmt: skip
        target_languages.append(model.page_language[target] if target is not None and target < n_pages
                                else model.site_language.get(target_site))  # fmt: skip
    n = len(links)
    site_cosines = distinct_pair_cosines(model.vectors, np.array(site_left, np.int64),
                                         np.array(site_right, np.int64))  # fmt: skip
    site_relevance = _spread(site_cosines, site_scored, n)
    cosines, shared = blended_relevance(model.vectors, np.array(left, np.int64), np.array(right, np.int64),
                                        np.array(left_site, np.int64), np.array(right_site, np.int64),
                                        np.nan_to_num(site_relevance[np.array(scored, np.int64)]))  # fmt: skip
    relevance = _spread(cosines, scored, n)
    basis_column: list[str | None] = [None] * n
    terms_column: list[list[str] | None] = [None] * n
    vocabulary = model.vocabulary
    for row, kind, ids in zip(scored, basis, shared):
        basis_column[row] = kind
        terms_column[row] = vocabulary[ids].tolist() if ids else []
    return pa.table({
        "source_url": pa.array([r[0] for r in links], pa.string()),
        "target_url": pa.array([r[1] for r in links], pa.string()),
        "relevance": pa.array(relevance, pa.float64(), mask=np.isnan(relevance)),
        "relevance_basis": pa.array(basis_column, pa.string()),
        "relevance_terms": pa.array(terms_column, pa.list_(pa.string())),
        "site_relevance": pa.array(site_relevance, pa.float64(), mask=np.isnan(site_relevance)),
        "source_language": pa.array(source_languages, pa.string()),
        "target_language": pa.array(target_languages, pa.string()),
    })


def _spread(values: np.ndarray, rows: list[int], length: int) -> np.ndarray:
    out = np.full(length, np.nan)
    out[np.array(rows, np.int64)] = values
    return out


def with_relevance(con: duckdb.DuckDBPyConnection, scores: pa.Table, model: TopicModel,
                   forward: dict[str, str] | None = None) -> pa.Table:
    """Return ``link_scores`` with the relevance columns of its external body links (null for
    the other rows), rows in their order, metadata kept."""
    pairs = relevance_pairs(con, model, forward)
    index = {key: i for i, key in enumerate(zip(pairs.column("source_url").to_pylist(),
                                                 pairs.column("target_url").to_pylist()))}  # fmt: skip
    scored = pc.and_(scores.column("is_external"), pc.is_valid(scores.column("weight")))
    rows = np.flatnonzero(scored.to_numpy(zero_copy_only=False))
    take = np.full(scores.num_rows, -1, np.int64)
    sources = scores.column("source_url").take(pa.array(rows)).to_pylist()
    targets = scores.column("target_url").take(pa.array(rows)).to_pylist()
    take[rows] = [index.get(key, -1) for key in zip(sources, targets)]
    chosen = pairs.take(pa.array(take, mask=take < 0))
    for name in pairs.column_names[2:]:
        scores = scores.append_column(name, chosen.column(name))
    return scores


def site_topics_table(model: TopicModel, run_id: str) -> pa.Table:
    """Return the ``site_topics`` table: per site with terms, its pages, language and top terms."""
    sites = sorted(model.site_index)
    top: list[list[dict]] = []
    for site in sites:
        row = model.vectors[[model.site_index[site]]]
        row = sparse.csr_array(row)
        order = np.lexsort((row.indices, -row.data))[:SITE_TOP_TERMS]
        top.append([{"term": model.vocabulary[row.indices[j]], "weight": float(row.data[j])} for j in order])
    return pa.table({
        "run_id": pa.array([run_id] * len(sites), pa.string()),
        "site": pa.array(sites, pa.string()),
        "pages": pa.array([model.site_pages[s] for s in sites], pa.int64()),
        "language": pa.array([model.site_language.get(s) for s in sites], pa.string()),
        "top_terms": pa.array(top, pa.list_(pa.struct([("term", pa.string()), ("weight", pa.float64())]))),
    })

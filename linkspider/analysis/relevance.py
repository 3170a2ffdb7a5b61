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
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from linkspider.analysis import queries
from linkspider.analysis.page_rank import forwarded, url_forwards
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
#: Terms of the left rows of the pairs scored at once (bounds the memory of a step: a site
#: profile can hold every term of the run).
_CHUNK_TERMS = 1_000_000
#: Right rows with at most this many terms are multiplied with their left rows term by term
#: (``pair_cosines_explained``); a page has at most 64.
_SMALL_ROW_TERMS = 256


@dataclass
class TopicModel:
    """The run's page vectors and site profiles (module docstring), rows of one matrix:
    pages first, then sites."""

    vocabulary: np.ndarray  # term id -> term
    vectors: sparse.csr_array  # L2-normalized rows: pages, then site profiles
    page_urls: pa.Array  # final URLs (row order), then the requested URLs of each page...
    page_url_rows: np.ndarray  # ...and each one's page row (the first one wins a lookup)
    page_site: pa.Array  # per page row
    page_language: pa.Array  # per page row
    site_index: dict[str, int]  # site -> row in vectors
    site_pages: dict[str, int]
    site_language: dict[str, str | None]
    has_vector: np.ndarray  # per row: at least one term left
    #: the languages (page_language, site_language, site_pages) while they are identified
    pending: Future[tuple[list[str | None], tuple[dict[str, str | None], dict[str, int]]]] | None = \
        field(default=None, repr=False)

    def wait_for_languages(self) -> TopicModel:
        """Fill in the languages once they are identified (``topic_model`` with an executor)."""
        if self.pending is not None:
            page_language, (self.site_language, self.site_pages) = self.pending.result()
            self.page_language, self.pending = pa.array(page_language, pa.string()), None
        return self

    def page_rows(self, urls: pa.Array) -> np.ndarray:
        """Return the page row of each URL (its final URL or one requested for it), -1 when none."""
        at = pc.index_in(urls, value_set=self.page_urls, skip_nulls=True).fill_null(-1).to_numpy(zero_copy_only=False)
        return np.where(at >= 0, self.page_url_rows[np.maximum(at, 0)], -1) if len(self.page_url_rows) \
            else np.full(len(urls), -1, np.int64)

    def site_rows(self, sites: pa.Array) -> np.ndarray:
        """Return the profile row (in ``vectors``) of each site, -1 when it has none."""
        names = pa.array(list(self.site_index), pa.string())
        rows = np.fromiter(self.site_index.values(), np.int64, len(self.site_index))
        at = pc.index_in(sites, value_set=names, skip_nulls=True).fill_null(-1).to_numpy(zero_copy_only=False)
        return np.where(at >= 0, rows[np.maximum(at, 0)], -1) if len(rows) else np.full(len(sites), -1, np.int64)

    def site_languages(self, sites: pa.Array) -> pa.Array:
        """Return the language of each site (null when unknown)."""
        names = pa.array(list(self.site_language), pa.string())
        return pa.array(list(self.site_language.values()), pa.string()).take(
            pc.index_in(sites, value_set=names, skip_nulls=True))


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


def page_terms(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Return (final_url, urls, site, main_terms) of each 2xx page of the run behind ``con``,
    by final URL (``queries.PAGE_TERMS``; no terms on a dataset older than
    ``pages.main_terms``)."""
    columns = {name for (name, *_) in con.execute("DESCRIBE run_pages").fetchall()}
    sql = queries.PAGE_ROWS if "main_terms" in columns else queries.PAGE_ROWS.replace(
        "main_terms", "NULL::STRUCT(term VARCHAR, count INTEGER)[] AS main_terms")
    rows = con.sql(sql).to_arrow_table()
    rows = rows.append_column("row", pa.array(np.arange(rows.num_rows, dtype=np.int64)))
    con.register("page_rows", rows.drop_columns(["main_terms"]).append_column(
        "has_terms", pc.is_valid(rows.column("main_terms"))))
    try:
        pages = con.sql(queries.PAGE_TERMS).to_arrow_table()
    finally:
        con.unregister("page_rows")
    return pages.drop_columns(["row"]).append_column(
        "main_terms", rows.column("main_terms").combine_chunks().take(pages.column("row").combine_chunks()))


def topic_model(source: duckdb.DuckDBPyConnection | pa.Table, languages: Executor | None = None) -> TopicModel:
    """Return the run's page vectors and site profiles from ``page_terms`` (or the run behind
    a connection). The pages' languages are identified in a thread of ``languages`` meanwhile
    (NumPy's sorts and SciPy's sparse steps let go of the GIL); with an executor given, the
    model is returned before they are known (``TopicModel.wait_for_languages``)."""
    pages = page_terms(source) if isinstance(source, duckdb.DuckDBPyConnection) else source
    finals = pages.column("final_url").combine_chunks()
    page_site = pages.column("site").to_pylist()
    requested = pages.column("urls").combine_chunks()
    page_urls = pa.concat_arrays([finals.cast(pa.string()), pc.list_flatten(requested).cast(pa.string())])
    page_url_rows = np.concatenate([np.arange(len(finals)), np.repeat(
        np.arange(len(finals)), pc.list_value_length(requested).fill_null(0).to_numpy())]).astype(np.int64)
    main_terms = pages.column("main_terms").combine_chunks()
    lengths = pc.list_value_length(main_terms).fill_null(0).to_numpy()
    flat = pc.list_flatten(main_terms)
    encoded = pc.dictionary_encode(flat.field("term")) if len(flat) else None
    vocabulary = np.array(encoded.dictionary.to_pylist() if encoded is not None else [], dtype=object)
    terms = encoded.indices.to_numpy().astype(np.int64) if encoded is not None else np.zeros(0, np.int64)
    counts = flat.field("count").to_numpy(zero_copy_only=False) if len(flat) else np.zeros(0)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    def identify() -> tuple[list[str | None], tuple[dict[str, str | None], dict[str, int]]]:
        page_language = terms_languages([vocabulary[terms[start:start + n]].tolist()
                                         for start, n in zip(starts.tolist(), lengths.tolist())])  # fmt: skip
        return page_language, _site_languages(page_site, page_language, lengths)

    own = languages is None
    executor = ThreadPoolExecutor(1, thread_name_prefix="languages") if own else languages
    try:
        pending = executor.submit(identify)
        model = _weighed(finals, page_site, page_urls, page_url_rows, vocabulary, terms, counts, lengths)
        model.pending = pending
        return model.wait_for_languages() if own else model
    finally:
        if own:
            executor.shutdown()


def _weighed(finals: pa.Array, page_site: list[str | None], page_urls: pa.Array, page_url_rows: np.ndarray,
             vocabulary: np.ndarray, terms: np.ndarray, counts: np.ndarray,
             lengths: np.ndarray) -> TopicModel:  # fmt: skip
    """Return the model's vectors and rows (languages left empty) from the flat page terms."""
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
    return TopicModel(vocabulary, vectors, page_urls, page_url_rows, pa.array(page_site, pa.string()),
                      pa.nulls(n_pages, pa.string()),
                      {site: n_pages + i for i, site in enumerate(sites)}, {}, {}, has_vector)  # fmt: skip


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


@dataclass
class SharedTerms:
    """The explaining term ids of many pairs, flat: pair ``i``'s are
    ``ids[offsets[i]:offsets[i + 1]]`` (``offsets``: the running sum of ``counts``)."""

    counts: np.ndarray
    ids: np.ndarray

    @classmethod
    def none(cls, n: int) -> SharedTerms:
        return cls(np.zeros(n, np.int64), np.zeros(0, np.int64))

    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)

    def lists(self) -> list[list[int]]:
        bounds = self.offsets().tolist()
        ids = self.ids.tolist()
        return [ids[bounds[i]:bounds[i + 1]] for i in range(len(self.counts))]

    @classmethod
    def gather(cls, n: int, parts: list[tuple[np.ndarray, SharedTerms]]) -> SharedTerms:
        """Return the terms of ``n`` pairs from parts of (pair numbers, their terms); pairs no
        part names have none."""
        counts = np.zeros(n, np.int64)
        if not parts:
            return cls(counts, np.zeros(0, np.int64))
        labels = np.concatenate([np.repeat(at, part.counts) for at, part in parts])
        for at, part in parts:
            counts[at] = part.counts
        ids = np.concatenate([part.ids for _, part in parts])
        return cls(counts, ids[np.argsort(labels, kind="stable")].astype(np.int64))


def pair_cosines(vectors: sparse.csr_array, left: np.ndarray, right: np.ndarray,
                 explain: int = 0) -> tuple[np.ndarray, list[list[int]]]:  # fmt: skip
    """Return the cosine of rows ``left[i]`` and ``right[i]`` of unit-norm ``vectors``, and with
    ``explain``, the ids of up to that many shared terms of each pair, largest product first
    (``pair_cosines_explained`` gives them flat).

    >>> v = normalize_rows(sparse.csr_array(np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])))
    >>> cos, shared = pair_cosines(v, np.array([0, 0]), np.array([1, 2]), explain=2)
    >>> [round(float(c), 4) for c in cos], shared
    ([0.7071, 0.0], [[0], []])
    """
    cosines, shared = pair_cosines_explained(vectors, left, right, explain)
    return cosines, shared.lists() if explain else []


def pair_cosines_explained(vectors: sparse.csr_array, left: np.ndarray, right: np.ndarray,
                           explain: int = 0) -> tuple[np.ndarray, SharedTerms]:  # fmt: skip
    """Return ``pair_cosines`` with the shared terms flat (none when ``explain`` is 0).

    A pair whose right row has few terms (a page) is the two rows multiplied term by term in
    one sparse step. The others are taken in order of their right row, each right row spread
    once into a dense buffer that the left rows' few terms look up: the cost is the left
    rows' terms, however many terms a site profile (a right row) holds. Both give the same
    products (so the same explaining terms); their sums agree to rounding (1e-15 relative).
    """
    cosines = np.zeros(len(left))
    parts: list[tuple[np.ndarray, SharedTerms]] = []
    sizes = np.diff(vectors.indptr)
    small = sizes[right] <= _SMALL_ROW_TERMS
    pairs = np.flatnonzero(small)
    for at in _chunks(pairs, sizes[left[pairs]] + sizes[right[pairs]], _CHUNK_TERMS):
        products = sparse.csr_array(vectors[left[at]].multiply(vectors[right[at]]))
        cosines[at] = np.clip(np.asarray(products.sum(axis=1)).ravel(), 0.0, 1.0)
        if explain:
            parts.append((at, _top_per_row(products, explain)))
    buffer = np.zeros(vectors.shape[1])
    indptr, indices, data = vectors.indptr, vectors.indices, vectors.data
    large = np.flatnonzero(~small)
    order = large[np.argsort(right[large], kind="stable")]
    for at in _chunks(order, sizes[left[order]], _CHUNK_TERMS):
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
            parts.append((at, _top_per_row(products, explain)))
    return cosines, SharedTerms.gather(len(left), parts)


def _chunks(order: np.ndarray, sizes: np.ndarray, limit: int) -> list[np.ndarray]:
    """Return ``order`` cut into consecutive pieces whose ``sizes`` add up to about ``limit``
    (at least one element each).

    >>> [c.tolist() for c in _chunks(np.arange(5), np.array([3, 3, 3, 9, 1]), 6)]
    [[0, 1], [2], [3], [4]]
    """
    if len(order) == 0:
        return []
    ends = np.cumsum(sizes)
    bounds = [0]
    while bounds[-1] < len(order):
        base = ends[bounds[-1] - 1] if bounds[-1] else 0
        bounds.append(max(int(np.searchsorted(ends, base + limit, side="right")), bounds[-1] + 1))
    return [order[a:b] for a, b in zip(bounds, bounds[1:])]


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
                      site_site: np.ndarray) -> tuple[np.ndarray, SharedTerms]:  # fmt: skip
    """Return ``relevance`` (module docstring) of each pair of rows of ``vectors``, and the
    ids of its explaining terms: the source page's shared with the target page (basis target
    page) or site. ``target_pages`` -1: basis target site; a site -1: none (that side is its
    page alone); ``site_site``: the two sites' cosine (``site_relevance``, computed once)."""
    n = len(source_pages)
    by_page, has_source_site, has_target_site = target_pages >= 0, source_sites >= 0, target_sites >= 0
    a = np.where(has_source_site, SOURCE_PAGE_WEIGHT, 1.0)
    b = np.where(by_page, np.where(has_target_site, TARGET_PAGE_WEIGHT, 1.0), 0.0)
    cosines = {name: np.zeros(n) for name in ("pq", "pT", "Sq", "ST", "pS", "qT")}
    parts: list[tuple[np.ndarray, SharedTerms]] = []

    def fill(name: str, mask: np.ndarray, left: np.ndarray, right: np.ndarray, explain: bool = False) -> None:
        if not explain:
            cosines[name][mask] = distinct_pair_cosines(vectors, left[mask], right[mask])
            return
        values, shared = pair_cosines_explained(vectors, left[mask], right[mask], EXPLAINING_TERMS)
        cosines[name][mask] = values
        parts.append((np.flatnonzero(mask), shared))

    fill("pq", by_page, source_pages, target_pages, explain=True)
    fill("pT", has_target_site & ~by_page, source_pages, target_sites, explain=True)
    fill("pT", has_target_site & by_page, source_pages, target_sites)
    fill("pS", has_source_site, source_pages, source_sites)
    fill("Sq", by_page & has_source_site, target_pages, source_sites)  # the page on the left: its terms' cost
    fill("qT", by_page & has_target_site, target_pages, target_sites)
    c = cosines
    c["ST"] = np.where(has_source_site & has_target_site, site_site, 0.0)
    relevance = blended_cosines(c["pq"], c["pT"], c["Sq"], c["ST"], c["pS"], c["qT"], a, b)
    return relevance, SharedTerms.gather(n, parts)


def _top_per_row(product: sparse.csr_array, k: int) -> SharedTerms:
    """Return the column ids of each row's ``k`` largest entries, largest first."""
    product.sort_indices()
    nnz = np.diff(product.indptr)
    rows = np.repeat(np.arange(len(nnz)), nnz)
    order = np.lexsort((-product.data, rows))  # by row, then largest first (stable: term id)
    rank = np.arange(len(order)) - product.indptr[rows[order]]
    chosen = order[rank < k]
    return SharedTerms(np.minimum(nnz, k).astype(np.int64), product.indices[chosen].astype(np.int64))


def relevance_pairs(con: duckdb.DuckDBPyConnection, model: TopicModel,
                    forward: dict[str, str] | None = None) -> pa.Table:
    """Return the relevance columns of each distinct (source_url, target_url) of the run's
    external body links (module docstring)."""
    links = con.sql(queries.RELEVANCE_LINKS).to_arrow_table().combine_chunks()
    forward = url_forwards(con) if forward is None else forward
    columns = relevance_columns(model, links.column("source_url").chunk(0), links.column("target_url").chunk(0),
                                links.column("source_site").chunk(0), links.column("target_site").chunk(0),
                                forward)  # fmt: skip
    return pa.table({"source_url": links.column("source_url"), "target_url": links.column("target_url"),
                     **{name: columns.column(name) for name in columns.column_names}})  # fmt: skip


def relevance_columns(model: TopicModel, source_urls: pa.Array, target_urls: pa.Array,
                      source_sites: pa.Array, target_sites: pa.Array,
                      forward: dict[str, str]) -> pa.Table:  # fmt: skip
    """Return the relevance columns (``relevance``, ``relevance_basis``, ``relevance_terms``,
    ``site_relevance``, ``source_language``, ``target_language``) of external body links given
    by their URLs and sites (registrable domain, else host), row for row."""
    model.wait_for_languages()
    n, has = len(source_urls), model.has_vector
    source, target = model.page_rows(source_urls), model.page_rows(target_urls)
    if forward:
        target = np.where(target >= 0, target, model.page_rows(forwarded(target_urls, forward)))
    found_source, found_target = source >= 0, target >= 0
    # a fetched page's own site, else the link's
    source_sites = pc.if_else(pa.array(found_source), model.page_site.take(pa.array(np.maximum(source, 0))),
                              source_sites)  # fmt: skip
    target_sites = pc.if_else(pa.array(found_target), model.page_site.take(pa.array(np.maximum(target, 0))),
                              target_sites)  # fmt: skip
    source_profile, target_profile = model.site_rows(source_sites), model.site_rows(target_sites)
    has_source = found_source & has[np.maximum(source, 0)]
    by_page = found_target & has[np.maximum(target, 0)]
    scored = np.flatnonzero(has_source & (by_page | (target_profile >= 0)))
    both_sites = np.flatnonzero((source_profile >= 0) & (target_profile >= 0))
    site_relevance = np.full(n, np.nan)
    site_relevance[both_sites] = distinct_pair_cosines(model.vectors, source_profile[both_sites],
                                                       target_profile[both_sites])  # fmt: skip
    cosines, shared = blended_relevance(model.vectors, source[scored],
                                        np.where(by_page, target, -1)[scored],
                                        source_profile[scored], target_profile[scored],
                                        np.nan_to_num(site_relevance[scored]))  # fmt: skip
    relevance = np.full(n, np.nan)
    relevance[scored] = cosines
    is_scored = np.zeros(n, bool)
    is_scored[scored] = True
    counts = np.zeros(n, np.int64)
    counts[scored] = shared.counts
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    # the vocabulary made an Arrow array once, not each of the pairs' terms a Python string
    names = pa.array(model.vocabulary, pa.string()).take(pa.array(shared.ids))
    terms = pa.ListArray.from_arrays(pa.array(offsets), names,
                                     mask=pa.array(~is_scored))  # fmt: skip
    basis = pc.if_else(pa.array(by_page), "target_page", "target_site")
    return pa.table({
        "relevance": pa.array(relevance, pa.float64(), mask=np.isnan(relevance)),
        "relevance_basis": pc.if_else(pa.array(is_scored), basis, pa.scalar(None, pa.string())),
        "relevance_terms": terms,
        "site_relevance": pa.array(site_relevance, pa.float64(), mask=np.isnan(site_relevance)),
        "source_language": pc.if_else(pa.array(found_source),
                                      model.page_language.take(pa.array(np.maximum(source, 0))),
                                      model.site_languages(source_sites)),
        "target_language": pc.if_else(pa.array(found_target),
                                      model.page_language.take(pa.array(np.maximum(target, 0))),
                                      model.site_languages(target_sites)),
    })  # fmt: skip


def with_relevance(con: duckdb.DuckDBPyConnection, scores: pa.Table, model: TopicModel,
                   forward: dict[str, str] | None = None) -> pa.Table:
    """Return ``link_scores`` (its rows in ``run_links`` order) with the relevance columns of
    its external body links (null for the other rows), metadata kept."""
    forward = url_forwards(con) if forward is None else forward
    scored = pc.and_(scores.column("is_external"), pc.is_valid(scores.column("weight")))
    rows = np.flatnonzero(scored.to_numpy(zero_copy_only=False))
    sites = con.sql(queries.EXTERNAL_BODY_SITES).to_arrow_table()
    if sites.num_rows != len(rows):
        raise ValueError(f"link_scores has {len(rows)} external body links, run_links {sites.num_rows}")
    take = pa.array(rows)
    columns = relevance_columns(model, scores.column("source_url").take(take).combine_chunks(),
                                scores.column("target_url").take(take).combine_chunks(),
                                sites.column("source_site").combine_chunks(),
                                sites.column("target_site").combine_chunks(), forward)  # fmt: skip
    del sites
    at = np.full(scores.num_rows, -1, np.int64)
    at[rows] = np.arange(len(rows))
    chosen = columns.take(pa.array(at, mask=at < 0))
    for name in chosen.column_names:
        scores = scores.append_column(name, chosen.column(name))
    return scores


def site_topics_table(model: TopicModel, run_id: str) -> pa.Table:
    """Return the ``site_topics`` table: per site with terms, its pages, language and top terms."""
    model.wait_for_languages()
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

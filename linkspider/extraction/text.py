"""A page's main text, its terms and its language: pure functions over text (and one over the
parsed body), for ``pages.main_terms`` and ``pages.word_count``, and the languages of the
analysis (``linkspider.analysis.relevance``).

*Terms* are lowercase runs of Unicode word characters (``\\w`` less ``_``) of two characters or
more, digits-only runs and a short stopword list of the main European languages left out;
CJK text (Han, Hiragana, Katakana, Hangul), which has no spaces between words, gives its
overlapping character bigrams instead (a lone CJK character stands for itself), as search
engines index it. *Words* (``word_count``) are whitespace-separated tokens, each CJK character
counting as one word. The *language* is py3langid's (the model ships inside the package), on
a page's terms (``terms_language``). docs/analysis.md, Relevance, tells how the analysis uses
them.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

#: Terms kept per page (the most frequent ones): the bound of ``pages.main_terms``.
MAX_TERMS = 64
#: Characters of main text the terms are counted in (about 1,500 words): tokenizing costs
#: some 50 ns a character, and the lead of a page says what it is about.
MAX_TERM_CHARS = 10_000
#: Characters of text the language is identified from...
LANGUAGE_CHARS = 2_000
#: ...and the letters it needs at least (fewer: null language).
LANGUAGE_MIN_LETTERS = 20

_CJK_CLASS = "\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
#: One range or two (a faster scan than the class): text without them holds no CJK.
_CJK_ANY = re.compile("[\u3040-\ud7af\uf900-\ufaff]")
#: A CJK run (group 1), or a run of other word characters.
_TOKEN = re.compile(f"([{_CJK_CLASS}]+)|[^\\W_{_CJK_CLASS}]{{2,}}")
_LETTER = re.compile(r"[^\W\d_]")
#: Matches a text holding at least ``LANGUAGE_MIN_LETTERS`` letters (one C call, not a list of them).
_ENOUGH_LETTERS = re.compile(r"(?:[\W\d_]*[^\W\d_]){%d}" % LANGUAGE_MIN_LETTERS)
_WORD = re.compile(r"[^\W_]{2,}")

#: Function words of English, German, French, Spanish, Italian, Portuguese and Dutch: the
#: commonest words of any page, which would crowd its topic out of the top terms.
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers him his how i if in into is it its itself just me more
most my no nor not now of off on once only or other our ours out over own same she should so
some such than that the their theirs them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you
your yours new one two get use used using may like see also us
aber alle als am an auch auf aus bei bin bis bist da dann das dass dem den der des die dies
diese dieser doch du durch ein eine einem einen einer eines er es für hat hatte ich ihr im in
ist ja kann mit nach nicht noch nur oder sein sich sie sind so über um und uns von vor war
was weil wenn werden wie wir wird zu zum zur
au aux avec ce ces dans de des du elle en est et il ils je la le les leur mais ne nous ou par
pas pour qu que qui sa se ses son sont sur un une vous été être
al como con del el es en la las lo los más no para pero por se su sus un una uno y ya
che di da il non per più sono gli nel della delle dei
ao da das do dos em na nas no nos os ou para pelo pela um uma
de het een en van in is dat op te zijn voor met niet aan er maar om ook als bij
""".split())  # fmt: skip


def count_words(text: str) -> int:
    """Return the words of ``text``: whitespace-separated tokens, each CJK character one word.

    >>> count_words("two words"), count_words("東京は日本の首都です"), count_words("Tokyo 東京")
    (2, 10, 3)
    """
    if text.isascii() or not _CJK_ANY.search(text):
        return len(text.split())
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return len(_CJK_RUN.sub(" ", text).split()) + cjk


def tokenize(text: str) -> list[str]:
    """Return the terms of ``text`` in order (module docstring): CJK runs as bigrams.

    >>> tokenize("The Gardens of Berlin, 2024: Gärten!")
    ['gardens', 'berlin', 'gärten']
    >>> tokenize("東京都 a x1")
    ['東京', '京都', 'x1']
    """
    terms: list[str] = []
    append = terms.append
    stop = STOPWORDS
    for match in _TOKEN.finditer(text.lower()):
        run = match.group(1)
        if run is None:
            term = match.group()
            if term not in stop and not term.isdigit():
                append(term)
        elif len(run) == 1:
            append(run)
        else:
            terms.extend([run[i:i + 2] for i in range(len(run) - 1)])
    return terms


def top_terms(text: str, limit: int = MAX_TERMS) -> list[tuple[str, int]]:
    """Return the ``limit`` most frequent terms of ``text`` (``tokenize``) with their counts
    (ties: first seen first), counted in its first ``MAX_TERM_CHARS`` characters.

    >>> top_terms("garden roses, garden tools; roses garden the 2024 2024", 2)
    [('garden', 3), ('roses', 2)]
    """
    text = text[:MAX_TERM_CHARS]
    if not text.isascii() and _CJK_ANY.search(text):
        return Counter(tokenize(text)).most_common(limit)
    # Most pages: count the whitespace tokens at C speed, then split and filter each distinct
    # token once (the same terms as tokenize: \w has no whitespace; isalnum is \w less "_").
    counts: dict[str, int] = {}
    get, stop, word = counts.get, STOPWORDS, _WORD.findall
    for token, n in Counter(text.lower().split()).items():
        if token.isalnum():
            if len(token) > 1 and token not in stop and not token.isdigit():
                counts[token] = get(token, 0) + n
            continue
        for term in word(token):
            if term not in stop and not term.isdigit():
                counts[term] = get(term, 0) + n
    return sorted(counts.items(), key=itemgetter(1), reverse=True)[:limit]


#: Characters of a page's terms (most frequent first, space-separated) its language is
#: identified from (some 25 words): py3langid walks its text byte by byte in Python (about
#: 0.3 us a byte), so the analysis identifies the language from the stored terms, briefly,
#: rather than the crawl from the whole text.
LANGUAGE_TERM_CHARS = 200


def terms_language(terms: list[str]) -> str | None:
    """Return the language of a page from its terms, most frequent first (``detect_language``
    on them joined by spaces, up to ``LANGUAGE_TERM_CHARS`` characters).

    >>> terms_language(["gärten", "stadt", "blühen", "frühling", "menschen", "besuchen"])
    'de'
    """
    return detect_language(_language_text(terms))


def terms_languages(pages: list[list[str]]) -> list[str | None]:
    """Return ``terms_language`` of each page's terms, the model's scores computed for all the
    pages in one sparse product (py3langid 0.4.0's own steps: its byte-level feature walk per
    page, then its naive Bayes scores, script aliases folded, best label; a call per page
    spends most of its time in NumPy's per-call overhead).

    >>> terms_languages([["gärten", "stadt", "blühen", "frühling"], ["ok"], ["jardin", "ville", "printemps"]])
    ['de', None, 'fr']
    """
    from py3langid.langid import RAW_FLOOR

    identifier = _identifier()
    known: list[int] = []
    texts: list[bytes] = []
    for i, terms in enumerate(pages):
        sample = _language_text(terms)[:LANGUAGE_CHARS]
        if not _ENOUGH_LETTERS.match(sample):
            continue
        known.append(i)
        texts.append(identifier._encode(sample))
    languages: list[str | None] = [None] * len(pages)
    if not known:
        return languages
    import numpy as np
    from scipy import sparse

    table = identifier.nb_ptc
    scores = np.empty((len(known), table.shape[1]), np.float32)
    for first in range(0, len(texts), _SCORE_BATCH):  # bounds the (text, feature) visits held
        batch = texts[first:first + _SCORE_BATCH]
        rows, features, counts = _feature_counts(identifier, batch, table.shape[0])
        # only the batch's features (the same sums, in the same order): the table's rows of
        # them in the product's type, not all of it
        used = np.flatnonzero(np.bincount(features, minlength=table.shape[0]))
        column = np.zeros(table.shape[0], np.int64)
        column[used] = np.arange(len(used))
        visited = sparse.csr_array((np.log1p(counts.astype(np.float32)), (rows, column[features])),
                                   shape=(len(batch), len(used)))  # fmt: skip
        part = np.asarray(visited @ table[used].astype(np.float32), dtype=np.float32) + identifier.nb_pc
        part[np.diff(visited.indptr) == 0] = RAW_FLOOR  # no feature: as py3langid scores it
        scores[first:first + len(batch)] = part
    for i, j in identifier._alias_pairs:
        scores[:, i] = np.maximum(scores[:, i], scores[:, j])
        scores[:, j] = RAW_FLOOR
    classes = identifier.nb_classes
    for page, best in zip(known, scores.argmax(axis=1).tolist()):
        languages[page] = classes[best]
    return languages


#: Texts walked through py3langid's automaton at once (bounds the walk's byte matrix)...
_WALK_BATCH = 1_024
#: ...and scored at once (bounds their feature visits and the sparse matrix of them).
_SCORE_BATCH = 8_192


def _feature_counts(identifier: Any, texts: list[bytes], n_features: int) -> tuple[Any, Any, Any]:
    """Return (text, feature, count) of py3langid's feature visits in each text: its
    ``visit_counts`` automaton walked over every text of a batch at once, one byte position
    per NumPy step, rather than byte by byte in Python."""
    import numpy as np
    from scipy import sparse

    next_move, row_base, output = _walk_tables(identifier)
    rows, features, counts = [], [], []
    for first in range(0, len(texts), _WALK_BATCH):
        batch = texts[first:first + _WALK_BATCH]
        lengths = np.fromiter(map(len, batch), np.int64, len(batch))
        width = int(lengths.max()) if len(batch) else 0
        inside = np.arange(width) < lengths[:, None]
        data = np.zeros((len(batch), width), np.uint8)
        data[inside] = np.frombuffer(b"".join(batch), np.uint8)
        state = np.zeros(len(batch), np.int64)
        visits = np.empty((len(batch), width), np.int32)
        for t in range(width):
            state = next_move[row_base[state] + data[:, t]]
            visits[:, t] = output[state]
        text, _ = np.nonzero(inside & (visits >= 0))
        # the visits summed per (text, feature) by a sparse matrix's duplicate sum: linear,
        # where sorting the keys was most of the walk's time; rows and features in order
        found = sparse.csr_array((np.ones(len(text), np.int64), (text, visits[inside & (visits >= 0)])),
                                 shape=(len(batch), n_features))  # fmt: skip
        found.sum_duplicates()
        rows.append(np.repeat(np.arange(first, first + len(batch)), np.diff(found.indptr)))
        features.append(found.indices.astype(np.int64)), counts.append(found.data)
    return np.concatenate(rows), np.concatenate(features), np.concatenate(counts)


def _walk_tables(identifier: Any) -> tuple[Any, Any, Any]:
    """Return py3langid's automaton (next move, pre-shifted row bases, output) as arrays, once."""
    import numpy as np

    if not _walk:
        with _lock:
            if not _walk:
                _walk.append((np.asarray(identifier.tk_nextmove),  # its own uint32, not a copy
                                np.asarray(identifier._rowbase, np.int64),
                                np.asarray(identifier.tk_output, np.int64)))  # fmt: skip
    return _walk[0]


def _language_sample(terms: list[str]) -> list[str]:
    sample, size = [], 0
    for term in terms:
        if size >= LANGUAGE_TERM_CHARS:
            break
        sample.append(term)
        size += len(term) + 1
    return sample


def _language_text(terms: list[str]) -> str:
    """Return ``_language_sample(terms)`` joined by spaces: the terms that start before
    ``LANGUAGE_TERM_CHARS`` characters of the joined text.

    >>> _language_text(["ab"] * 100) == " ".join(["ab"] * 67), len(_language_text(["x" * 300, "y"]))
    (True, 300)
    """
    head = terms[:LANGUAGE_TERM_CHARS]  # a term adds 1 character at least
    if "" in head:  # an empty term makes two spaces in a row: the list's own walk
        return " ".join(_language_sample(head))
    text = " ".join(head)
    if len(text) < LANGUAGE_TERM_CHARS:
        return text
    # the term holding character LANGUAGE_TERM_CHARS - 1 (or ending just before it) is the last
    end = text.find(" ", LANGUAGE_TERM_CHARS - 1)
    return text if end < 0 else text[:end]


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of the language of ``text``'s first ``LANGUAGE_CHARS``
    characters (py3langid), or None when they hold fewer than ``LANGUAGE_MIN_LETTERS`` letters.

    >>> detect_language("Die Gärten der Stadt blühen im Frühling, und die Bienen summen."), detect_language("ok")
    ('de', None)
    """
    sample = text[:LANGUAGE_CHARS]
    if not _ENOUGH_LETTERS.match(sample):
        return None
    language, _ = _identifier().classify(sample)
    return language


_lock = threading.Lock()
_loaded: list[Any] = []
_walk: list[Any] = []


def _identifier() -> Any:
    """Return py3langid's identifier, loaded once per process (about 0.5 s), whatever the
    thread (it only reads its model, so parse threads share it)."""
    if not _loaded:
        with _lock:
            if not _loaded:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _loaded.append(LanguageIdentifier.from_model_file(MODEL_FILE))
    return _loaded[0]


def load_language_model() -> None:
    """Load py3langid's model and its walk tables now (``terms_languages`` waits for a load
    under way): a caller with other work to do first can load it in a thread meanwhile, the
    decompression letting go of the GIL."""
    _walk_tables(_identifier())


def forget_language_model() -> None:
    """Drop the loaded py3langid model and its walk tables (about 75 MB): for a process that
    has identified what it needed to; the next call loads them again."""
    with _lock:
        _loaded.clear()
        _walk.clear()


#: Landmark regions that are not main content.
_CHROME_TAGS = ("header", "nav", "footer", "aside")
_CHROME_ROLES = ("banner", "navigation", "contentinfo", "complementary")
_NAME_HINTS = ("foot", "nav", "menu", "sidebar", "header", "masthead")
#: Candidates for chrome by element, role or class/id substring; names are checked exactly
#: afterwards (``region_named``), so ``unavailable`` is not ``nav``.
CHROME_SELECTOR = ", ".join([
    *_CHROME_TAGS, *(f'[role="{role}" i]' for role in _CHROME_ROLES),
    *(f'[{attr}*="{hint}" i]' for hint in _NAME_HINTS for attr in ("class", "id")),
])  # fmt: skip
MAIN_SELECTOR = 'main, [role="main" i]'


def main_element(body: LexborNode, select: Callable[[str, LexborNode], list[LexborNode]]) -> LexborNode | None:
    """Return the first ``<main>`` or ``role=main`` element of ``body``, else its first
    ``<article>``, else None; ``select`` is a CSS engine's ``find``."""
    found = select(MAIN_SELECTOR, body) or select("article", body)
    return found[0] if found else None


def text_without_chrome(body: LexborNode, select: Callable[[str, LexborNode], list[LexborNode]],
                        region_named: Callable[[str], str | None], body_text: str) -> str:  # fmt: skip
    """Return the text of ``body`` (its text so far: ``body_text``) without header, nav,
    footer and aside landmarks (elements or ARIA roles) and elements whose class or id names
    such a region (``region_named``: the link regions' rule): the main text of a page without
    a ``main_element``. Detaches those elements from the tree: call it last.
    """
    chrome = [node for node in select(CHROME_SELECTOR, body) if _is_chrome(node, region_named)]
    if not chrome:
        return body_text
    for node in chrome:
        node.decompose(recursive=False)  # detached, not freed (the tree goes as a whole)
    return body.text(deep=True, separator=" ")


def _is_chrome(node: LexborNode, region_named: Callable[[str], str | None]) -> bool:
    if node.tag in _CHROME_TAGS:
        return True
    attrs = node.attributes
    role = (attrs.get("role") or "").strip().lower()
    if role in _CHROME_ROLES:
        return True
    if role == "main":
        return False
    for value in (attrs.get("id"), attrs.get("class")):
        if value and region_named(value) is not None:
            return True
    return False

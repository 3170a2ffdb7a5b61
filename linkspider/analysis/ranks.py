"""0-100 scores from PageRank on a log scale: a domain's ``authority``, a page's ``link_score``.

PageRank values of a web graph span orders of magnitude (a power law), so the score is linear
in ``log(PageRank)`` between the lowest and the highest value of the same graph:

    score(x) = 100 * ln(x / min) / ln(max / min)

``min`` and ``max`` are the smallest and largest PageRank in the graph (for ``link_score``:
of the site). The lowest node scores 0, the highest 100, and a node with ten times the rank of
another scores ``100 * ln(10) / ln(max / min)`` more. When every node has the same rank
(``max == min``), every score is 0. Like Moz's Domain Authority and Screaming Frog's Link
Score, a score compares nodes of one graph, not across crawls.
"""

from __future__ import annotations

import numpy as np


def log_scale_score(ranks: np.ndarray) -> np.ndarray:
    """Return the 0-100 log-scale score of each rank (formula in the module docstring).

    >>> log_scale_score(np.array([0.01, 0.1, 1.0])).tolist()
    [0.0, 50.0, 100.0]
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        return ranks.copy()
    low, high = float(ranks.min()), float(ranks.max())
    if not high > low or low <= 0.0:
        return np.zeros_like(ranks)
    logs = np.log(ranks)
    # written as differences of the same logarithms, so the highest scores exactly 100
    return np.clip(((logs - logs.min()) / (logs.max() - logs.min())) * 100.0, 0.0, 100.0)

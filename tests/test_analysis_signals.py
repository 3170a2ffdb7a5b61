"""Spam signals: Tukey fences per signal, the side that is suspicious, named flags; the
forwarding of internal equity through redirects and canonicals."""

from __future__ import annotations

import numpy as np
import pytest

from linkspider.analysis.page_rank import forwarding
from linkspider.analysis.signals import SIGNALS, flag_domains, signal_values, tukey_fence


def test_the_upper_fence_is_q3_plus_one_and_a_half_iqr() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # Q1 2, Q3 4 (linear interpolation)
    assert tukey_fence(values, "high") == 4 + 1.5 * 2
    assert tukey_fence(values, "low") == 2 - 1.5 * 2


def test_missing_values_are_left_out_of_the_distribution() -> None:
    assert tukey_fence(np.array([1.0, np.nan, 2.0, 3.0, 4.0, 5.0]), "high") == 7.0
    assert tukey_fence(np.array([np.nan]), "high") is None


def counts(n: int, **overrides: list[float]) -> dict[str, np.ndarray]:
    base = {name: np.full(n, 10.0) for name in (
        "pages", "words", "thin_pages", "backlinks", "followed", "linked_domains", "exact_anchors",
        "partial_anchors", "internal_links", "sitewide_links", "followed_domains",
        "reciprocal_domains")}  # fmt: skip
    base.update(words=np.full(n, 1000.0), thin_pages=np.zeros(n), exact_anchors=np.zeros(n),
                partial_anchors=np.zeros(n), sitewide_links=np.zeros(n), linked_domains=np.full(n, 5.0),
                internal_links=np.full(n, 50.0))  # fmt: skip
    for name, values in overrides.items():
        base[name] = np.array(values, dtype=float)
    return base


def test_a_domain_beyond_the_fence_is_flagged_by_name() -> None:
    domains = [f"site-{i}.example" for i in range(8)] + ["farm.example"]
    values = signal_values(counts(9, linked_domains=[5.0] * 8 + [1.0],
                                  exact_anchors=[0.0] * 8 + [9.0]), domains)  # fmt: skip
    flags, fences = flag_domains(values)
    assert flags[-1] == ["links_per_linked_domain", "exact_anchor_share"]
    assert flags[:8] == [[]] * 8
    assert fences["exact_anchor_share"] == 0.0  # IQR 0: anything above the crowd is beyond


def test_low_internal_linking_is_the_suspicious_side() -> None:
    domains = [f"site-{i}.example" for i in range(8)] + ["thin.example"]
    values = signal_values(counts(9, internal_links=[50.0, 60, 40, 55, 45, 50, 52, 48, 1]), domains)
    flags, _ = flag_domains(values)
    assert flags[-1] == ["internal_external_ratio"]
    assert SIGNALS["internal_external_ratio"] == "low"


def test_a_domain_without_backlinks_gets_no_ratio_flag() -> None:
    domains = [f"site-{i}.example" for i in range(5)]
    values = signal_values(counts(5, backlinks=[10, 10, 10, 10, 0], followed=[10, 10, 10, 10, 0]), domains)
    assert np.isnan(values["followed_share"][-1])
    flags, _ = flag_domains(values)
    assert flags[-1] == []


def test_domain_name_signals_read_the_label_without_its_suffix() -> None:
    values = signal_values(counts(2), ["best-cheap-widgets-2024.co.uk", "xn--bcher-5-n2a.de"])
    assert values["domain_hyphens"].tolist() == [3, 1]
    assert values["domain_digits"].tolist() == [4, 1]
    assert values["domain_length"].tolist() == [len("best-cheap-widgets-2024"), len("bücher-5")]


@pytest.mark.parametrize(("rows", "expected"), [
    ([("a", "b", "redirect")], {"a": "b"}),
    ([("a", "b", "redirect"), ("b", "c", "redirect")], {"a": "c", "b": "c"}),
    ([("a", "b", "canonical"), ("a", "c", "redirect")], {"a": "c"}),  # the redirect answers first
    ([("a", "b", "meta_refresh"), ("b", "c", "canonical")], {"a": "c", "b": "c"}),
    ([("a", "b", "redirect"), ("b", "a", "redirect")], {"a": "b", "b": "a"}),  # a loop
])  # fmt: skip
def test_equity_forwarding(rows: list[tuple[str, str, str]], expected: dict[str, str]) -> None:
    assert forwarding(rows) == expected

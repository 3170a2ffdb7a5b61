"""Redirect chains from single answers (linkspider.targets.chains) and the outcome words."""

from __future__ import annotations

from linkspider.targets.chains import Answer, ChainResolver
from linkspider.targets.outcome import error_is_refusal, target_outcome


def test_a_plain_answer_resolves_its_target_at_once() -> None:
    chains = ChainResolver(["http://a/x"])
    fetch, resolved = chains.record("http://a/x", Answer(404))
    assert fetch == []
    assert [(r.url, r.status, r.final_url, r.outcome) for r in resolved] == [("http://a/x", 404, "http://a/x", "broken")]


def test_a_redirect_asks_for_its_location_and_resolves_when_it_answers() -> None:
    chains = ChainResolver(["http://a/old"])
    fetch, resolved = chains.record("http://a/old", Answer(301, "http://b/new"))
    assert (fetch, resolved) == (["http://b/new"], [])
    fetch, resolved = chains.record("http://b/new", Answer(200))
    assert fetch == []
    (row,) = resolved
    assert (row.status, row.final_url, row.redirect_chain, row.outcome) == (
        200, "http://b/new", [("http://a/old", 301)], "redirected")


def test_a_location_that_is_a_target_or_a_shared_hop_is_requested_once() -> None:
    chains = ChainResolver(["http://a/1", "http://a/2", "http://a/end"])
    assert chains.record("http://a/1", Answer(302, "http://a/end"))[0] == []  # a target: requested already
    assert chains.record("http://a/2", Answer(302, "http://a/1"))[0] == []
    _, resolved = chains.record("http://a/end", Answer(200))
    by_url = {r.url: r for r in resolved}
    assert set(by_url) == {"http://a/1", "http://a/2", "http://a/end"}
    assert by_url["http://a/2"].redirect_chain == [("http://a/2", 302), ("http://a/1", 302)]


def test_a_loop_is_broken_with_its_chain() -> None:
    chains = ChainResolver(["http://a/x"])
    chains.record("http://a/x", Answer(302, "http://a/y"))
    _, (row,) = chains.record("http://a/y", Answer(302, "http://a/x"))
    assert row.outcome == "broken" and "loop" in row.error
    assert row.redirect_chain == [("http://a/x", 302), ("http://a/y", 302)]


def test_too_many_redirects_is_broken() -> None:
    chains = ChainResolver(["http://a/0"], max_redirects=2)
    rows = []
    for i in range(4):
        rows += chains.record(f"http://a/{i}", Answer(301, f"http://a/{i + 1}"))[1]
    (row,) = rows
    assert row.status is None and "more than 2 redirects" in row.error


def test_a_target_whose_hop_never_answered_is_reported_unresolved() -> None:
    chains = ChainResolver(["http://a/x"])
    chains.record("http://a/x", Answer(301, "http://b/y"))
    (row,) = chains.unresolved()
    assert row.outcome == "broken" and row.error == "no answer for http://b/y"
    assert chains.unresolved() == []


def test_outcome_words() -> None:
    assert target_outcome(200, None, 0) == "ok"
    assert target_outcome(204, None, 3) == "redirected"
    assert target_outcome(503, None, 0) == "broken"
    assert target_outcome(None, "DNSLookupError: no such host", 0) == "broken"
    assert target_outcome(None, "IgnoreRequest: disallowed by robots.txt", 0, blocked=True) == "blocked"


def test_pages_errors_that_are_refusals() -> None:
    assert error_is_refusal("IgnoreRequest: disallowed by robots.txt")
    assert error_is_refusal("refused http://127.0.0.1/: 127.0.0.1 is not a public address; pass ...")
    assert not error_is_refusal("DNSLookupError: no such host")
    assert not error_is_refusal(None)

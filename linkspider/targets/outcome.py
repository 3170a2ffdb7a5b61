"""What a target check found, in one word: ``ok``, ``redirected``, ``broken`` or ``blocked``."""

from __future__ import annotations

OUTCOMES = ("ok", "redirected", "broken", "blocked")


def target_outcome(status: int | None, error: str | None, redirects: int, blocked: bool = False) -> str:
    """Return the outcome of a check that ended with ``status`` (None: no answer) or ``error``
    after ``redirects`` redirects; ``blocked`` when robots.txt or the address rule refused it.

    >>> target_outcome(200, None, 0), target_outcome(200, None, 2), target_outcome(404, None, 1)
    ('ok', 'redirected', 'broken')
    >>> target_outcome(None, "DNSLookupError: ...", 0), target_outcome(None, "robots", 0, blocked=True)
    ('broken', 'blocked')
    """
    if blocked:
        return "blocked"
    if status is None or status >= 400 or error is not None:
        return "broken"
    return "redirected" if redirects else "ok"


def error_is_refusal(error: str | None) -> bool:
    """Return True when a ``pages.error`` says robots.txt or the address rule kept the crawl
    from fetching the URL (the spider's ``describe_failure`` wording)."""
    if not error:
        return False
    return error.startswith("refused ") or "disallowed by robots.txt" in error

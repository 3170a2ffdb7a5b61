"""What a link *is* across runs, and what a run says about it (the meaning of a link across runs).

- Identity: the source page URL and the target URL without fragment; repeated occurrences of
  one target on one page are paired between runs by (anchor text, region), then by order on
  the page (``queries.PAIR_LINKS``). Every other column is an attribute: an edited link is
  ``changed``, never ``lost`` + ``new``.
- Live: the source page answered 2xx, is indexable, names no other URL as canonical, does not
  refresh to another URL, and the link is in its HTML (``queries.PAGE_STATES``).
- The history tracks body links (:data:`TRACKED_KINDS`); canonical, meta refresh and redirect
  rows are page signals and show up as lost reasons (not_canonical, page_redirected).
"""

from __future__ import annotations

#: Link kinds tracked by the history.
TRACKED_KINDS = ("a", "area", "image", "iframe")
#: Attributes compared between runs; a difference makes the link ``changed``. Not
#: ``redirect_status``: it is set on redirect rows only, page signals the history does not
#: track, so no tracked link ever has one (link_history keeps the column, always null).
COMPARED_FIELDS = ("anchor_text", "rel", "follow", "region", "link_kind", "target_fragment")
#: Every lost reason, in the order of the issue.
LOST_REASONS = ("link_removed", "page_not_found", "page_error", "page_redirected", "page_noindex",
                "not_canonical", "robots_disallowed", "host_unreachable")  # fmt: skip
#: Reasons that make a link ``unknown`` until they last LINKSPIDER_HISTORY_TRANSIENT_RUNS runs.
TRANSIENT_REASONS = ("page_error", "host_unreachable")
CHANGES = ("new", "lost", "changed", "restored")
#: Failures (pages.error of a row without a status) that mean the host could not be reached:
#: DNS, refused connections and addresses, TLS, timeouts, connections dropped without answer.
UNREACHABLE_ERRORS = (
    "DNSLookupError", "CannotResolveHostError", "ConnectionRefused", "ConnectError", "NoRouteError", "TimeoutError",
    "TCPTimedOut", "ResponseNeverReceived", "ConnectionLost", "ConnectionDone", "SSL", "TLS",
    "^refused ",
)  # fmt: skip


def sql_list(values: tuple[str, ...]) -> str:
    """Return ``values`` as a SQL list of string literals: ``('a', 'b')`` -> ``'a', 'b'``."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def unreachable_pattern() -> str:
    """Return the regular expression matching the errors of :data:`UNREACHABLE_ERRORS`."""
    return "|".join(UNREACHABLE_ERRORS)

"""Each URL fetched once; redirect chains assembled from the single answers.

A target check requests every URL once, redirects not followed by Scrapy: a redirect's
``Location`` is requested in turn (unless it was requested already), and the chain of a target
is read from the answers as they come. Two targets redirecting to the same page, or a target
that is another's redirect hop, share one request. A target's row is ready when its chain
ends in an answer that is not a redirect, a failure, a loop or ``max_redirects`` hops.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from linkspider.targets.outcome import target_outcome


@dataclass(frozen=True)
class Answer:
    """What one request of one URL got: a status (and a redirect's absolute target), or an
    error; ``blocked`` when robots.txt or the address rule refused it."""

    status: int | None
    location: str | None = None
    error: str | None = None
    blocked: bool = False
    method: str = "HEAD"
    at: int = 0  # microseconds since the epoch (UTC)


@dataclass
class Resolved:
    """The check of one target: its last answer and the redirects on the way."""

    url: str
    status: int | None
    final_url: str | None
    redirect_chain: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None
    blocked: bool = False
    method: str | None = None
    at: int = 0

    @property
    def outcome(self) -> str:
        return target_outcome(self.status, self.error, len(self.redirect_chain), self.blocked)


class ChainResolver:
    """Track answers by URL; say what to fetch next and which targets are resolved."""

    def __init__(self, targets: Iterable[str], max_redirects: int = 10) -> None:
        self.targets = set(targets)
        self.max_redirects = max_redirects
        self.answers: dict[str, Answer] = {}
        self.requested: set[str] = set(self.targets)
        self.emitted: set[str] = set()
        self._waiting: dict[str, set[str]] = {}  # url -> URLs whose answer redirects to it

    def record(self, url: str, answer: Answer) -> tuple[list[str], list[Resolved]]:
        """Store the answer for ``url``; return (URLs to request now, targets resolved now)."""
        self.answers[url] = answer
        fetch: list[str] = []
        if answer.location is not None:
            self._waiting.setdefault(answer.location, set()).add(url)
            if answer.location not in self.requested:
                self.requested.add(answer.location)
                fetch.append(answer.location)
        resolved = []
        for candidate in self._dependents(url):
            if candidate in self.targets and candidate not in self.emitted:
                row = self.resolve(candidate)
                if row is not None:
                    self.emitted.add(candidate)
                    resolved.append(row)
        return fetch, resolved

    def _dependents(self, url: str) -> list[str]:
        """Return ``url`` and every URL whose redirects lead to it."""
        seen, stack = {url}, [url]
        while stack:
            for before in self._waiting.get(stack.pop(), ()):
                if before not in seen:
                    seen.add(before)
                    stack.append(before)
        return sorted(seen)

    def resolve(self, url: str) -> Resolved | None:
        """Return the check of ``url`` from the answers so far, or None while a hop is pending."""
        chain: list[tuple[str, int]] = []
        current = url
        while True:
            answer = self.answers.get(current)
            if answer is None:
                return None
            if answer.location is None:
                return Resolved(url, answer.status, current if answer.error is None else None, chain,
                                answer.error, answer.blocked, answer.method, answer.at)  # fmt: skip
            chain.append((current, answer.status or 0))
            if answer.location in {hop for hop, _ in chain} or len(chain) > self.max_redirects:
                return Resolved(url, None, None, chain, f"redirect loop or more than {self.max_redirects} "
                                f"redirects from {url}", False, answer.method, answer.at)  # fmt: skip
            current = answer.location

    def unresolved(self) -> list[Resolved]:
        """Return a row for every target never resolved (a hop that got no answer at all)."""
        rows = []
        for url in sorted(self.targets - self.emitted):
            row = self.resolve(url)
            if row is None:
                chain = []
                current: str | None = url
                while current in self.answers and self.answers[current].location is not None:
                    chain.append((current, self.answers[current].status or 0))
                    current = self.answers[current].location
                row = Resolved(url, None, None, chain, f"no answer for {current}")
            self.emitted.add(url)
            rows.append(row)
        return rows

"""Page and redirect-hop dedupe shared by the workers of a distributed run.

``pipelines.dedupe.DedupePagesPipeline`` stores a page's links once however many URLs lead
to it, and each redirect hop once. Across workers the seen final URLs and hops live in Redis
(seen-sets ``pages`` and ``hops`` of ``linkspider.distributed.frontier``), claimed on behalf
of the item's lease: if the worker dies before the page's rows are durable, the lease expires
and the claims are forgotten with it, so the refetch stores the links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkspider.distributed.fingerprints import fingerprint
from linkspider.distributed.worker import WorkerState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from linkspider.distributed.frontier import Frontier
    from linkspider.crawl.items import PageItem


class SharedSeen:
    """Claims of stored pages and redirect hops in the run's Redis."""

    def __init__(self, frontier: Frontier) -> None:
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedSeen:
        return cls(WorkerState.for_crawler(crawler).frontier)

    def claim(self, item: PageItem) -> tuple[list[tuple[str, str, int]], bool]:
        """Return the item's redirect hops not stored yet, and whether its page is new (a
        failure, which has no final URL, counts as new: it is a row of its own)."""
        final_url = item.page.get("final_url")
        wanted = [("hops", fingerprint(f"{a} -> {b}")) for a, b, _ in item.redirect_hops]
        if final_url is not None:
            wanted.append(("pages", fingerprint(final_url)))
        new = self.frontier.claim(item.lease, wanted)
        hops = [hop for hop, fresh in zip(item.redirect_hops, new) if fresh]
        return hops, final_url is None or new[-1]

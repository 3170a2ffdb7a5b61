"""``SmallWorld``: many sites of a few tiny pages, for crawls that need many hosts quickly
(distributed runs, politeness across workers), with its ground truth.

Site ``i`` (1-based) is ``www.small-<i>.com``. Its home links to each of its pages
``/page-<k>.html`` (k = 1 .. pages_per_site - 1), to ``/go`` (a 301 redirect to
``/page-1.html``) and to the next site's home (an external link); each page links home, the
next page and ``/go``. robots.txt allows everything. A response can be delayed
(``delay_seconds``) so that requests overlap in a threaded server.

>>> world = SmallWorld(sites=2, pages_per_site=2)
>>> world.seeds()
['http://www.small-1.com/', 'http://www.small-2.com/']
>>> len(world.ground_truth_pages()), len(world.ground_truth_links())
(6, 14)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from linkspider.web.model import WebResponse

_HTML = [("Content-Type", "text/html; charset=utf-8")]


@dataclass(frozen=True)
class SmallWorld:
    """The sites and pages of a small world (see module doc)."""

    sites: int = 300
    pages_per_site: int = 2
    delay_seconds: float = 0.0

    def host(self, i: int) -> str:
        return f"www.small-{i}.com"

    def seeds(self) -> list[str]:
        """Return every site's home URL."""
        return [f"http://{self.host(i)}/" for i in range(1, self.sites + 1)]

    def _links(self, i: int, path: str) -> list[str]:
        """Return the absolute targets of the ``<a>`` links of a page, in document order."""
        origin = f"http://{self.host(i)}"
        if path == "/":
            next_site = f"http://{self.host(i % self.sites + 1)}/"
            pages = [f"{origin}/page-{k}.html" for k in range(1, self.pages_per_site)]
            return [*pages, f"{origin}/go", next_site]
        k = int(path[len("/page-"):-len(".html")])
        following = f"{origin}/page-{k % (self.pages_per_site - 1) + 1}.html"
        return [f"{origin}/", following, f"{origin}/go"]

    def _site_of(self, host: str) -> int | None:
        name = host.lower().split(":")[0]
        if name.startswith("www.small-") and name.endswith(".com"):
            number = name[len("www.small-"):-len(".com")]
            if number.isdigit() and 1 <= int(number) <= self.sites:
                return int(number)
        return None

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer a request for ``target`` on ``host``."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        i = self._site_of(host)
        path = target.split("?", 1)[0]
        if i is None:
            return WebResponse(502, [("Content-Type", "text/plain")], b"not in this world\n")
        if path == "/robots.txt":
            return WebResponse(200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n")
        if path == "/go":
            return WebResponse(301, [("Location", f"http://{self.host(i)}/page-1.html"),
                                     ("Content-Length", "0")], b"")  # fmt: skip
        if path != "/" and not (path.startswith("/page-") and path.endswith(".html")
                                and path[6:-5].isdigit() and 1 <= int(path[6:-5]) < self.pages_per_site):  # fmt: skip
            return WebResponse(404, _HTML, b"<title>not found</title>")
        anchors = "".join(f'<a href="{url}">link {n}</a> ' for n, url in enumerate(self._links(i, path)))
        body = f"<!doctype html><title>{self.host(i)}{path}</title><p>{anchors}</p>"
        return WebResponse(200, _HTML, body.encode())

    def ground_truth_pages(self) -> list[dict]:
        """Return one row per URL a crawl of the seeds (no external hops) fetches."""
        rows = []
        for i in range(1, self.sites + 1):
            origin = f"http://{self.host(i)}"
            rows.append({"url": f"{origin}/", "final_url": f"{origin}/", "status": 200})
            for k in range(1, self.pages_per_site):
                rows.append({"url": f"{origin}/page-{k}.html", "final_url": f"{origin}/page-{k}.html",
                             "status": 200})  # fmt: skip
            rows.append({"url": f"{origin}/go", "final_url": f"{origin}/page-1.html", "status": 200})
        return rows

    def ground_truth_links(self) -> list[dict]:
        """Return ``(source_url, link_kind, target_url)`` rows of every page stored (each
        page's links once; the ``/go`` redirect hop once)."""
        rows = []
        for i in range(1, self.sites + 1):
            origin = f"http://{self.host(i)}"
            paths = ["/", *[f"/page-{k}.html" for k in range(1, self.pages_per_site)]]
            for path in paths:
                for target in self._links(i, path):
                    rows.append({"source_url": origin + path, "link_kind": "a", "target_url": target})
            rows.append({"source_url": f"{origin}/go", "link_kind": "redirect",
                         "target_url": f"{origin}/page-1.html"})  # fmt: skip
        return rows

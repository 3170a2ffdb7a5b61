"""Link spam in a generated world (``WorldConfig(spam=True)``), with its labels as truth.

Four schemes, added to the world's ``config.sites`` ordinary sites (whose own pages are the
same as without spam, apart from the sitewide and paid links below):

- a **money site** (``acme-widgets.com``, an ordinary-looking shop: the normal page builder)
  that the schemes point at, with the keywords :data:`MONEY_KEYWORDS`;
- a **private blog network** (:data:`PBN_SITES`): thin blogs whose every page links to two
  other sites of the network (branded anchors) and to the money site with an exact-match or
  partial-match keyword anchor, all followed;
- a **link farm** (:data:`FARM_SITES`): thin pages, each linking to every other farm site
  (naked-URL or generic anchors), so every farm site links to and from every other;
- **sitewide links**: ordinary sites :data:`SITEWIDE_SITES` get a footer link to the money site
  on every page (a branded anchor on the first, an exact-match keyword on the second);
- **paid links**: ordinary sites :data:`PAID_SITES` carry a sponsored post on pages
  :data:`PAID_PAGES`, with :data:`PAID_POST_LINKS` links to the money site (``rel=sponsored``,
  exact-match keyword anchors).

:meth:`SpamNetwork.labels` maps each registrable domain involved to its label (``money_site``,
``pbn``, ``link_farm``, ``sitewide_links``, ``paid_links``; and ``link_directory`` for the
ordinary world's own directory, ``linkspider.web.directory``); every other domain is clean. Every
link placed here knows its anchor class by construction (``World.ground_truth_anchor_classes``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from linkspider.web.directory import DIRECTORY_SITE
from linkspider.web.model import Site, _Link, _Page

if TYPE_CHECKING:
    from linkspider.web.world import World

MONEY_SITE = ("www.acme-widgets.com", "acme-widgets.com", "Acme Widgets")
#: Keywords the schemes push for the money site (exact-match anchors are these).
MONEY_KEYWORDS = ("cheap widgets", "buy widgets online", "widget deals")
#: (keyword, partial-match anchor holding every word of it with other words)
_PARTIAL_ANCHORS = (("cheap widgets", "the best cheap widgets of 2026"),
                    ("widget deals", "widget deals and coupons"),
                    ("buy widgets online", "where to buy quality widgets online"))  # fmt: skip
PBN_SITES = (
    ("best-widget-reviews-24.com", "Best Widget Reviews 24"),
    ("top-10-widget-guide.info", "Top 10 Widget Guide"),
    ("widget-news-daily-7.net", "Widget News Daily 7"),
    ("gadget-tips-blog-2021.org", "Gadget Tips Blog 2021"),
    ("home-tools-corner-99.com", "Home Tools Corner 99"),
    ("diy-widget-hacks-3.net", "DIY Widget Hacks 3"),
)
FARM_SITES = tuple((f"free-link-directory-{i}.info", f"Free Link Directory {i}") for i in range(1, 9))
#: Ordinary site indexes with a sitewide footer link, and with sponsored posts.
SITEWIDE_SITES = (2, 9)
PAID_SITES = (5, 14)
PAID_PAGES = (1, 2, 5, 8)
#: Links to the money site in each sponsored post.
PAID_POST_LINKS = 3
LABELS = ("money_site", "pbn", "link_farm", "sitewide_links", "paid_links", "link_directory")


class SpamNetwork:
    """The spam sites of one world, their pages, and the links added to ordinary pages."""

    def __init__(self, world: World) -> None:
        self.world = world
        first = world.config.sites
        specs = [(f"www.{domain}", domain, name, "pbn") for domain, name in PBN_SITES]
        specs += [(f"www.{domain}", domain, name, "link_farm") for domain, name in FARM_SITES]
        specs.insert(0, (*MONEY_SITE, "money_site"))
        self.roles: dict[int, str] = {}
        self.added: list[Site] = []
        for offset, (host, domain, name, role) in enumerate(specs):
            site = Site(index=first + offset, host=host, unicode_host=host,
                        registrable_domain=domain, name=name)  # fmt: skip
            self.added.append(site)
            self.roles[site.index] = role
        self.money = self.added[0]
        self.pbn = [s for s in self.added if self.roles[s.index] == "pbn"]
        self.farm = [s for s in self.added if self.roles[s.index] == "link_farm"]

    # ---------------------------------------------------------------- truth

    def labels(self) -> dict[str, str]:
        """Return registrable domain -> label for every domain a scheme involves."""
        sites = self.world.sites
        labels = {s.registrable_domain: self.roles[s.index] for s in self.added}
        for index in SITEWIDE_SITES:
            if index < self.world.config.sites:
                labels[sites[index].registrable_domain] = "sitewide_links"
        for index in PAID_SITES:
            if index < self.world.config.sites:
                labels[sites[index].registrable_domain] = "paid_links"
        if DIRECTORY_SITE < self.world.config.sites:
            labels[sites[DIRECTORY_SITE].registrable_domain] = "link_directory"
        return labels

    def keywords(self) -> dict[str, list[str]]:
        """Return target domain -> the keywords its exact and partial anchors are built from."""
        return {self.money.registrable_domain: list(MONEY_KEYWORDS)}

    # ---------------------------------------------------------------- pages

    def builds(self, site: Site) -> bool:
        """Whether this network builds the pages of ``site`` (PBN and farm sites)."""
        return self.roles.get(site.index) in ("pbn", "link_farm")

    def build(self, site: Site, path: str) -> _Page:
        """Return the page model of a PBN or farm page (``/`` or ``/page-k.html``)."""
        n = self.world.config.pages_per_site
        k = 0 if path == "/" else self.world._page_number(path) or 0
        page = _Page("utf-8", "text/html; charset=utf-8", False, False, [],
                     lang="en", canonical_url=site.origin + path)  # fmt: skip
        self._raw(page, '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                        f"<title>{html.escape(site.name)}</title>\n"
                        f'<link rel="canonical" href="{site.origin}{path}">\n</head>\n<body>\n<nav>')  # fmt: skip
        self._link(page, site, site, "/", "Home", "other", "nav")
        self._raw(page, " ")
        self._link(page, site, site, f"/page-{k % (n - 1) + 1}.html", "Next article", "other", "nav")
        self._raw(page, "</nav>\n<main>\n")
        if self.roles[site.index] == "pbn":
            self._pbn_body(page, site, k)
        else:
            self._farm_body(page, site)
        self._raw(page, "</main>\n</body>\n</html>\n")
        return page

    def _pbn_body(self, page: _Page, site: Site, k: int) -> None:
        position = self.pbn.index(site)
        self._raw(page, f"<p>Widget thoughts, part {k}. ")
        keyword = MONEY_KEYWORDS[(position + k) % len(MONEY_KEYWORDS)]
        if (position + k) % 3 == 2:
            keyword, anchor = _PARTIAL_ANCHORS[(position + k) % len(_PARTIAL_ANCHORS)]
            self._link(page, site, self.money, "/", anchor, "partial", "main")
        else:
            self._link(page, site, self.money, "/", keyword, "exact", "main")
        self._raw(page, ".</p>\n<p>Friends: ")
        for step in (1, 2):
            other = self.pbn[(position + step + k) % len(self.pbn)]
            if other is site:
                other = self.pbn[(position + 3) % len(self.pbn)]
            self._link(page, site, other, "/", other.name, "branded", "main")
            self._raw(page, " ")
        self._raw(page, "</p>\n")

    def _farm_body(self, page: _Page, site: Site) -> None:
        self._raw(page, "<p>Submit your site.</p>\n<ul>\n")
        for i, other in enumerate(s for s in self.farm if s is not site):
            self._raw(page, "<li>")
            if i % 2 == 0:
                self._link(page, site, other, "/", other.host, "naked_url", "main")
            else:
                self._link(page, site, other, "/", "click here", "generic", "main")
            self._raw(page, "</li>\n")
        self._raw(page, "</ul>\n")

    def augment(self, site: Site, path: str, page: _Page) -> _Page:
        """Return ``page`` of an ordinary site with its sitewide or paid links added."""
        if site.index in SITEWIDE_SITES:
            first = site.index == SITEWIDE_SITES[0]
            text, anchor_class = ("Acme Widgets", "branded") if first else ("cheap widgets", "exact")
            self._insert(page, '<footer class="credits"><p>Our partner: ', "</p></footer>\n",
                         [(text, anchor_class)], site, "footer", [])  # fmt: skip
        k = 0 if path == "/" else self.world._page_number(path) or 0
        if site.index in PAID_SITES and k in PAID_PAGES:
            keywords = [(MONEY_KEYWORDS[(k + i) % len(MONEY_KEYWORDS)], "exact") for i in range(PAID_POST_LINKS)]
            self._insert(page, '<div class="sponsored-post"><p>Sponsored: ', "</p></div>\n",
                         keywords, site, "body", ["sponsored"])  # fmt: skip
        return page

    # ---------------------------------------------------------------- helpers

    def _insert(self, page: _Page, opening: str, closing: str, anchors: list[tuple[str, str]], site: Site,
                region: str, rel: list[str]) -> None:  # fmt: skip
        """Insert links to the money site's home page, one per (text, class), before ``</body>``."""
        end = next(i for i in range(len(page.parts) - 1, -1, -1)
                   if isinstance(page.parts[i], str) and "</body>" in page.parts[i])  # fmt: skip
        tail = page.parts[end]
        cut = tail.index("</body>")
        links: list[str | _Link] = []
        for text, anchor_class in anchors:
            links += [" and " if links else "", self._make(site, self.money, "/", text, anchor_class, region, rel)]
        page.parts[end:end + 1] = [tail[:cut], opening, *links, closing, tail[cut:]]

    @staticmethod
    def _raw(page: _Page, text: str) -> None:
        page.parts.append(text)

    def _link(self, page: _Page, site: Site, target: Site, path: str, text: str, anchor_class: str,
              region: str) -> None:  # fmt: skip
        page.parts.append(self._make(site, target, path, text, anchor_class, region, []))

    @staticmethod
    def _make(site: Site, target: Site, path: str, text: str, anchor_class: str, region: str,
              rel: list[str]) -> _Link:  # fmt: skip
        url = target.origin + path
        rel_html = f' rel="{" ".join(rel)}"' if rel else ""
        element = f'<a href="{html.escape(url, quote=True)}"{rel_html}>{html.escape(text, quote=False)}</a>'
        return _Link("a", element, url, None, "http", target.host, target.registrable_domain, text, False,
                     list(rel), region=region, anchor_class=anchor_class)

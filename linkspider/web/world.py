"""A deterministic generated multi-site web with ground truth computed by construction.

Every page is produced from a clean model (targets, anchor texts, rel tokens) that is
then rendered noisily into HTML. The ground truth comes from the clean model, never from
parsing the generated HTML, and none of linkspider's own URL/domain code is used.

Layout of every site (``n`` = ``pages_per_site``): ``/`` and ``/page-1.html`` ..
``/page-{n-1}.html``; ``/robots.txt`` (disallows ``/private/``); ``/private/*`` (200 HTML,
linked from home, never in the ground truth); ``/old/page-k.html`` -301-> ``/page-k.html``;
``/go/k`` -302-> ``/old/page-k.html``; ``/section/page-k.html`` -301-> ``/page-k.html``
(reached from relative links on ``<base href=".../section/">`` pages); ``/loop-a`` <-302->
``/loop-b`` on every third site; ``/logo.png``, ``/report.pdf``, ``/data.json``; anything
else is 404. Page features by page number (needs ``pages_per_site`` >= 6 to all appear):
page 2 is windows-1251 on sites with index % 4 in (0, 2) (declared by header / by meta only),
page 3 is iso-8859-1 on sites with index % 6 == 1, page 4 carries meta robots or
X-Robots-Tag (nofollow on 4 of every 6 sites), page 5 has ``<base href>``.
Further features (need ``pages_per_site`` >= 9): page 1 of every site ends with a block of
links under ARIA-role divs and class/id-named divs outside any landmark (every ``region``
value); page 6 has ``<iframe src>`` links (a second one to another site on even sites) and,
on sites with index % 4 == 1, ``<meta http-equiv="refresh">``; page 7 is Shift_JIS (Japanese
anchors, charset in the HTTP header) on sites with index % 8 == 3; page 8 is GB2312 (Chinese
anchors, ``<meta charset>`` only) on sites with index % 8 == 6; pages with (index + k) % 7 == 3
have no ``<html lang>``. Every HTML page has ``<link rel="canonical">`` to itself.
Each site has a topic and a language (``linkspider.web.subjects``: its main text's sentences,
its keywords in :meth:`World.keywords`); links to other sites are worded as real sites word
them, in every anchor class (``linkspider.web.anchor_mix``), two in five to a site of the same
topic; site 6 is a link directory (``linkspider.web.directory``).
:meth:`World.ground_truth_links` returns only body links of kind a/area/image by default;
pass ``kinds=None`` for every kind (iframe, canonical, meta_refresh, redirect as well).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from linkspider.web.model import (
    WorldConfig,
    WebResponse,
    Site,
    _TEMPLATES,
    ROBOTS_TXT,
    _BROWSER_CODEC,
    BODY_LINK_KINDS,
    _PAGE_RE,
    _Link,
    _Page,
    _Route,
    _PNG,
    _PDF,
)
from linkspider.web.pages import PageBuilder
from linkspider.web.subjects import site_subject


class World:
    """A generated web of ``config.sites`` sites, served by :meth:`respond`.

    Ground truth (:meth:`ground_truth_pages`, :meth:`ground_truth_links`) describes what a
    correct robots-obeying crawler sees when it starts at every home page and follows
    every in-site http link (any rel), following redirects.
    """

    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        if self.config.pages_per_site < 2:
            raise ValueError("pages_per_site must be at least 2")
        self.sites: list[Site] = [self._make_site(index) for index in range(self.config.sites)]
        self.spam = None
        if self.config.spam:  # opt-in, like the epochs
            from linkspider.web.spam import SpamNetwork

            self.spam = SpamNetwork(self)
            self.sites.extend(self.spam.added)
        self._by_host = {site.host: site for site in self.sites}
        self._models: dict[tuple[int, str], _Page] = {}
        self._responses: dict[tuple[str, str], WebResponse] = {}
        self._truth: tuple[list[dict], list[dict]] | None = None
        self._evolution = None
        if self.config.epoch:  # opt-in: epoch 0 never imports the evolution
            from linkspider.web.epochs import Evolution

            self._evolution = Evolution(self)

    def __getstate__(self) -> dict:
        return {"config": self.config}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["config"])

    # ---------------------------------------------------------------- sites and routes

    @staticmethod
    def _make_site(index: int) -> Site:
        host_t, domain_t, name_t = _TEMPLATES[index % len(_TEMPLATES)]
        number = index + 1
        unicode_host = host_t.format(i=number)
        return Site(
            index=index,
            host=unicode_host.encode("idna").decode("ascii").lower(),
            unicode_host=unicode_host,
            registrable_domain=domain_t.format(i=number).encode("idna").decode("ascii").lower(),
            name=name_t.format(i=number),
        )

    def seeds(self) -> list[str]:
        """Home page URLs of all sites."""
        return [site.home_url for site in self.sites]

    def site(self, host: str) -> Site | None:
        """The site served under ``host`` (ASCII/punycode, case-insensitive), or None."""
        return self._by_host.get(host.lower())

    @staticmethod
    def has_loop(site: Site) -> bool:
        """Whether the site has the ``/loop-a`` <-> ``/loop-b`` redirect loop."""
        return site.index % 3 == 0

    def _page_number(self, path: str) -> int | None:
        match = _PAGE_RE.fullmatch(path)
        if match and int(match.group(1)) < self.config.pages_per_site:
            return int(match.group(1))
        return None

    def _route(self, site: Site, path: str) -> _Route:
        if self._evolution is not None:
            evolved = self._evolution.route(site, path)
            if evolved is not None:
                return evolved
        origin = site.origin
        if path == "/" or self._page_number(path) is not None:
            return _Route("page", 200)
        if path.startswith("/old/") and self._page_number(path[4:]) is not None:
            return _Route("redirect", 301, origin + path[4:], origin + path[4:])
        if path.startswith("/section/") and self._page_number(path[8:]) is not None:
            return _Route("redirect", 301, origin + path[8:], path[8:])
        if path.startswith("/go/") and self._page_number(f"/page-{path[4:]}.html") is not None:
            target = f"/old/page-{path[4:]}.html"
            return _Route("redirect", 302, origin + target, target)
        if self.has_loop(site) and path == "/loop-a":
            return _Route("redirect", 302, origin + "/loop-b", "/loop-b")
        if self.has_loop(site) and path == "/loop-b":
            return _Route("redirect", 302, origin + "/loop-a", origin + "/loop-a")
        if path in ("/logo.png", "/report.pdf", "/data.json"):
            return _Route("asset", 200)
        if path == "/robots.txt":
            return _Route("robots", 200)
        if path.startswith("/private/"):
            return _Route("private", 200)
        return _Route("missing", 404)

    # ---------------------------------------------------------------- HTTP

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer a request for ``target`` (path + optional query) on ``host``."""
        host = host.lower().rstrip(".")
        path = target.split("#", 1)[0].split("?", 1)[0] or "/"
        key = (host, path)
        cached = self._responses.get(key)
        if cached is not None:
            return cached
        response = self._respond(host, path)
        if len(self._responses) > 200_000:  # bound memory against crawlers inventing paths
            self._responses.clear()
        self._responses[key] = response
        return response

    def respond_head(self, host: str, target: str) -> WebResponse:
        """Answer a HEAD request (the server sends the headers only): as :meth:`respond`,
        except where a link-rot host refuses HEAD (``linkspider.web.targets``)."""
        if self.config.link_rot:
            from linkspider.web import targets

            refused = targets.respond_head(host.lower().rstrip("."), target.split("?", 1)[0] or "/")
            if refused is not None:
                return refused
        return self.respond(host, target)

    def _respond(self, host: str, path: str) -> WebResponse:
        site = self.site(host)
        if site is None and self.config.link_rot:
            from linkspider.web import targets

            if targets.is_rot_host(host):
                return targets.respond(host, path)
        if site is None:
            body = (
                f"502 Bad Gateway: host {host!r} is not part of this local web "
                "(nothing is fetched from the internet).\n"
            ).encode()
            return WebResponse(502, [("Content-Type", "text/plain; charset=utf-8")], body)
        if self._evolution is not None:
            evolved = self._evolution.respond(site, path)
            if evolved is not None:
                return evolved
        route = self._route(site, path)
        if route.kind == "page":
            page = self._model(site, path)
            headers = [("Content-Type", page.content_type), *page.extra_headers]
            return WebResponse(200, headers, page.render())
        if route.kind == "redirect":
            body = f'<!DOCTYPE html><html><body>Moved to {html.escape(route.location_header or "")}</body></html>'
            return WebResponse(
                route.status,
                [("Location", route.location_header or ""), ("Content-Type", "text/html; charset=utf-8")],
                body.encode(),
            )
        if route.kind == "robots":
            return WebResponse(200, [("Content-Type", "text/plain; charset=utf-8")], ROBOTS_TXT.encode())
        if route.kind == "asset":
            if path == "/logo.png":
                return WebResponse(200, [("Content-Type", "image/png")], _PNG)
            if path == "/report.pdf":
                return WebResponse(200, [("Content-Type", "application/pdf")], _PDF)
            data = {"site": site.host, "pages": self.config.pages_per_site, "generated": True}
            return WebResponse(200, [("Content-Type", "application/json")], json.dumps(data).encode())
        if route.kind == "private":
            return WebResponse(200, [("Content-Type", "text/html; charset=utf-8")], self._private_page(site, path))
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title></head>'
            f"<body><h1>Not found</h1><p>There is no {html.escape(path)} on {site.host}.</p></body></html>"
        )
        return WebResponse(404, [("Content-Type", "text/html; charset=utf-8")], body.encode())

    @staticmethod
    def _private_page(site: Site, path: str) -> bytes:
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Members only</title></head>'
            f"<body><main><h1>Members area of {html.escape(site.name)}</h1>"
            f'<p><a href="/page-1.html">Public page</a> <a href="/private/deeper-{len(path)}.html">Deeper</a> '
            f'<a href="http://example.org/private-leak">Leak</a></p></main></body></html>'
        )
        return body.encode()

    # ---------------------------------------------------------------- page models

    def _model(self, site: Site, path: str) -> _Page:
        key = (site.index, path)
        page = self._models.get(key)
        if page is None:
            if self.spam is not None and self.spam.builds(site):
                page = self.spam.build(site, path)
            else:
                page = PageBuilder(self, site, path).build()
            if self.spam is not None:
                page = self.spam.augment(site, path, page)
            if self._evolution is not None:
                page = self._evolution.evolve(site, path, page)
            self._models[key] = page
        return page

    # ---------------------------------------------------------------- ground truth

    def _fetch(self, site: Site, url: str) -> tuple[int | None, str | None, list[str], str | None]:
        """Follow redirects by construction: (status, final_url, redirect_urls, error)."""
        chain: list[str] = []
        current = url
        while True:
            path = current[len(site.origin):].split("?", 1)[0]
            if self._evolution is not None and not self._evolution.fetchable(site, path):
                return None, None, chain, "robots_disallowed"
            route = self._route(site, path)
            if route.kind != "redirect":
                return route.status, current, chain, None
            if current in chain:
                return None, None, chain, "redirect_loop"
            chain.append(current)
            current = route.location or ""

    def _compute_truth(self) -> tuple[list[dict], list[dict]]:
        pages: list[dict] = []
        links: list[dict] = []
        for site in self.sites:
            if self._evolution is not None and not self._evolution.fetchable(site, "/"):
                continue  # the host that is down this epoch answers nothing
            done_docs: dict[str, int] = {}
            hopped: set[str] = set()
            queue = [site.home_url]
            seen = {site.home_url}
            while queue:
                url = queue.pop(0)
                status, final_url, chain, error = self._fetch(site, url)
                row: dict = {
                    "url": url, "status": status, "final_url": final_url, "content_type": None,
                    "links_count": 0, "meta_robots_nofollow": False, "header_robots_nofollow": False,
                    "page_nofollow": False, "encoding": None, "charset": None, "redirect_urls": chain,
                    "error": error, "lang": None, "noindex": False, "canonical_url": None,
                }
                pages.append(row)
                for hop in chain:
                    if hop not in hopped:
                        hopped.add(hop)
                        links.append(self._redirect_row(site, hop))
                if final_url is None:
                    continue
                path = final_url[len(site.origin):].split("?", 1)[0]
                route = self._route(site, path)
                response = self.respond(site.host, path)
                row["content_type"] = (response.header("Content-Type") or "").split(";")[0].strip() or None
                if route.kind == "missing":
                    row.update(encoding="utf-8", charset="utf-8", lang="en")
                    continue
                if route.kind != "page":
                    continue
                page = self._model(site, path)
                row.update(
                    links_count=len(page.links), meta_robots_nofollow=page.meta_robots_nofollow,
                    header_robots_nofollow=page.header_robots_nofollow, page_nofollow=page.nofollow,
                    encoding=_BROWSER_CODEC.get(page.encoding, page.encoding), charset=page.encoding,
                    lang=page.lang, noindex=page.noindex, canonical_url=page.canonical_url,
                )
                if final_url in done_docs:
                    continue
                done_docs[final_url] = len(page.links)
                for position, link in enumerate(page.links):
                    target = link.target if link.target is not None else final_url
                    links.append(self._link_row(site, page, final_url, position, link, target))
                    if (
                        link.scheme == "http" and link.host == site.host
                        and not target[len(site.origin):].startswith("/private/")
                        and (self._evolution is None
                             or self._evolution.fetchable(site, target[len(site.origin):].split("?", 1)[0]))
                        and target not in seen
                    ):
                        seen.add(target)
                        queue.append(target)
                for kind, head_target in (("canonical", page.canonical_url), ("meta_refresh", page.meta_refresh)):
                    if head_target is not None:
                        links.append(self._head_row(site, page, final_url, kind, head_target))
        return pages, links

    @staticmethod
    def _follow_reason(rel: list[str], page: _Page | None) -> str:
        for token in ("nofollow", "ugc", "sponsored"):
            if token in rel:
                return "rel_" + token
        if page is not None and page.meta_robots_nofollow:
            return "meta_robots"
        if page is not None and page.header_robots_nofollow:
            return "x_robots_tag"
        return "followed"

    @staticmethod
    def _plain_row(site: Site, source: str, kind: str, target: str) -> dict:
        """A row for a same-site, non-body link (canonical, meta refresh, redirect)."""
        return {
            "source_url": source, "position": None, "tag": None, "target_url": target,
            "target_fragment": None, "target_scheme": "http", "target_host": site.host,
            "referring_domain": site.registrable_domain, "target_domain": site.registrable_domain,
            "is_external": False, "anchor_text": "", "anchor_from_alt": False, "rel": [],
            "nofollow": False, "ugc": False, "sponsored": False, "follow": True,
            "link_kind": kind, "region": None, "img_src": None, "img_alt": None, "title_attr": None,
            "hreflang": None, "target_attr": None, "redirect_status": None, "follow_reason": "followed",
        }

    def _redirect_row(self, site: Site, url: str) -> dict:
        route = self._route(site, url[len(site.origin):].split("?", 1)[0])
        row = self._plain_row(site, url, "redirect", route.location or "")
        row["redirect_status"] = route.status
        return row

    def _head_row(self, site: Site, page: _Page, source: str, kind: str, target: str) -> dict:
        row = self._plain_row(site, source, kind, target)
        reason = self._follow_reason([], page)
        row.update(tag="link" if kind == "canonical" else "meta", region="head",
                   follow=reason == "followed", follow_reason=reason)
        return row

    @staticmethod
    def _link_row(site: Site, page: _Page, source: str, position: int, link: _Link, target: str) -> dict:
        nofollow, ugc, sponsored = ("nofollow" in link.rel), ("ugc" in link.rel), ("sponsored" in link.rel)
        return {
            "source_url": source,
            "position": position,
            "tag": link.tag,
            "target_url": target,
            "target_fragment": link.fragment,
            "target_scheme": link.scheme,
            "target_host": link.host,
            "referring_domain": site.registrable_domain,
            "target_domain": link.domain,
            "is_external": link.domain is not None and link.domain != site.registrable_domain,
            "anchor_text": link.anchor_text,
            "anchor_from_alt": link.anchor_from_alt,
            "rel": list(link.rel),
            "nofollow": nofollow,
            "ugc": ugc,
            "sponsored": sponsored,
            "follow": not (nofollow or ugc or sponsored or page.nofollow),
            "link_kind": link.kind,
            "region": link.region,
            "img_src": link.img_src,
            "img_alt": link.img_alt,
            "title_attr": link.title_attr,
            "hreflang": link.hreflang,
            "target_attr": link.target_attr,
            "redirect_status": None,
            "follow_reason": World._follow_reason(link.rel, page),
        }

    def _truth_rows(self) -> tuple[list[dict], list[dict]]:
        if self._truth is None:
            self._truth = self._compute_truth()
        return self._truth

    def ground_truth_pages(self) -> list[dict]:
        """One row per URL a correct crawler requests (per site, in BFS order).

        Keys: ``url`` (as requested), ``status`` (after redirects), ``final_url``,
        ``content_type`` (no parameters), ``links_count`` (links on the final document),
        ``meta_robots_nofollow``, ``header_robots_nofollow``, ``page_nofollow``,
        ``encoding`` (Python codec a browser decodes the HTML bytes with: the declared charset,
        except Shift_JIS -> ``cp932`` and GB2312 -> ``gb18030`` as in the WHATWG Encoding
        standard; None for non-HTML), ``charset`` (the declared charset, lowercase),
        ``redirect_urls`` (URLs that answered with a redirect, in order), ``error``,
        ``lang`` (``<html lang>`` as written, None where absent), ``noindex`` (meta robots
        or X-Robots-Tag says noindex) and ``canonical_url`` (``<link rel=canonical>`` resolved).
        ``links_count`` counts body links (``<a href>``, ``<area href>``, ``<iframe src>``).
        A redirect loop (``/loop-a``) is recorded with ``status``/``final_url``/
        ``content_type`` None and ``error == "redirect_loop"``. ``robots.txt`` is not a row.
        """
        return [dict(row, redirect_urls=list(row["redirect_urls"])) for row in self._truth_rows()[0]]

    def ground_truth_links(self, kinds: tuple[str, ...] | None = BODY_LINK_KINDS) -> list[dict]:
        """One row per link element on every distinct final HTML 200 document, in document order.

        ``kinds`` selects rows by ``link_kind``; the default is the body links of kind a, area
        and image (what the crawler's e2e test compares), None returns every kind: also
        ``iframe``, ``canonical``, ``meta_refresh`` (tag link/meta, no position, region
        ``head``) and ``redirect`` (one row per distinct redirecting URL a robots-obeying
        crawler requests, target = the resolved Location, ``redirect_status`` 301/302).
        Further keys: ``link_kind``, ``region`` (header/nav/main/aside/footer/body; head;
        None for redirects), ``img_src``/``img_alt`` (image links only; alt cleaned like
        anchor text), ``title_attr``/``hreflang``/``target_attr`` (raw attribute values),
        ``redirect_status`` and ``follow_reason`` (rel_nofollow, rel_ugc, rel_sponsored,
        meta_robots, x_robots_tag or followed; first that applies).

        A document reached both directly and through redirects contributes its links once,
        with ``source_url`` = its final URL. Keys: ``source_url``, ``position``, ``tag``,
        ``target_url`` (WHATWG-normalized, no fragment; non-hierarchical hrefs as written),
        ``target_fragment``, ``target_scheme``, ``target_host``, ``referring_domain``,
        ``target_domain``, ``is_external``, ``anchor_text``, ``anchor_from_alt``, ``rel``,
        ``nofollow``, ``ugc``, ``sponsored``, ``follow``.
        """
        return [
            dict(row, rel=list(row["rel"]))
            for row in self._truth_rows()[1]
            if kinds is None or row["link_kind"] in kinds
        ]

    def ground_truth_anchor_classes(self) -> list[dict]:
        """One row per body link of kind a/area/image (as :meth:`ground_truth_links`): its
        ``source_url``, ``position``, ``target_domain``, ``anchor_text``, ``anchor_from_alt``
        and ``anchor_class``, the class the world built the anchor to have (docs/analysis.md, Anchor
        classes: empty, image, naked_url, generic, branded, compound, exact, partial, other)."""
        rows = []
        for row in self.ground_truth_links():
            site = self.site(row["source_url"].split("/")[2])
            path = "/" + row["source_url"].split("/", 3)[3].split("?", 1)[0]
            link = self._model(site, path).links[row["position"]]
            rows.append({key: row[key] for key in ("source_url", "position", "target_domain", "anchor_text",
                                                    "anchor_from_alt")} | {"anchor_class": link.anchor_class})
        return rows

    def keywords(self) -> dict[str, list[str]]:
        """Return target domain -> the keywords the world builds its exact and partial anchors
        from (each site's topic keywords, the money site's with spam): ``analyze --keywords``."""
        keywords = {site.registrable_domain: list(site_subject(site.index).keywords)
                    for site in self.sites[:self.config.sites]}  # fmt: skip
        if self.spam is not None:
            keywords.update(self.spam.keywords())
        return keywords

    def write_keywords(self, path: str | Path) -> Path:
        """Write :meth:`keywords` as a ``--keywords`` file (``DOMAIN<TAB>KEYWORD`` lines); return its path."""
        path = Path(path)
        path.write_text("".join(f"{domain}\t{keyword}\n" for domain, words in self.keywords().items()
                                for keyword in words), encoding="utf-8")  # fmt: skip
        return path

    def write_ground_truth(self, directory: str | Path) -> None:
        """Write ``links.jsonl`` and ``pages.jsonl`` into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        pages, links = self._truth_rows()
        for name, rows in (("pages.jsonl", pages), ("links.jsonl", links)):
            with (out / name).open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")



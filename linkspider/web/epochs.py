"""Epochs of a generated world: the same seed, evolved, with the truth of what changed.

``WorldConfig(epoch=k)`` with k >= 1 serves the world of epoch 0 with the changes of epoch k
applied (each epoch is drawn from the base world by its own random stream, so what epoch k-1
changed and epoch k does not is *undone* in epoch k: removed links come back, 404 pages answer
again). What changes, per epoch, in known shares of the world:

- page changes (:data:`PAGE_CHANGE_SHARE` of the eligible pages, split evenly over
  :data:`PAGE_CHANGES`): ``404``, ``410``, ``500``, ``redirected`` (301 to another page of the
  site), ``noindex`` (``<meta name=robots content=noindex>``), ``canonical_elsewhere``
  (``<link rel=canonical>`` to another page), ``robots_disallowed`` (a ``Disallow:`` line);
  every other ``500`` page of epoch k-1 is still ``500`` in epoch k (so a failure lasts two
  runs);
- link changes (:data:`LINK_CHANGE_SHARE` of the eligible links each): ``link_removed``,
  ``anchor_edited`` (text + " (new)"), ``rel_changed`` (nofollow added, or rel removed from a
  nofollow/ugc/sponsored link); and :data:`ADDED_LINK_SHARE` of the eligible pages get a new
  link to a page of another site;
- one host is down for the whole epoch (the server drops every connection, so the crawler
  sees no response: ``host_unreachable``), never the host that was down in epoch k-1.

Eligible pages are ``/page-k.html`` with k not 4 (robots meta) nor 6 (meta refresh, iframes)
on hosts that are up; the home page never changes, so every page stays reachable. Link changes
touch only ``a`` text links to http targets that occur once on their page, and added links go
to targets the page does not link yet, so a link's identity by construction is the identity
the history's pairing rule gives it. ``EpochTruth`` folds the epochs 0..k by the rules of
``linkspider.history`` (the meaning of a link across runs) from the world's clean model, never
from the crawled data: the link_changes of each step and the link_history after the last.
"""

from __future__ import annotations

import dataclasses
import html
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linkspider.web.model import WebResponse, WorldConfig, _Link, _Page, _Route

if TYPE_CHECKING:
    from linkspider.web.model import Site
    from linkspider.web.world import World

PAGE_CHANGES = ("404", "410", "500", "redirected", "noindex", "canonical_elsewhere",
                "robots_disallowed")  # fmt: skip
LINK_CHANGES = ("link_removed", "anchor_edited", "rel_changed")
#: Share of the eligible pages that get one page change per epoch (split over PAGE_CHANGES).
PAGE_CHANGE_SHARE = 0.14
#: Share of the eligible links that get each link change per epoch.
LINK_CHANGE_SHARE = 0.02
#: Share of the eligible pages that get one new link per epoch.
ADDED_LINK_SHARE = 0.05
#: Link kinds the history tracks (body links); head rows and redirect hops are page signals.
TRACKED_KINDS = ("a", "area", "image", "iframe")
#: Attributes compared between runs (linkspider.history.identity.COMPARED_FIELDS).
COMPARED = ("anchor_text", "rel", "follow", "region", "link_kind", "target_fragment")
#: Lost reasons that are transient: a link stays unknown until they last this many runs.
TRANSIENT_REASONS = ("page_error", "host_unreachable")
_REASON_OF_CHANGE = {
    "404": "page_not_found", "410": "page_not_found", "500": "page_error",
    "redirected": "page_redirected", "noindex": "page_noindex",
    "canonical_elsewhere": "not_canonical", "robots_disallowed": "robots_disallowed",
}  # fmt: skip
_NOFOLLOWISH = ("nofollow", "ugc", "sponsored")


class HostDown(ConnectionError):
    """Raised by an evolved world for every request to the host that is down this epoch; the
    local web server drops the connection without an answer."""


@dataclass
class EpochPlan:
    """What epoch ``epoch`` changes, by (site index, path) and link index in the base page."""

    epoch: int
    down_site: int | None = None
    page_changes: dict[tuple[int, str], str] = field(default_factory=dict)
    page_targets: dict[tuple[int, str], str] = field(default_factory=dict)  # redirect/canonical
    link_changes: dict[tuple[int, str, int], str] = field(default_factory=dict)
    added_links: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)  # -> (site, path)

    def facts(self, base: World) -> list[dict[str, Any]]:
        """Return one row per change of this epoch: what changed where (the plan as data);
        ``base`` is the world of epoch 0."""
        sites = base.sites
        rows: list[dict[str, Any]] = []
        if self.down_site is not None:
            rows.append({"epoch": self.epoch, "change": "host_down", "url": sites[self.down_site].home_url,
                         "target_url": None})
        for (s, path), change in sorted(self.page_changes.items()):
            target = self.page_targets.get((s, path))
            rows.append({"epoch": self.epoch, "change": change, "url": sites[s].origin + path,
                         "target_url": sites[s].origin + target if target else None})
        for (s, path, i), change in sorted(self.link_changes.items()):
            link = base._model(sites[s], path).links[i]
            rows.append({"epoch": self.epoch, "change": change, "url": sites[s].origin + path,
                         "target_url": link.target})
        for (s, path), (t, tpath) in sorted(self.added_links.items()):
            rows.append({"epoch": self.epoch, "change": "link_added", "url": sites[s].origin + path,
                         "target_url": sites[t].origin + tpath})
        return rows


def _page_paths(config: WorldConfig) -> list[str]:
    return ["/"] + [f"/page-{k}.html" for k in range(1, config.pages_per_site)]


#: The class of an eligible anchor once " (new)" is added (docs/analysis.md, Anchor classes): a
#: brand or a URL among other words is compound, a keyword among other words partial, and a
#: generic text is generic no more.
_EDITED_CLASS = {"branded": "compound", "compound": "compound", "naked_url": "compound", "exact": "partial",
                 "partial": "partial", "generic": "other", "other": "other"}  # fmt: skip


def _eligible_links(page: _Page) -> list[int]:
    """Indexes of the links a link change may touch: ``a`` text links to http targets that
    occur once on the page."""
    links = page.links
    counts: dict[str | None, int] = defaultdict(int)
    for link in links:
        counts[link.target] += 1
    return [
        i for i, link in enumerate(links)
        if link.kind == "a" and link.tag == "a" and link.scheme == "http" and link.target
        and link.anchor_text and counts[link.target] == 1
    ]  # fmt: skip


class Evolution:
    """The changes of one epoch applied to a world: hooks called by ``World``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.plan = plan_epoch(world.config, type(world))
        #: Base link index of every link of an evolved page, in the evolved order; added
        #: links are ``-1``.
        self.link_origins: dict[tuple[int, str], list[int]] = {}

    # ------------------------------------------------------------------ hooks of World

    def respond(self, site: Site, path: str) -> WebResponse | None:
        """Return the evolved answer for ``path`` on ``site``, or None for the base one."""
        plan = self.plan
        if site.index == plan.down_site:
            raise HostDown(f"{site.host} is down in epoch {plan.epoch}")
        if path == "/robots.txt":
            extra = [f"Disallow: {p}\n" for (s, p), c in sorted(plan.page_changes.items())
                     if s == site.index and c == "robots_disallowed"]
            if extra:
                from linkspider.web.model import ROBOTS_TXT

                body = (ROBOTS_TXT + "".join(extra)).encode()
                return WebResponse(200, [("Content-Type", "text/plain; charset=utf-8")], body)
            return None
        change = plan.page_changes.get((site.index, path))
        if change in ("404", "410", "500"):
            body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{change}</title>'
                    f"</head><body><h1>Error {change}</h1></body></html>").encode()
            return WebResponse(int(change), [("Content-Type", "text/html; charset=utf-8")], body)
        if change == "redirected":
            location = site.origin + plan.page_targets[(site.index, path)]
            body = f'<!DOCTYPE html><html><body>Moved to {html.escape(location)}</body></html>'.encode()
            return WebResponse(301, [("Location", location), ("Content-Type", "text/html; charset=utf-8")], body)
        return None

    def fetchable(self, site: Site, path: str) -> bool:
        """Return False for paths a robots-obeying crawler cannot fetch this epoch (the host
        is down, or robots.txt disallows the path), for the world's own ground truth."""
        if site.index == self.plan.down_site:
            return False
        return self.plan.page_changes.get((site.index, path)) != "robots_disallowed"

    def route(self, site: Site, path: str) -> _Route | None:
        """Return the evolved route of ``path`` (for the world's own ground truth), or None."""
        change = self.plan.page_changes.get((site.index, path))
        if change in ("404", "410", "500"):
            return _Route("missing", int(change))
        if change == "redirected":
            location = site.origin + self.plan.page_targets[(site.index, path)]
            return _Route("redirect", 301, location, location)
        return None

    def evolve(self, site: Site, path: str, page: _Page) -> _Page:
        """Return ``page`` (the base model) with this epoch's page and link changes applied."""
        plan, key = self.plan, (site.index, path)
        origins = list(range(len(page.links)))
        change = plan.page_changes.get(key)
        parts = list(page.parts)
        if change == "noindex":
            parts[0] = parts[0].replace("<head>\n", '<head>\n<meta name="robots" content="noindex">\n', 1)
            page = dataclasses.replace(page, parts=parts, noindex=True)
        elif change == "canonical_elsewhere":
            other = site.origin + plan.page_targets[key]
            parts[0] = parts[0].replace(f'<link rel="canonical" href="{page.canonical_url}">',
                                        f'<link rel="canonical" href="{other}">', 1)
            page = dataclasses.replace(page, parts=parts, canonical_url=other)
        edits = {i: c for (s, p, i), c in plan.link_changes.items() if (s, p) == key}
        added = plan.added_links.get(key)
        if not edits and added is None:
            self.link_origins[key] = origins
            return page
        new_parts: list[str | _Link] = []
        new_origins: list[int] = []
        index = -1
        for part in page.parts:
            if isinstance(part, str):
                if added is not None and part.startswith("</article>"):
                    new_parts += ["<p>", self._added_link(added), "</p>\n"]
                    new_origins.append(-1)
                new_parts.append(part)
                continue
            index += 1
            edit = edits.get(index)
            if edit == "link_removed":
                continue
            if edit == "anchor_edited":
                part = dataclasses.replace(_rerender(part, anchor_text=part.anchor_text + " (new)", rel=part.rel),
                                           anchor_class=_EDITED_CLASS[part.anchor_class])  # fmt: skip
            elif edit == "rel_changed":
                rel = [] if any(t in part.rel for t in _NOFOLLOWISH) else ["nofollow"]
                part = _rerender(part, anchor_text=part.anchor_text, rel=rel)
            new_parts.append(part)
            new_origins.append(index)
        self.link_origins[key] = new_origins
        return dataclasses.replace(page, parts=new_parts)

    def _added_link(self, added: tuple[int, str]) -> _Link:
        other = self.world.sites[added[0]]
        target = other.origin + added[1]
        link = _Link("a", "", target, None, "http", other.host, other.registrable_domain,
                     f"New partner: {other.name}", False, [], region="main",
                     anchor_class="compound")  # every site's name holds its domain label's words  # fmt: skip
        return _rerender(link, anchor_text=link.anchor_text, rel=[])


def _rerender(link: _Link, anchor_text: str, rel: list[str]) -> _Link:
    """Return ``link`` with ``anchor_text`` and ``rel``, rendered plainly (absolute href)."""
    href = (link.target or "") + (f"#{link.fragment}" if link.fragment is not None else "")
    attrs = [("href", href)]
    if rel:
        attrs.append(("rel", " ".join(rel)))
    for name, value in (("title", link.title_attr), ("hreflang", link.hreflang), ("target", link.target_attr)):
        if value is not None:
            attrs.append((name, value))
    rendered = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in attrs)
    element = f"<a {rendered}>{html.escape(anchor_text, quote=False)}</a>"
    return dataclasses.replace(link, html=element, anchor_text=anchor_text, rel=list(rel))


# ---------------------------------------------------------------------- plans

_PLANS: dict[WorldConfig, EpochPlan] = {}


def plan_epoch(config: WorldConfig, world_type: type[World]) -> EpochPlan:
    """Return what epoch ``config.epoch`` changes in the world of ``config`` (memoized);
    ``world_type`` builds the world of epoch 0 the changes apply to."""
    cached = _PLANS.get(config)
    if cached is not None:
        return cached
    plan = EpochPlan(config.epoch)
    if config.epoch <= 0:
        return plan
    base = world_type(dataclasses.replace(config, epoch=0))
    previous = plan_epoch(dataclasses.replace(config, epoch=config.epoch - 1), world_type)
    rng = random.Random(f"{config.seed}:epoch:{config.epoch}")
    sites = [s.index for s in base.sites]
    if len(sites) > 1:
        plan.down_site = rng.choice([s for s in sites if s != previous.down_site])
    up = [s for s in sites if s != plan.down_site]
    pages = [(s, p) for s in up for p in _page_paths(config)[1:]
             if base._page_number(p) not in (4, 6)]  # fmt: skip
    # A 500 that lasts: every other 500 page of the previous epoch stays 500 (if its host is up).
    sticky = [key for key, c in sorted(previous.page_changes.items()) if c == "500"][::2]
    for key in sticky:
        if key[0] != plan.down_site:
            plan.page_changes[key] = "500"
    free = [key for key in pages if key not in plan.page_changes]
    rng.shuffle(free)
    per_kind = max(1, round(PAGE_CHANGE_SHARE * len(pages) / len(PAGE_CHANGES)))
    for n, change in enumerate(PAGE_CHANGES):
        for key in free[n * per_kind:(n + 1) * per_kind]:
            plan.page_changes[key] = change
    # Redirect and canonical targets: pages of the same site that do not change this epoch.
    for (s, path), change in sorted(plan.page_changes.items()):
        if change in ("redirected", "canonical_elsewhere"):
            options = [p for p in _page_paths(config)[1:] if p != path and (s, p) not in plan.page_changes]
            plan.page_targets[(s, path)] = rng.choice(options) if options else "/"
    unchanged = [key for key in pages if key not in plan.page_changes]
    candidates = [(s, p, i) for s, p in unchanged for i in _eligible_links(base._model(base.sites[s], p))]
    rng.shuffle(candidates)
    per_link = max(1, round(LINK_CHANGE_SHARE * len(candidates)))
    for n, change in enumerate(LINK_CHANGES):
        for key in candidates[n * per_link:(n + 1) * per_link]:
            plan.link_changes[key] = change
    for s, p in rng.sample(unchanged, max(1, round(ADDED_LINK_SHARE * len(unchanged)))):
        present = {link.target for link in base._model(base.sites[s], p).links}
        options = [(t, q) for t in up if t != s for q in _page_paths(config)
                   if base.sites[t].origin + q not in present]  # fmt: skip
        plan.added_links[(s, p)] = rng.choice(options)
    _PLANS[config] = plan
    return plan

"""What a correct history must say of an evolving world: the observed facts of every epoch
(``EpochTruth``), built from the worlds of ``linkspider.web.epochs`` and their plans."""


from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from linkspider.web.model import WorldConfig

from linkspider.web.world import World
from linkspider.web.epochs import (COMPARED, EpochPlan, TRACKED_KINDS, TRANSIENT_REASONS, _NOFOLLOWISH, _REASON_OF_CHANGE, _page_paths, plan_epoch)

if TYPE_CHECKING:
    pass



# ---------------------------------------------------------------------- truth of the changes


@dataclass
class _Observed:
    """One link identity as a correct crawler observes it in one epoch."""

    state: str  # live | unknown (not crawled) | a lost reason
    row: dict[str, Any] | None = None  # the link row when the page is live and the link on it


def observe(world: World) -> tuple[dict[tuple, _Observed], dict[tuple, str]]:
    """Return (link identity -> observation, page -> state) of ``world`` as a correct crawler
    sees it: identities by construction ``(site, path, base link index or ("added", target))``.

    A page's state is ``ok``, ``not_crawled`` (its host is down and it is not the home page)
    or the lost reason its links get.
    """
    plan = world._evolution.plan if world._evolution else EpochPlan(0)
    links: dict[tuple, _Observed] = {}
    pages: dict[tuple, str] = {}
    for site in world.sites:
        for path in _page_paths(world.config):
            key = (site.index, path)
            page = world._model(site, path)
            change = plan.page_changes.get(key)
            if site.index == plan.down_site:
                state = "host_unreachable" if path == "/" else "not_crawled"
            elif change is not None:
                state = _REASON_OF_CHANGE[change]
            elif page.noindex:
                state = "page_noindex"
            elif page.meta_refresh is not None and page.meta_refresh != site.origin + path:
                state = "page_redirected"
            else:
                state = "ok"
            pages[key] = state
            origins = world._evolution.link_origins.get(key) if world._evolution else None
            url = site.origin + path
            for position, link in enumerate(page.links):
                if link.kind not in TRACKED_KINDS:
                    continue
                origin = origins[position] if origins is not None else position
                uid = (site.index, path, origin if origin >= 0 else ("added", link.target))
                row = World._link_row(site, page, url, position, link, link.target or url)
                links[uid] = _Observed("live", row) if state == "ok" else _Observed(state)
    return links, pages


@dataclass
class _Known:
    """The truth's state of one link identity (a row of link_history)."""

    row: dict[str, Any]
    first_seen: int
    last_seen: int
    last_checked: int
    status: str = "live"
    lost_reason: str | None = None
    lost_at: int | None = None
    times_seen: int = 1
    failing: int = 0


class EpochTruth:
    """Expected ``link_changes`` of every step and ``link_history`` after epoch ``epochs``
    of the world of ``config`` (epochs numbered, runs = epochs 0..epochs in order)."""

    def __init__(self, config: WorldConfig, epochs: int, transient_runs: int = 2) -> None:
        self.config = dataclasses.replace(config, epoch=0)
        self.epochs = epochs
        self.transient_runs = transient_runs

    def world(self, epoch: int) -> World:
        """Return the world of ``epoch``."""
        return World(dataclasses.replace(self.config, epoch=epoch))

    @cached_property
    def _fold(self) -> tuple[dict[int, list[dict]], dict[tuple, _Known]]:
        known: dict[tuple, _Known] = {}
        steps: dict[int, list[dict]] = {}
        for epoch in range(self.epochs + 1):
            observed, pages = observe(self.world(epoch))
            changes: list[dict] = []
            for uid, state in known.items():
                seen = observed.get(uid)
                page_state = pages.get(uid[:2], "not_crawled")
                if seen is None and page_state == "ok":
                    seen = _Observed("link_removed")
                elif seen is None:
                    seen = _Observed(page_state)
                changes += self._step(state, seen, epoch)
            for uid, seen in observed.items():
                if uid not in known and seen.state == "live":
                    known[uid] = _Known(seen.row, epoch, epoch, epoch)
                    if epoch > 0:
                        changes.append(_change("new", None, None, seen.row))
            steps[epoch] = changes
        return steps, known

    def _step(self, known: _Known, seen: _Observed, epoch: int) -> list[dict]:
        if seen.state == "not_crawled":
            if known.status == "live":
                known.status = "unknown"
            return []
        known.last_checked = epoch
        if seen.state == "live":
            before, was = known.row, known.status
            fields = [f for f in COMPARED if _value(before, f) != _value(seen.row, f)]
            known.row, known.status, known.last_seen = seen.row, "live", epoch
            known.times_seen += 1
            known.lost_reason = known.lost_at = None
            known.failing = 0
            if was == "lost":
                return [_change("restored", None, before, seen.row, fields)]
            return [_change("changed", None, before, seen.row, fields)] if fields else []
        if known.status == "lost":
            return []
        if seen.state in TRANSIENT_REASONS:
            known.failing += 1
            if known.failing < self.transient_runs:
                known.status, known.lost_reason = "unknown", seen.state
                return []
        else:
            known.failing = 0
        known.status, known.lost_reason, known.lost_at = "lost", seen.state, epoch
        return [_change("lost", seen.state, known.row, None)]

    def link_changes(self, epoch: int) -> list[dict]:
        """Return the expected link_changes rows of the step from ``epoch - 1`` to ``epoch``."""
        return self._fold[0][epoch]

    def link_history(self) -> list[dict]:
        """Return the expected link_history rows after the last epoch (epochs as run numbers)."""
        return [
            {"source_url": k.row["source_url"], "target_url": k.row["target_url"],
             "anchor_text": k.row["anchor_text"], "first_seen": k.first_seen, "last_seen": k.last_seen,
             "last_checked": k.last_checked, "status": k.status, "lost_reason": k.lost_reason,
             "lost_at": k.lost_at, "times_seen": k.times_seen}
            for k in self._fold[1].values()
        ]  # fmt: skip

    def live_links(self, epoch: int) -> dict[tuple, dict[str, Any]]:
        """Return the links live in ``epoch``: identity by construction -> link row."""
        observed, _ = observe(self.world(epoch))
        return {uid: seen.row for uid, seen in observed.items() if seen.state == "live"}

    def monitor_verdict(self, epoch: int, uid: tuple, transient_runs: int = 2) -> tuple[str, str | None]:
        """Return the (verdict, reason) a correct monitor gives in ``epoch`` for the link
        ``uid`` of epoch 0 expected with its epoch-0 anchor and follow (see
        ``linkspider.history.monitor``): the source page fetched directly, then its target;
        its first monitor run, so a transient failure is ``unknown`` under ``transient_runs``."""
        verdict, reason = self._monitor_verdict(epoch, uid)
        if verdict == "missing" and reason in TRANSIENT_REASONS and transient_runs > 1:
            return "unknown", reason
        return verdict, reason

    def _monitor_verdict(self, epoch: int, uid: tuple) -> tuple[str, str | None]:
        world = self.world(epoch)
        plan = world._evolution.plan if world._evolution else EpochPlan(0)
        s, path, index = uid
        if s == plan.down_site:
            return "missing", "host_unreachable"
        change = plan.page_changes.get((s, path))
        if change is not None:
            return "missing", _REASON_OF_CHANGE[change]
        edit = plan.link_changes.get((s, path, index))
        if edit == "link_removed":
            return "missing", "link_removed"
        base = self.world(0)
        link = base._model(base.sites[s], path).links[index]
        problems = []
        if edit == "anchor_edited":
            problems.append("anchor_differs")
        if edit == "rel_changed" and not any(t in link.rel for t in _NOFOLLOWISH):
            problems.append("nofollow")
        target = base.site(link.host or "")
        if target is not None:
            tpath = (link.target or "")[len(target.origin):] or "/"
            tchange = plan.page_changes.get((target.index, tpath))
            if target.index == plan.down_site or tchange in ("404", "410", "500"):
                problems.append("target_broken")
            elif tchange == "redirected":
                problems.append("target_redirects")
        return ("degraded", ",".join(sorted(problems))) if problems else ("ok", None)

    def write(self, directory: Any) -> None:
        """Write ``epoch_changes.jsonl`` (what each epoch changed), ``link_changes.jsonl`` and
        ``link_history.jsonl`` (the expected tables) into ``directory``."""
        import json
        from pathlib import Path

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "epoch_changes.jsonl": [f for e in range(1, self.epochs + 1)
                                    for f in plan_epoch(dataclasses.replace(self.config, epoch=e), World)
                                    .facts(self.world(0))],
            "link_changes.jsonl": [dict(row, epoch=e) for e in range(1, self.epochs + 1)
                                   for row in self.link_changes(e)],
            "link_history.jsonl": self.link_history(),
        }  # fmt: skip
        for name, rows in tables.items():
            with (out / name).open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _value(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    return sorted(value) if name == "rel" and value is not None else value


def _change(change: str, reason: str | None, before: dict | None, after: dict | None,
            fields: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    row = after or before or {}
    out: dict[str, Any] = {
        "change": change, "reason": reason, "changed_fields": list(fields or []),
        "source_url": row["source_url"], "target_url": row["target_url"],
        "referring_domain": row["referring_domain"], "target_domain": row["target_domain"],
    }  # fmt: skip
    for name in ("anchor_text", "rel", "follow", "follow_reason", "region"):
        out[f"{name}_before"] = before[name] if before else None
        out[f"{name}_after"] = after[name] if after else None
    return out

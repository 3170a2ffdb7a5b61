"""End to end: crawl epochs 0, 1 and 2 of a 50-site world through the real Scrapy engine and
the local web (the crawl folds each run into link_history), then compare link_changes and
link_history with the world's truth of what changed (``linkspider.web.epochs``), field by
field; and check expected backlinks with ``linkspider monitor`` against the same truth."""

from __future__ import annotations

import csv
import dataclasses
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linkspider.history.fold import changes_path, history_path
from linkspider.web import LocalWebProcess, World, WorldConfig
from linkspider.web.epoch_truth import EpochTruth
from linkspider.web.epochs import LINK_CHANGES, PAGE_CHANGES, plan_epoch
from tests.crawling import local_web_args, run_crawl, run_linkspider

CONFIG = WorldConfig(seed=3, sites=36, pages_per_site=8)
EPOCHS = 2
#: Every field of a link_changes row the truth knows; compared all at once per row.
CHANGE_FIELDS = ("change", "reason", "changed_fields", "source_url", "target_url", "referring_domain",
                 "target_domain", "anchor_text_before", "anchor_text_after", "rel_before", "rel_after",
                 "follow_before", "follow_after", "follow_reason_before", "follow_reason_after",
                 "region_before", "region_after")  # fmt: skip
HISTORY_FIELDS = ("source_url", "target_url", "anchor_text", "first_seen", "last_seen", "last_checked",
                  "status", "lost_reason", "lost_at", "times_seen")  # fmt: skip


def run_name(epoch: int) -> str:
    return f"epoch-{epoch}"


@pytest.fixture(scope="module")
def truth() -> EpochTruth:
    return EpochTruth(CONFIG, EPOCHS)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crawl epochs 0..2 into one dataset; keep a copy of link_history after each."""
    out = tmp_path_factory.mktemp("epochs")
    snapshots = tmp_path_factory.mktemp("snapshots")
    for epoch in range(EPOCHS + 1):
        world = World(dataclasses.replace(CONFIG, epoch=epoch))
        with LocalWebProcess(world) as web:
            result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out),
                               "--max-depth", "10", "--run-id", run_name(epoch))  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        shutil.copy(history_path(out), snapshots / f"{run_name(epoch)}.parquet")
    (out / "snapshots").symlink_to(snapshots)
    return out


def as_runs(row: dict) -> dict:
    """A truth row with epochs named as the crawl's runs."""
    return {k: run_name(v) if k in ("first_seen", "last_seen", "last_checked", "lost_at") and v is not None
            else v for k, v in row.items()}  # fmt: skip


def row_key(row: dict, fields: tuple[str, ...]) -> tuple:
    return tuple(tuple(sorted(row[f])) if isinstance(row[f], list) and f == "changed_fields"
                 else tuple(row[f]) if isinstance(row[f], list) else row[f] for f in fields)  # fmt: skip


def test_each_epoch_changes_every_kind_in_a_known_share() -> None:
    for epoch in (1, 2):
        plan = plan_epoch(dataclasses.replace(CONFIG, epoch=epoch), World)
        fresh = Counter(plan.page_changes.values())
        assert set(fresh) == set(PAGE_CHANGES) and min(fresh.values()) >= 3
        assert set(plan.link_changes.values()) == set(LINK_CHANGES) and plan.added_links
        assert plan.down_site is not None
    assert plan_epoch(dataclasses.replace(CONFIG, epoch=1), World).down_site != plan.down_site


def test_epoch_zero_is_the_default_world_byte_for_byte() -> None:
    default, zero = World(CONFIG), World(dataclasses.replace(CONFIG, epoch=0))
    for site in default.sites[:10]:
        for path in ("/", "/page-1.html", "/page-5.html", "/robots.txt", "/old/page-2.html"):
            assert default.respond(site.host, path) == zero.respond(site.host, path)
    assert zero._evolution is None


def test_the_down_host_drops_every_connection() -> None:
    world = World(dataclasses.replace(CONFIG, epoch=1))
    down = world.sites[plan_epoch(world.config, World).down_site]
    with pytest.raises(ConnectionError):
        world.respond(down.host, "/")


@pytest.mark.parametrize("epoch", [1, 2])
def test_crawl_of_each_epoch_equals_the_evolved_worlds_ground_truth(dataset: Path, epoch: int) -> None:
    fields = ("source_url", "target_url", "link_kind", "anchor_text", "rel", "follow", "region")
    world = World(dataclasses.replace(CONFIG, epoch=epoch))
    want = Counter(row_key(r, fields) for r in world.ground_truth_links(kinds=None))
    crawled = pq.ParquetDataset(dataset / "links", partitioning="hive").read().to_pylist()
    got = Counter(row_key(r, fields) for r in crawled if r["run"] == run_name(epoch))
    assert got == want


@pytest.mark.parametrize("epoch", [1, 2])
def test_link_changes_of_each_step_equal_the_world_truth(dataset: Path, truth: EpochTruth, epoch: int) -> None:
    rows = pq.read_table(changes_path(dataset, run_name(epoch))).to_pylist()
    assert {(r["from_run"], r["to_run"]) for r in rows} == {(run_name(epoch - 1), run_name(epoch))}
    got = Counter(row_key(r, CHANGE_FIELDS) for r in rows)
    want = Counter(row_key(r, CHANGE_FIELDS) for r in truth.link_changes(epoch))
    assert sum(want.values()) > 500
    assert list((want - got).elements())[:5] == [], "changes missing"
    assert list((got - want).elements())[:5] == [], "changes that did not happen"


def test_every_change_and_reason_occurs(truth: EpochTruth) -> None:
    seen = {(r["change"], r["reason"]) for e in (1, 2) for r in truth.link_changes(e)}
    assert seen >= {("new", None), ("changed", None), ("restored", None), ("lost", "link_removed"),
                    ("lost", "page_not_found"), ("lost", "page_error"), ("lost", "page_redirected"),
                    ("lost", "page_noindex"), ("lost", "not_canonical"), ("lost", "robots_disallowed")}
    assert ("lost", "page_error") not in {(r["change"], r["reason"]) for r in truth.link_changes(1)}


def test_link_history_after_epoch_2_equals_the_truth(dataset: Path, truth: EpochTruth) -> None:
    rows = pq.read_table(history_path(dataset)).to_pylist()
    got = Counter(row_key(r, HISTORY_FIELDS) for r in rows)
    want = Counter(row_key(as_runs(r), HISTORY_FIELDS) for r in truth.link_history())
    assert {r["status"] for r in rows} == {"live", "lost", "unknown"}
    assert list((want - got).elements())[:5] == [], "history rows missing or wrong"
    assert list((got - want).elements())[:5] == [], "history rows that should not be"


def test_links_of_the_host_down_for_one_epoch_are_unknown_then_live_again(
        dataset: Path, truth: EpochTruth) -> None:
    down = World(CONFIG).sites[plan_epoch(dataclasses.replace(CONFIG, epoch=1), World).down_site]
    prefix = down.origin + "/"

    def on_down_host(rows: list[dict]) -> list[dict]:
        return [r for r in rows if r["source_url"].startswith(prefix)]

    during = on_down_host(pq.read_table(dataset / "snapshots" / "epoch-1.parquet").to_pylist())
    after = on_down_host(pq.read_table(dataset / "snapshots" / "epoch-2.parquet").to_pylist())
    assert len(during) > 50
    assert {r["status"] for r in during} == {"unknown"}
    assert {r["lost_reason"] for r in during} == {"host_unreachable", None}  # home page / not crawled
    # Epoch 2 may change a few of the host's pages: those links follow the truth's changes
    # (checked with every other change); every other link is live again, seen twice.
    changed_in_2 = {(r["source_url"], r["target_url"]) for r in on_down_host(truth.link_changes(2))}
    untouched = [r for r in after if (r["source_url"], r["target_url"]) not in changed_in_2]
    assert len(untouched) > 50
    assert {(r["status"], r["first_seen"], r["times_seen"]) for r in untouched} == {("live", "epoch-0", 2)}
    reported = {e: on_down_host(pq.read_table(changes_path(dataset, run_name(e))).to_pylist()) for e in (1, 2)}
    assert reported[1] == []  # a host that did not answer changed nothing
    assert len(reported[2]) == len(on_down_host(truth.link_changes(2)))


def test_history_update_rebuilds_the_same_history_from_the_runs(dataset: Path, tmp_path: Path) -> None:
    for table in ("links", "pages"):
        shutil.copytree(dataset / table, tmp_path / table)
    result = run_linkspider("history", "update", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "folded run epoch-2: " in result.stdout
    assert pq.read_table(history_path(tmp_path)).equals(pq.read_table(history_path(dataset)))
    again = run_linkspider("history", "update", "--out", str(tmp_path))
    assert "up to date" in again.stdout


def test_diff_prints_counts_by_change_and_reason(dataset: Path, truth: EpochTruth) -> None:
    result = run_linkspider("diff", "--out", str(dataset))
    assert result.returncode == 0, result.stderr
    counts = Counter((r["change"], r["reason"] or "") for r in truth.link_changes(2))
    for (change, reason), n in counts.items():
        assert any(line.split() == [change, *([reason] if reason else []), str(n)]
                   for line in result.stdout.splitlines()), (change, reason, n)
    assert "referring domains gained:" in result.stdout and "targets that lost most links:" in result.stdout


# ---------------------------------------------------------------------------------------------
# linkspider monitor, on epoch 1, with links expected as they were in epoch 0


@pytest.fixture(scope="module")
def expected_links(truth: EpochTruth) -> list[tuple[tuple, dict]]:
    """Epoch-0 backlinks between sites of the world, the only link to their target on their
    page: every one whose page, link or target epoch 1 changes, and 30 that it does not."""
    world = World(CONFIG)
    hosts = {site.host for site in world.sites}
    live = truth.live_links(0)
    per_page = Counter((uid[:2], row["target_url"]) for uid, row in live.items())
    candidates = [(uid, row) for uid, row in sorted(live.items(), key=lambda item: str(item[0]))
                  if row["is_external"] and row["target_host"] in hosts and row["link_kind"] == "a"
                  and per_page[(uid[:2], row["target_url"])] == 1 and isinstance(uid[2], int)]  # fmt: skip
    changed = [(uid, row) for uid, row in candidates if truth.monitor_verdict(1, uid) != ("ok", None)]
    unchanged = [(uid, row) for uid, row in candidates if truth.monitor_verdict(1, uid) == ("ok", None)]
    return changed + unchanged[:30]


def write_expected(path: Path, links: list[tuple[tuple, dict]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_url", "target", "anchor", "follow"])
        for _, row in links:
            writer.writerow([row["source_url"], row["target_url"], row["anchor_text"], str(row["follow"]).lower()])
    return path


def run_monitor(web: LocalWebProcess, expected: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_linkspider("monitor", str(expected), "--out", str(out), "--proxy", web.proxy_url,
                          "--allow-private-addresses", "--no-throttle", "--concurrency", "8", *extra,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def epoch_1_web() -> LocalWebProcess:
    with LocalWebProcess(World(dataclasses.replace(CONFIG, epoch=1))) as web:
        yield web


def test_monitor_verdicts_equal_the_truth_and_exit_3_when_any_is_missing(
    epoch_1_web: LocalWebProcess, expected_links: list, truth: EpochTruth, tmp_path: Path
) -> None:
    expected = write_expected(tmp_path / "expected.csv", expected_links)
    result = run_monitor(epoch_1_web, expected, tmp_path / "out", "--report", str(tmp_path / "report.json"))
    assert result.returncode == 3, result.stderr[-2000:]
    (table,) = (tmp_path / "out" / "monitor").glob("run=*/monitor.parquet")
    rows = pq.read_table(table).to_pylist()
    got = {(r["source_url"], r["expected_target"]): (r["verdict"], r["reason"]) for r in rows}
    want = {(row["source_url"], row["target_url"]): truth.monitor_verdict(1, uid) for uid, row in expected_links}
    assert len(got) == len(want) > 100
    wrong = [(key, want[key], got.get(key)) for key in want if got.get(key) != want[key]]
    assert wrong == []
    verdicts = Counter(v for v, _ in want.values())
    assert verdicts["ok"] and verdicts["missing"] and verdicts["degraded"]
    reasons = {r for _, reason in want.values() if reason for r in reason.split(",")}
    assert reasons >= {"anchor_differs", "nofollow", "target_broken", "target_redirects", "link_removed",
                       "page_not_found", "host_unreachable", "robots_disallowed"}
    assert (tmp_path / "report.json").read_text(encoding="utf-8").startswith("[")


def test_monitor_exits_1_when_links_are_only_degraded(
    epoch_1_web: LocalWebProcess, expected_links: list, truth: EpochTruth, tmp_path: Path
) -> None:
    degraded = [(uid, row) for uid, row in expected_links if truth.monitor_verdict(1, uid)[0] == "degraded"][:10]
    result = run_monitor(epoch_1_web, write_expected(tmp_path / "expected.csv", degraded), tmp_path / "out")
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "10 expected links: 0 ok, 10 degraded, 0 unknown, 0 missing" in result.stdout


def test_monitor_exits_0_when_every_link_is_ok_matching_a_domain(
    epoch_1_web: LocalWebProcess, expected_links: list, truth: EpochTruth, tmp_path: Path
) -> None:
    ok = [(uid, row) for uid, row in expected_links
          if truth.monitor_verdict(1, uid)[0] == "ok" and row["follow"]][:10]  # no follow column: followed
    path = tmp_path / "expected.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:  # no header: positional columns
        for _, row in ok:
            csv.writer(handle).writerow([row["source_url"], row["target_domain"]])
    result = run_monitor(epoch_1_web, path, tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert (tmp_path / "out" / "monitor").is_dir() and not (tmp_path / "out" / "pages").exists()


def test_monitor_from_history_checks_the_live_backlinks_of_a_domain(
    epoch_1_web: LocalWebProcess, dataset: Path, tmp_path: Path
) -> None:
    target = World(CONFIG).sites[7].registrable_domain
    out = tmp_path / "out"
    shutil.copytree(dataset / "link_history", out / "link_history")
    result = run_linkspider("monitor", "--from-history", target, "--out", str(out), "--proxy",
                            epoch_1_web.proxy_url, "--allow-private-addresses", "--no-throttle",
                            timeout=300)  # fmt: skip
    assert result.returncode in (0, 1, 3), result.stderr[-2000:]
    live = [r for r in pq.read_table(history_path(dataset)).to_pylist()
            if r["status"] == "live" and r["is_external"] and r["target_domain"] == target]  # fmt: skip
    (table,) = (out / "monitor").glob("run=*/monitor.parquet")
    assert len(pq.read_table(table)) == len(live) > 0


def test_monitor_rejects_a_bad_expected_file_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "expected.csv"
    path.write_text("source_url,target\nnot a url,example.com\n", encoding="utf-8")
    result = run_linkspider("monitor", str(path), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "line 2" in result.stderr and "not an http(s) URL" in result.stderr

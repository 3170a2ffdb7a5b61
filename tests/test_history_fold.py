"""The history's rules (the meaning of a link across runs) on small hand-written datasets:
identity and pairing, live, lost reasons, not crawled, transient failures, restored, and
that only complete runs are compared."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkspider.history import HistoryError, update_history
from linkspider.history.diff import diff
from linkspider.history.fold import changes_path, history_path
from linkspider.runs import RunRecord, write_run_record
from linkspider.dataset.schema import LINKS_SCHEMA, PAGES_SCHEMA

PAGE = "http://a.example/page"
T1, T2 = "http://t.example/one", "http://t.example/two"
START = datetime(2026, 12, 1, tzinfo=timezone.utc)


def link(target: str = T1, anchor: str = "Best shoes", *, position: int = 0, region: str = "main",
         rel: list[str] | None = None, source: str = PAGE, kind: str = "a",
         fragment: str | None = None) -> dict:  # fmt: skip
    rel = rel or []
    nofollow = "nofollow" in rel
    return {
        "source_url": source, "target_url": target, "target_fragment": fragment,
        "target_host": target.split("/")[2], "target_domain": "t.example",
        "referring_domain": "a.example", "target_scheme": "http", "anchor_text": anchor,
        "anchor_from_alt": False, "tag": "a", "link_kind": kind, "rel": rel, "nofollow": nofollow,
        "ugc": False, "sponsored": False, "follow": not nofollow,
        "follow_reason": "rel_nofollow" if nofollow else "followed", "is_external": True,
        "position": position, "region": region,
    }  # fmt: skip


def page(url: str = PAGE, status: int | None = 200, **fields: object) -> dict:
    row = {"url": url, "final_url": url if status is not None else None, "status": status,
           "depth": 0, "links_count": 0, "noindex": False, "canonical_url": url if status else None}
    row.update(fields)
    return row


def write_run(root: Path, number: int, pages: list[dict], links: list[dict],
              status: str | None = None) -> str:  # fmt: skip
    """Write run ``r<number>`` (pages, links; a run record when ``status`` is given)."""
    run_id = f"r{number}"
    fetched = START + timedelta(days=number)
    for table, schema, rows in (("pages", PAGES_SCHEMA, pages), ("links", LINKS_SCHEMA, links)):
        full = [dict({"run_id": run_id, "fetched_at": fetched}, **row) for row in rows]
        directory = root / table / f"crawl_date={fetched:%Y-%m-%d}" / f"run={run_id}"
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(full, schema=schema), directory / "part-0.parquet")
    if status is not None:
        write_run_record(root, RunRecord(run_id=run_id, output_dir=str(root), crawl_date=f"{fetched:%Y-%m-%d}",
                                         started_at=fetched, heartbeat_at=fetched, status=status,
                                         finished_at=fetched, pid=1))  # fmt: skip
    return run_id


def changes(root: Path, run_id: str) -> list[dict]:
    return pq.read_table(changes_path(root, run_id)).to_pylist()


def history(root: Path) -> list[dict]:
    return pq.read_table(history_path(root)).to_pylist()


def brief(rows: list[dict]) -> list[tuple]:
    return sorted((r["change"], r["reason"], r["target_url"], tuple(r["changed_fields"])) for r in rows)


def test_edited_anchor_is_changed_not_lost_and_new(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link(anchor="Best shoes")])
    write_run(tmp_path, 2, [page()], [link(anchor="Cheap shoes", rel=["nofollow"])])
    update_history(tmp_path)
    (row,) = changes(tmp_path, "r2")
    assert (row["change"], row["changed_fields"]) == ("changed", ["anchor_text", "rel", "follow"])
    assert (row["anchor_text_before"], row["anchor_text_after"]) == ("Best shoes", "Cheap shoes")
    assert (row["follow_before"], row["follow_after"]) == (True, False)
    assert row["from_run"] == "r1" and row["to_run"] == "r2"


def test_repeated_occurrences_pair_by_anchor_and_region_before_order(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link(anchor="Shoes", position=0), link(anchor="Boots", position=1)])
    # The page now leads with a new link to the same target; "Boots" moved up but kept its text.
    write_run(tmp_path, 2, [page()], [link(anchor="Sandals", position=0), link(anchor="Boots", position=1),
                                      link(anchor="Shoes", position=2)])  # fmt: skip
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("new", None, T1, ())]
    (new,) = changes(tmp_path, "r2")
    assert new["anchor_text_after"] == "Sandals" and new["occurrence"] == 2


def test_unpaired_occurrence_is_paired_by_order_and_changed(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link(anchor="Shoes", region="main"), link(T2)])
    write_run(tmp_path, 2, [page()], [link(anchor="Shoes", region="footer", fragment="top"), link(T2)])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("changed", None, T1, ("region", "target_fragment"))]


def test_link_gone_from_a_page_that_answers_is_lost_link_removed(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link(T1), link(T2, position=1)])
    write_run(tmp_path, 2, [page()], [link(T2, position=1)])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("lost", "link_removed", T1, ())]


@pytest.mark.parametrize(("answer", "reason"), [
    (page(status=404), "page_not_found"),
    (page(status=410), "page_not_found"),
    (page(final_url="http://a.example/elsewhere", redirect_chain=[{"url": PAGE, "status": 301}]), "page_redirected"),
    (page(noindex=True), "page_noindex"),
    (page(canonical_url="http://a.example/other"), "not_canonical"),
    (page(status=None, error="IgnoreRequest: disallowed by robots.txt"), "robots_disallowed"),
])  # fmt: skip
def test_page_answers_give_their_lost_reason(tmp_path: Path, answer: dict, reason: str) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [answer], [link()] if answer.get("noindex") or answer.get("canonical_url") else [])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("lost", reason, T1, ())]
    assert history(tmp_path)[0]["status"] == "lost" and history(tmp_path)[0]["lost_at"] == "r2"


def test_meta_refresh_to_another_url_is_page_redirected(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    refresh = dict(link("http://a.example/next"), link_kind="meta_refresh", position=None, region="head")
    write_run(tmp_path, 2, [page()], [link(), refresh])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r2")) == [("lost", "page_redirected", T1, ())]


def test_page_not_crawled_leaves_its_links_unknown_not_lost(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page("http://a.example/other")], [])
    update_history(tmp_path)
    assert changes(tmp_path, "r2") == []
    (row,) = history(tmp_path)
    assert (row["status"], row["last_seen"], row["last_checked"]) == ("unknown", "r1", "r1")


@pytest.mark.parametrize("failure", [
    page(status=503),
    page(status=None, error="ResponseNeverReceived: [<twisted.python.failure.Failure ConnectionDone>]"),
    page(status=None, error="CannotResolveHostError: no answer from the DNS resolver for a.example "
                            "within DNS_TIMEOUT=60 s; check the resolver, or raise DNS_TIMEOUT"),
])  # fmt: skip
def test_transient_failure_is_unknown_then_lost_after_two_runs(tmp_path: Path, failure: dict) -> None:
    reason = "page_error" if failure["status"] else "host_unreachable"
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [failure], [])
    update_history(tmp_path)
    assert changes(tmp_path, "r2") == []
    assert (history(tmp_path)[0]["status"], history(tmp_path)[0]["lost_reason"]) == ("unknown", reason)
    write_run(tmp_path, 3, [failure], [])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r3")) == [("lost", reason, T1, ())]


def test_link_back_before_the_transient_limit_was_never_lost(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page(status=500)], [])
    write_run(tmp_path, 3, [page()], [link()])
    update_history(tmp_path)
    assert changes(tmp_path, "r2") == [] and changes(tmp_path, "r3") == []
    (row,) = history(tmp_path)
    assert (row["status"], row["times_seen"], row["first_seen"], row["lost_reason"]) == ("live", 2, "r1", None)


def test_transient_limit_is_a_setting(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page(status=500)], [])
    update_history(tmp_path, transient_runs=1)
    assert brief(changes(tmp_path, "r2")) == [("lost", "page_error", T1, ())]


def test_lost_link_seen_again_is_restored_with_its_first_seen_kept(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page(status=404)], [])
    write_run(tmp_path, 3, [page()], [link()])
    update_history(tmp_path)
    assert brief(changes(tmp_path, "r3")) == [("restored", None, T1, ())]
    (row,) = history(tmp_path)
    assert (row["status"], row["first_seen"], row["last_seen"], row["times_seen"]) == ("live", "r1", "r3", 2)


def test_only_complete_runs_are_compared(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()], status="complete")
    write_run(tmp_path, 2, [page(status=404)], [], status="partial")
    write_run(tmp_path, 3, [page()], [link(anchor="New text")], status="complete")
    summary = diff(tmp_path)
    assert (summary.from_run, summary.to_run) == ("r1", "r3")
    assert brief(changes(tmp_path, "r3")) == [("changed", None, T1, ("anchor_text",))]
    assert not changes_path(tmp_path, "r2").exists()


def test_history_update_folds_only_the_new_run(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page()], [link(), link(T2, position=1)])
    assert [s.run_id for s in update_history(tmp_path)] == ["r1", "r2"]
    assert update_history(tmp_path) == []
    write_run(tmp_path, 3, [page()], [link(T2, position=1)])
    (step,) = update_history(tmp_path)
    assert (step.run_id, step.from_run, step.changes, step.identities) == ("r3", "r2", 1, 2)


def test_concurrent_updates_run_one_after_the_other(tmp_path: Path) -> None:
    """Two overlapping updates (cron jobs, a crawl's hook) must not fold a run twice: the second
    waits for the lock, then finds the history current."""
    import threading

    from linkspider.history.fold import folded_runs
    from linkspider.history.update import _update_history, history_lock

    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page()], [link(), link(T2, position=1)])
    second: list[list] = []
    with history_lock(tmp_path):  # the first update, holding the lock
        waiting = threading.Thread(target=lambda: second.append(update_history(tmp_path)))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not history_path(tmp_path).exists()
        assert [s.run_id for s in _update_history(tmp_path, None, None)] == ["r1", "r2"]
    waiting.join(timeout=30)
    assert second == [[]]
    assert folded_runs(history_path(tmp_path)) == ["r1", "r2"]


def test_diff_between_runs_that_are_not_consecutive(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page()], [link(), link(T2, position=1)])
    write_run(tmp_path, 3, [page()], [link(T2, position=1)])
    summary = diff(tmp_path, from_run="r1", to_run="r3")
    assert brief(changes(tmp_path, "r3")) == [("lost", "link_removed", T1, ()), ("new", None, T2, ())]
    assert summary.counts == [("lost", "link_removed", 1), ("new", "", 1)]
    assert {r["from_run"] for r in changes(tmp_path, "r3")} == {"r1"}


def test_diff_needs_two_complete_runs(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    with pytest.raises(HistoryError, match="two complete runs"):
        diff(tmp_path)


def test_diff_refuses_an_unknown_run(tmp_path: Path) -> None:
    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page()], [link()])
    with pytest.raises(HistoryError, match="'nope' is not a complete run"):
        diff(tmp_path, to_run="nope")


def test_tables_are_written_with_their_declared_schemas(tmp_path: Path) -> None:
    from linkspider.dataset.schema import LINK_CHANGES_SCHEMA, LINK_HISTORY_SCHEMA

    write_run(tmp_path, 1, [page()], [link()])
    write_run(tmp_path, 2, [page()], [link(anchor="Other")])
    update_history(tmp_path)
    tables = ((history_path(tmp_path), LINK_HISTORY_SCHEMA), (changes_path(tmp_path, "r2"), LINK_CHANGES_SCHEMA))
    for path, schema in tables:
        written = pq.read_schema(path)
        assert [(f.name, f.type) for f in written] == [(f.name, f.type) for f in schema]
    assert not list((tmp_path / "_staging").rglob("*.tmp"))


def test_diff_command_exits_1_on_a_change_named_by_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from linkspider.cli import main

    write_run(tmp_path, 1, [page()], [link(T1), link(T2, position=1)])
    write_run(tmp_path, 2, [page()], [link(T2, position=1)])
    assert main(["diff", "--out", str(tmp_path), "--fail-on", "new"]) == 0
    assert main(["diff", "--out", str(tmp_path), "--fail-on", "lost"]) == 1
    out = capsys.readouterr().out
    assert "lost       link_removed                1" in out and "from r1 to r2" in out


def test_diff_command_exits_2_without_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from linkspider.cli import main

    assert main(["diff", "--out", str(tmp_path)]) == 2
    assert "a diff needs two complete runs" in capsys.readouterr().err


def test_hook_after_a_run_that_is_not_complete_changes_nothing(tmp_path: Path) -> None:
    from linkspider.history import update_after_run

    write_run(tmp_path, 1, [page()], [link()], status="complete")
    write_run(tmp_path, 2, [page(status=404)], [], status="partial")
    assert update_after_run(tmp_path, "r2") == []
    assert not history_path(tmp_path).exists()
    assert [s.run_id for s in update_after_run(tmp_path, "r1")] == ["r1"]



def test_the_crawls_history_settings_reach_its_fold(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``crawl -s LINKSPIDER_HISTORY_MEMORY_LIMIT=...`` bounds the fold after the crawl (it
    used the project's default, whatever the crawl was given)."""
    from linkspider.history.cli import history_after_crawl

    write_run(tmp_path, 1, [page()], [link()], status="complete")
    history_after_crawl(str(tmp_path), "r1", {"LINKSPIDER_HISTORY_MEMORY_LIMIT": "1KB"})
    assert "link_history not updated" in capsys.readouterr().err  # DuckDB: out of memory
    assert not history_path(tmp_path).exists()
    history_after_crawl(str(tmp_path), "r1", {"LINKSPIDER_HISTORY_MEMORY_LIMIT": "256MB",
                                              "LINKSPIDER_HISTORY_TRANSIENT_RUNS": "3"})  # fmt: skip
    assert history_path(tmp_path).exists()


def test_a_fold_out_of_memory_on_a_thread_per_core_is_done_again_on_one(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Each DuckDB thread holds buffers that do not spill, so a small limit that one thread per
    core exceeds is enough for one thread: the step is done again on one (500,000 links fold
    at 128MB that way; bench/history.py). DuckDB's error is simulated here on each step's
    first try, and the step's tables are real."""
    import duckdb

    from linkspider.history import fold

    write_run(tmp_path, 1, [page()], [link()], status="complete")
    write_run(tmp_path, 2, [page()], [link(anchor="New shoes")], status="complete")
    threads_seen = []
    real_fold_run = fold.fold_run

    def fold_run(con, *args, **kwargs):
        threads_seen.append(int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
        if len(threads_seen) % 2:  # each step's first try: DuckDB's default, a thread per core
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
        return real_fold_run(con, *args, **kwargs)

    monkeypatch.setattr(fold, "fold_run", fold_run)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    steps = update_history(tmp_path, memory_limit="64MB")
    assert [(s.run_id, s.changes) for s in steps] == [("r1", 0), ("r2", 1)]
    assert threads_seen[1::2] == [1, 1], threads_seen
    assert not (tmp_path / "_staging" / "history-spill").exists()


def test_a_limit_too_small_for_one_thread_exits_3_saying_to_raise_it(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    from linkspider.cli import main

    write_run(tmp_path, 1, [page()], [link()], status="complete")
    write_run(tmp_path, 2, [page()], [link()], status="complete")
    assert main(["history", "update", "--out", str(tmp_path), "--memory-limit", "1KB"]) == 3
    err = capsys.readouterr().err
    assert "memory limit of 1KB, on one thread too" in err and "--memory-limit 1GB" in err, err
    assert "Traceback" not in err and not history_path(tmp_path).exists()
    assert main(["diff", "--out", str(tmp_path), "--memory-limit", "1KB"]) == 3
    assert "raise it" in capsys.readouterr().err
    assert not history_path(tmp_path).exists() and not (tmp_path / "_staging" / "history-spill").exists()


def test_epoch_truth_is_written_as_jsonl(tmp_path: Path) -> None:
    import json

    from linkspider.web import WorldConfig
    from linkspider.web.epoch_truth import EpochTruth

    truth = EpochTruth(WorldConfig(seed=2, sites=8, pages_per_site=8), 2)
    truth.write(tmp_path)
    facts = [json.loads(line) for line in (tmp_path / "epoch_changes.jsonl").read_text().splitlines()]
    assert {f["epoch"] for f in facts} == {1, 2} and {"host_down", "404", "link_added"} <= {f["change"] for f in facts}
    changes = (tmp_path / "link_changes.jsonl").read_text().splitlines()
    assert len(changes) == len(truth.link_changes(1)) + len(truth.link_changes(2)) > 0
    assert len((tmp_path / "link_history.jsonl").read_text().splitlines()) == len(truth.link_history())

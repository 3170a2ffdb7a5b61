"""Edge cases of the link history: what is compared (redirect_status is not), and runs that
complete (after a resume) later than a run already folded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from linkspider.history import update_history
from linkspider.history.fold import changes_path, folded_runs, history_path
from linkspider.history.identity import COMPARED_FIELDS
from linkspider.runs import read_run_record, write_run_record
from tests.test_history_fold import T1, T2, brief, changes, history, link, page, write_run


def test_redirect_status_is_not_compared_body_links_have_none(tmp_path: Path) -> None:
    """redirect_status is set on redirect rows only, which are page signals, not tracked links:
    it cannot change for a tracked link, so it is not compared (docs/history.md)."""
    assert "redirect_status" not in COMPARED_FIELDS
    write_run(tmp_path, 1, [page()], [dict(link(), redirect_status=301)])  # no crawl writes this
    write_run(tmp_path, 2, [page()], [link()])
    update_history(tmp_path)
    assert changes(tmp_path, "r2") == []


def complete_after_resume(root: Path, run_id: str, days_later: int) -> None:
    """Rewrite the record of ``run_id`` as a resume that ended complete ``days_later`` after."""
    record = read_run_record(root, run_id)
    record.status, record.resumed = "complete", 1
    record.finished_at = record.heartbeat_at = record.started_at + timedelta(days=days_later)
    write_run_record(root, record)


def test_a_run_completing_after_a_later_run_was_folded_is_folded_in_its_place(tmp_path: Path, capsys) -> None:
    from linkspider.cli import main

    write_run(tmp_path, 1, [page()], [link(T1)], status="complete")
    write_run(tmp_path, 2, [page()], [link(T1), link(T2, position=1)], status="partial")  # killed
    write_run(tmp_path, 3, [page()], [link(T2, position=1)], status="complete")
    assert [s.run_id for s in update_history(tmp_path)] == ["r1", "r3"]
    complete_after_resume(tmp_path, "r2", days_later=2)  # resumed after r3 ran, then complete
    assert main(["history", "update", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "r2" in out and "rebuilt" in out
    assert folded_runs(history_path(tmp_path)) == ["r1", "r2", "r3"]  # by start, as always
    assert brief(changes(tmp_path, "r2")) == [("new", None, T2, ())]
    assert brief(changes(tmp_path, "r3")) == [("lost", "link_removed", T1, ())]
    assert {r["from_run"] for r in changes(tmp_path, "r3")} == {"r2"}
    assert changes_path(tmp_path, "r3").exists()
    assert {(r["target_url"], r["status"]) for r in history(tmp_path)} == {(T1, "lost"), (T2, "live")}

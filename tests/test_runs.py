"""Run records: written atomically, read back with their status, killed runs read as
interrupted, listed by ``linkspider runs``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from linkspider.cli import main
from linkspider.runs import RunRecord, complete_runs, latest_run, read_runs, write_run_record
from linkspider.runs.exitcodes import ExitCode, outcome


def record(run_id: str, status: str = "complete", minutes_ago: float = 10, **kw) -> RunRecord:
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return RunRecord(run_id=run_id, output_dir="/x", crawl_date=f"{at:%Y-%m-%d}", started_at=at,
                     heartbeat_at=at, status=status, **kw)  # fmt: skip


def test_records_read_back_oldest_first_with_complete_and_latest(tmp_path: Path) -> None:
    write_run_record(tmp_path, record("b-run", minutes_ago=5))
    write_run_record(tmp_path, record("a-run", minutes_ago=50))
    write_run_record(tmp_path, record("c-run", "partial", minutes_ago=1))
    assert [r.run_id for r in read_runs(tmp_path)] == ["a-run", "b-run", "c-run"]
    assert complete_runs(tmp_path) == ["a-run", "b-run"]
    assert latest_run(tmp_path) == "b-run" and latest_run(tmp_path, status=None) == "c-run"
    assert list(tmp_path.glob("_staging/*/*")) == []  # no temporary file left behind


def test_running_record_with_a_dead_process_or_stale_heartbeat_reads_as_interrupted(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    write_run_record(tmp_path, record("dead-pid", "running", minutes_ago=0, pid=gone.pid))
    write_run_record(tmp_path, record("stale", "running", minutes_ago=1, host="elsewhere"))
    write_run_record(tmp_path, record("alive", "running", minutes_ago=0, host="elsewhere"))
    status = {r.run_id: r.status for r in read_runs(tmp_path)}
    assert status == {"dead-pid": "interrupted", "stale": "interrupted", "alive": "running"}


def test_outcome_maps_each_ending_to_a_distinct_exit_code() -> None:
    assert outcome("finished", 3, None) == ("complete", ExitCode.COMPLETE)
    assert outcome("closespider_pagecount", 3, None) == ("partial", ExitCode.ENDED_EARLY)
    assert outcome("finished", 0, None) == ("failed", ExitCode.NOTHING_FETCHED)
    assert outcome("output_failed", 3, "disk full") == ("failed", ExitCode.OUTPUT_FAILED)
    assert len({int(code) for code in ExitCode}) == len(ExitCode) == 7  # 6: damaged archives (extract)


def test_runs_command_lists_status_and_json(tmp_path: Path, capsys) -> None:
    write_run_record(tmp_path, record("good-run", pages=12, pages_ok=10, links=99, exit_code=0))
    write_run_record(tmp_path, record("killed-run", "running", minutes_ago=3, host="elsewhere"))
    assert main(["runs", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "good-run" in text and "complete" in text and "99" in text
    assert "interrupted" in text and "--resume killed-run" in text
    assert main(["runs", "--out", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert main(["runs", "--out", str(tmp_path), "--run", "killed-run"]) == 0
    assert main(["runs", "--out", str(tmp_path), "--run", "other"]) == 0
    assert capsys.readouterr().out.split() == ["interrupted", "none"]
    assert [(r["run_id"], r["status"]) for r in rows] == [
        ("good-run", "complete"), ("killed-run", "interrupted")]
    result = subprocess.run([sys.executable, "-m", "linkspider", "runs", "--out", str(tmp_path / "none")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0 and "no runs in" in result.stdout


def test_pages_failed_of_the_record_equals_the_failed_rows_of_the_pages_table(tmp_path: Path) -> None:
    """Failed means not answered with a page (status null, or an error: a response refused
    after the fact keeps its status). Over a world with link rot (404s, 500s, redirect loops,
    dropped connections, robots.txt), pages refused by DOWNLOAD_MAXSIZE (no status) and pages
    past the parse deadline (a 200 with an error), the record, the report and the table agree."""
    import duckdb

    from linkspider.runs import read_run_record
    from linkspider.web import LocalWebProcess, World, WorldConfig
    from tests.crawling import local_web_args, run_crawl, run_linkspider

    world = World(WorldConfig(seed=4, sites=4, link_rot=True))
    seeds = []  # the smallest page of each site (parsed at once, fetched whole)
    for seed in world.seeds():
        host = seed.split("/")[2]
        paths = [f"/page-{k}.html" for k in range(1, world.config.pages_per_site)]
        seeds.append(f"http://{host}" + min(paths, key=lambda p: len(world.respond(host, p).body)))
    with LocalWebProcess(world) as web:
        result = run_crawl(*seeds, *local_web_args(web.proxy_url, tmp_path),
                           "--run-id", "rot", "--external-hops", "1",
                           "-s", "DOWNLOAD_MAXSIZE=4500", "-s", "RETRY_TIMES=0",
                           "-s", "LINKSPIDER_PARSE_THREAD_BYTES=3500", "-s", "LINKSPIDER_PARSE_DEADLINE=0")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    pages, ok, failed, answered_with_error = duckdb.connect().execute(
        "SELECT count(*), count(*) FILTER (status BETWEEN 200 AND 299 AND error IS NULL), "
        "count(*) FILTER (status IS NULL OR error IS NOT NULL), "
        "count(*) FILTER (status IS NOT NULL AND error IS NOT NULL) "
        f"FROM read_parquet('{tmp_path}/pages/*/*/*.parquet')").fetchone()  # fmt: skip
    assert answered_with_error > 0 and failed > answered_with_error  # both kinds of failure
    record = read_run_record(tmp_path, "rot")
    assert (record.pages, record.pages_ok, record.pages_failed) == (pages, ok, failed)
    report = run_linkspider("report", "--out", str(tmp_path), "--run", "rot")
    assert f"pages: {pages} ({ok} 2xx, {failed} failed)" in report.stdout, report.stdout

"""``crawl --render``: the links a script adds, through real headless Chromium (Debian's) and the
real engine, against the scripted site of the local web (``linkspider.web.scripted``); the raw
rows unchanged; a page that never settles bounded; no Chromium process outliving the crawl."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from linkspider.discovery.seen_in import match_rendered
from linkspider.web import LocalWebProcess
from linkspider.web.scripted import (
    HOST,
    NEVER_RAW_LINKS,
    PRIVATE_SUBRESOURCE,
    ROBOTS_BLOCKED_LINK,
    SCRIPTED_LINKS,
    SPIN,
    ScriptedWeb,
)
from tests.browser import ensure_chromium
from tests.conftest import PROJECT_ROOT
from tests.crawling import read_table, run_linkspider, start_linkspider
from tests.marked_web import MarkedScriptedWeb

HOME = f"http://{HOST}/"
NEVER = f"http://{HOST}/never"
BUDGET = 5.0
#: The spinning page's crawl has a budget of its own: its tab burns a core until given up.
SPIN_BUDGET = 3.0
#: Columns a link row may differ in between two crawls of the same pages.
PER_RUN = {"run_id", "fetched_at", "seen_in", "run", "crawl_date"}


def crawl(web: LocalWebProcess, out: Path, run_id: str, *extra: str, seed: str = HOME,
          timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run one crawl of the scripted site through the local web (no --allow-private-addresses:
    the proxy is exempt, a private address of a page is not)."""
    args = [seed, "--proxy", web.proxy_url, "--out", str(out), "--run-id", run_id, "--no-throttle",
            "--concurrency", "8", "--log-level", "WARNING", "--quiet", *extra]  # fmt: skip
    return run_linkspider("crawl", *args, timeout=timeout)


@pytest.fixture(scope="module")
def web() -> LocalWebProcess:
    ensure_chromium()
    with LocalWebProcess(ScriptedWeb()) as served:
        yield served


@pytest.fixture(scope="module")
def crawls(web: LocalWebProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The crawls, side by side: raw only, rendered, rendered with a sample of 1 page, the page
    whose script never yields, and one stopped by SIGTERM while it renders."""
    root = tmp_path_factory.mktemp("render")
    render = ("--render", "-s", f"LINKSPIDER_RENDER_TIMEOUT={BUDGET}", "-s", "LINKSPIDER_RENDER_QUIET=0.25",
              "-s", "LINKSPIDER_RENDER_MAX_SUBRESOURCES=5")  # fmt: skip
    jobs = {"raw": (), "render-1": render, "sample": ("--render-sample", "1", *render[1:])}
    with ThreadPoolExecutor(len(jobs) + 2) as pool:
        stopped = pool.submit(stop_rendering_crawl, root / "sigterm")
        futures = {name: pool.submit(crawl, web, root / name, name, *extra) for name, extra in jobs.items()}
        spin = (*render, "-s", f"LINKSPIDER_RENDER_TIMEOUT={SPIN_BUDGET}", "--max-depth", "0")
        futures["spin"] = pool.submit(crawl, web, root / "spin", "spin", *spin, seed=SPIN)
        results: dict[str, tuple] = {name: (future.result(), root / name) for name, future in futures.items()}
        for result, _ in results.values():
            assert result.returncode == 0, result.stderr[-3000:]
        results["sigterm"], results["sigterm_out"] = stopped.result(), root / "sigterm"
    return results


def links(out: Path) -> list[dict]:
    return read_table(out, "links").to_pylist()


def pages(out: Path) -> dict[str, dict]:
    return {row["url"]: row for row in read_table(out, "pages").to_pylist()}


def test_matching_counts_a_link_twice_in_the_raw_html_once_per_rendered_copy() -> None:
    raw = [("a", "/x"), ("a", "/x"), ("canonical", "/x"), ("a", "/y")]
    rendered = [("a", "/x"), ("a", "/js"), ("canonical", "/x"), ("a", "/js")]
    assert match_rendered(raw, rendered) == (["both", "raw", "both", "raw"], [1, 3])


def test_with_render_the_scripted_navigation_is_there_seen_in_rendered(crawls: dict) -> None:
    _, out = crawls["render-1"]
    home = [r for r in links(out) if r["source_url"] == HOME]
    assert sorted(r["target_url"] for r in home if r["seen_in"] == "rendered") == sorted(SCRIPTED_LINKS)
    assert {r["target_url"]: r["seen_in"] for r in home if r["seen_in"] != "rendered"} == {
        f"http://{HOST}/about": "both", NEVER: "both"}
    assert {r["region"] for r in home if r["seen_in"] == "rendered"} == {"nav"}
    fetched = pages(out)
    assert all(fetched[url]["status"] == 200 for url in SCRIPTED_LINKS)  # and followed
    assert fetched[HOME]["render_status"] == "settled", fetched[HOME]
    assert fetched[HOME]["rendered_links"] == 4


def test_without_render_the_scripted_links_are_absent_and_every_row_is_raw(crawls: dict) -> None:
    _, out = crawls["raw"]
    rows = links(out)
    assert not {r["target_url"] for r in rows} & set(SCRIPTED_LINKS)
    assert {r["seen_in"] for r in rows} == {"raw"}
    assert {row["render_status"] for row in pages(out).values()} == {None}


def test_the_raw_links_are_the_same_rows_either_way(crawls: dict) -> None:
    def comparable(rows: list[dict], sources: set[str]) -> list[tuple]:
        return sorted(tuple(sorted((k, repr(v)) for k, v in r.items() if k not in PER_RUN))
                      for r in rows if r["source_url"] in sources and r["seen_in"] != "rendered")  # fmt: skip

    plain = links(crawls["raw"][1])
    sources = {r["source_url"] for r in plain}
    assert sources >= {HOME, NEVER}
    assert comparable(links(crawls["render-1"][1]), sources) == comparable(plain, sources)
    plain_pages, rendered_pages = pages(crawls["raw"][1]), pages(crawls["render-1"][1])
    for url in (HOME, NEVER):
        assert rendered_pages[url]["links_count"] == plain_pages[url]["links_count"]


def test_subresources_obey_robots_txt_and_the_private_address_rule(crawls: dict) -> None:
    _, out = crawls["render-1"]
    assert ROBOTS_BLOCKED_LINK not in {r["target_url"] for r in links(out)}
    home = pages(out)[HOME]
    assert "robots_txt 1" in home["note"] and "private_address 1" in home["note"], home["note"]
    assert home["render_requests"] == 2  # nav.js, nav.json; track.js and the pixel refused
    assert PRIVATE_SUBRESOURCE not in {r["url"] for r in pages(out).values()}


def test_a_page_that_never_settles_is_bounded_and_the_crawl_goes_on(crawls: dict) -> None:
    _, out = crawls["render-1"]
    never = pages(out)[NEVER]
    assert never["render_status"] == "timeout"
    assert BUDGET * 1000 <= never["render_ms"] < BUDGET * 1000 + 3000
    # its location loop went nowhere, its fetch loop hit the subresource cap
    assert re.search(r"navigation \d+", never["note"]) and "subresource_cap" in never["note"], never["note"]
    assert never["render_requests"] == 5
    assert [(r["target_url"], r["seen_in"]) for r in links(out) if r["source_url"] == NEVER] == [
        (url, "both") for url in NEVER_RAW_LINKS]
    assert len(pages(out)) == 7  # home, about, never and the four scripted pages


def test_a_page_whose_script_never_yields_is_bounded_and_keeps_its_raw_row(crawls: dict) -> None:
    spin = pages(crawls["spin"][1])[SPIN]
    assert spin["status"] == 200 and spin["render_status"] == "failed"
    assert "RenderTimeout" in spin["note"] and spin["render_ms"] < SPIN_BUDGET * 1000 + 3000, spin


def test_render_sample_renders_n_pages_per_site_and_reports_what_rendering_added(crawls: dict) -> None:
    result, out = crawls["sample"]
    rendered = {url: row["render_status"] for url, row in pages(out).items() if row["render_status"]}
    assert rendered == {HOME: "settled"}
    assert f"{HOST}: 4 links added by rendering (1 page rendered)" in result.stdout, result.stdout
    (record,) = read_table(out, "runs").to_pylist()
    assert record["render_sites"] == [{"site": HOST, "pages_rendered": 1, "links_added": 4}]
    assert read_table(crawls["raw"][1], "runs").to_pylist()[0]["render_sites"] is None


def test_the_manuals_query_lists_the_links_only_javascript_shows(crawls: dict) -> None:
    page = (PROJECT_ROOT / "docs" / "rendering.md").read_text(encoding="utf-8")
    (query,) = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', page, re.S) if "seen_in" in q]
    out = crawls["render-1"][1]
    rows = duckdb.connect().execute(query.replace("output/", f"{out}/")).fetchall()
    assert [(source, target) for source, target, *_ in rows] == [(HOME, url) for url in sorted(SCRIPTED_LINKS)]


def _processes() -> dict[int, tuple[int, str, str]]:
    """Return every process: pid -> (parent pid, start time in ticks, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[1]), fields[19], cmdline)
    return found


def _chromium_descendants(root: int) -> set[tuple[int, str]]:
    """Return (pid, start time) of the Chromium processes whose parent chain leads to ``root``."""
    processes = _processes()
    result = set()
    for pid, (_, started, cmdline) in processes.items():
        if "chrom" not in cmdline:
            continue
        parent = pid
        while parent in processes and parent not in (0, 1):
            parent = processes[parent][0]
            if parent == root:
                result.add((pid, started))
                break
    return result


def stop_rendering_crawl(out: Path) -> tuple[set, set, str]:
    """Start a crawl rendering the page that never settles (60 s budget) through a local web of
    its own, SIGTERM it once that page's script runs in its Chromium (the script's first
    ``/poll`` reached the web), and return the Chromium processes seen under it and the
    processes alive after it exited, as (pid, start time), and its stderr."""
    marker = out.parent / "sigterm-page-scripted"
    stderr = out.parent / "sigterm-stderr.log"
    with LocalWebProcess(MarkedScriptedWeb(marker)) as web:
        args = [NEVER, "--proxy", web.proxy_url, "--out", str(out), "--run-id", "term", "--quiet",
                "--log-level", "WARNING", "--max-depth", "0", "--render", "-s", "LINKSPIDER_RENDER_TIMEOUT=60"]  # fmt: skip
        crawl_process = start_linkspider("crawl", *args, stderr=stderr)
        try:
            seen: set[tuple[int, str]] = set()
            started = time.monotonic()
            while time.monotonic() < started + 120 and not marker.exists() and crawl_process.poll() is None:
                seen |= _chromium_descendants(crawl_process.pid)  # the browser and its renderer
                time.sleep(0.1)
            seen |= _chromium_descendants(crawl_process.pid)  # the page is rendering now
            crawl_process.send_signal(signal.SIGTERM)
            crawl_process.wait(timeout=30)
            rendering = "the page was rendering" if marker.exists() else "the page's script never ran"
            message = f"after {time.monotonic() - started:.0f} s ({rendering}), exit {crawl_process.returncode}: "
        finally:
            if crawl_process.poll() is None:
                crawl_process.kill()
                crawl_process.wait()
    time.sleep(0.5)
    return seen, {(pid, started) for pid, (_, started, _) in _processes().items()}, message + stderr.read_text()


def test_no_chromium_process_outlives_a_crawl_stopped_by_sigterm(crawls: dict) -> None:
    seen, alive, stderr = crawls["sigterm"]
    assert seen, f"the rendering crawl started no Chromium: {stderr[:2000]}"
    assert not seen & alive, f"Chromium outlived the crawl: {sorted(seen & alive)}"
    # the page being rendered is not lost: its row says the rendering was cut short
    never = pages(crawls["sigterm_out"])[NEVER]
    assert never["status"] == 200 and "cut short" in never["note"], never


ORPHAN_SCRIPT = """
import os, subprocess, sys, time
from linkspider.discovery.browser_processes import adopt_orphans, descendants, end_descendants
assert adopt_orphans()
# a shell that leaves a sleeping child behind and exits: the sleep is an orphan, as a Chromium
# helper whose browser exited first
out = subprocess.run(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True).stdout
orphan = int(out)
time.sleep(0.2)
assert orphan in descendants(os.getpid()), "the orphan was not handed to its subreaper"
killed = end_descendants(grace=0.5)
print(killed, os.path.exists(f"/proc/{orphan}"))
"""


def test_a_rendering_crawl_ends_the_processes_its_browser_leaves_even_orphaned() -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", ORPHAN_SCRIPT], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]  # killed after the grace, and gone

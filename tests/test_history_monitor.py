"""The monitor's pure parts: reading the expected-links file, and judging found links."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkspider.history.monitor import Expected, MonitorError, MonitorExit, Verdict, exit_code, judge, read_expected

SOURCE = "http://blog.example/post"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expected.csv"
    path.write_text(text, encoding="utf-8")
    return path


def found(target: str = "http://shop.example/", anchor: str = "Great shop", follow: bool = True,
          reason: str = "followed", rel: list[str] | None = None) -> dict:  # fmt: skip
    return {"source_url": SOURCE, "target_url": target, "target_host": target.split("/")[2],
            "target_domain": "shop.example", "anchor_text": anchor, "rel": rel or [], "follow": follow,
            "follow_reason": reason, "position": 0}  # fmt: skip


def test_header_names_the_columns_in_any_order(tmp_path: Path) -> None:
    path = write(tmp_path, "follow,target,source_url,anchor\nno,HTTP://Shop.Example/#x,blog.example/post,Hi\n")
    assert read_expected(path) == [Expected(SOURCE, "http://shop.example/", "Hi", False)]


def test_rows_without_header_are_source_target_anchor_follow(tmp_path: Path) -> None:
    path = write(tmp_path, f"{SOURCE},Shop.Example\n{SOURCE},http://shop.example/a,,true\n")
    assert read_expected(path) == [Expected(SOURCE, "shop.example"),
                                   Expected(SOURCE, "http://shop.example/a", None, True)]


@pytest.mark.parametrize(("text", "message"), [
    ("", "has no expected links"),
    (f"{SOURCE},\n", "line 1: no target"),
    (f"source_url,target,follow\n{SOURCE},shop.example,maybe\n", "line 2: follow must be true or false"),
    ("source_url,anchor\nhttp://a.example/,x\n", "must name a source and a target"),
    ("ftp://a.example/,shop.example\n", r"line 1: source .ftp://a.example/. is not an http\(s\) URL"),
])  # fmt: skip
def test_bad_expected_file_is_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MonitorError, match=message):
        read_expected(write(tmp_path, text))


def verdict_of(want: Expected, links: list[dict], state: str = "ok", targets: dict | None = None) -> Verdict:
    (verdict,) = judge([want], {SOURCE: state}, {SOURCE: links}, targets or {})
    return verdict


def test_link_on_the_page_as_expected_is_ok() -> None:
    v = verdict_of(Expected(SOURCE, "shop.example", "great  SHOP", True), [found()])
    assert (v.verdict, v.reason, v.found_target) == ("ok", None, "http://shop.example/")


def test_page_that_failed_makes_the_link_missing_with_its_reason() -> None:
    v = verdict_of(Expected(SOURCE, "shop.example"), [], state="page_not_found")
    assert (v.verdict, v.reason) == ("missing", "page_not_found")


def test_page_without_the_link_is_missing_link_removed() -> None:
    v = verdict_of(Expected(SOURCE, "http://shop.example/other"), [found()])
    assert (v.verdict, v.reason) == ("missing", "link_removed")


def test_nofollow_anchor_and_target_problems_degrade() -> None:
    link = found(anchor="Other", follow=False, reason="rel_sponsored", rel=["sponsored"])
    target = {"url": "http://shop.example/", "final_url": "http://shop.example/new", "status": 200, "hops": 1,
              "error": None}  # fmt: skip
    v = verdict_of(Expected(SOURCE, "shop.example", "Great shop"), [link], targets={link["target_url"]: target})
    assert (v.verdict, v.reason) == ("degraded", "anchor_differs,sponsored,target_redirects")


def test_nofollow_expected_is_not_degraded() -> None:
    v = verdict_of(Expected(SOURCE, "shop.example", None, False), [found(follow=False, reason="rel_nofollow")])
    assert v.verdict == "ok"


def test_the_best_of_several_matching_links_is_judged() -> None:
    links = [found(follow=False, reason="rel_nofollow"), found(target="http://shop.example/b")]
    v = verdict_of(Expected(SOURCE, "shop.example"), links)
    assert (v.verdict, v.found_target) == ("ok", "http://shop.example/b")


def test_exit_code_says_missing_over_degraded_over_ok() -> None:
    def v(kind: str) -> Verdict:
        return Verdict(SOURCE, "x", None, None, kind)

    assert exit_code([v("ok")]) == MonitorExit.OK == 0
    assert exit_code([v("ok"), v("degraded")]) == MonitorExit.DEGRADED == 1
    assert exit_code([v("degraded"), v("missing")]) == MonitorExit.MISSING == 3


@pytest.mark.parametrize("breakage", ["unwritable_output", "bad_setting"])
def test_monitor_exits_4_when_its_crawl_wrote_nothing(tmp_path: Path, breakage: str) -> None:
    """Nothing to judge: exit 4 with one clear message, no verdicts, no monitor table."""
    from tests.crawling import run_linkspider

    expected = write(tmp_path, "http://127.0.0.1:9/post,shop.example\n")
    out = tmp_path / "out"
    args = ["monitor", str(expected), "--out", str(out), "--allow-private-addresses", "-s", "RETRY_TIMES=0"]
    if breakage == "unwritable_output":  # the crawl cannot make its partition directories
        (out / "_monitor_fetch").mkdir(parents=True)
        (out / "_monitor_fetch" / "pages").write_text("not a directory")
    else:
        args += ["-s", "CONCURRENT_REQUESTS=many"]
    result = run_linkspider(*args)
    assert result.returncode == MonitorExit.FETCH_FAILED == 4, result.stderr
    assert "linkspider monitor: the monitor's crawl of 1 pages wrote nothing" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (out / "monitor").exists()


def test_transient_rule_makes_a_first_failure_unknown() -> None:
    from linkspider.history.monitor import apply_transient_rule

    failing = Verdict(SOURCE, "shop.example", None, None, "missing", "page_error")
    removed = Verdict(SOURCE, "other.example", None, None, "missing", "link_removed")
    streaks = {(SOURCE, "shop.example"): 0, (SOURCE, "other.example"): 0}
    assert [v.verdict for v in apply_transient_rule([failing, removed], streaks, 2)] == ["unknown", "missing"]
    assert apply_transient_rule([failing], {(SOURCE, "shop.example"): 1}, 2)[0].verdict == "missing"
    assert apply_transient_rule([failing], {}, 1)[0].verdict == "missing"
    assert exit_code(apply_transient_rule([failing], {}, 2)) == MonitorExit.DEGRADED


class FlakySource:
    """What the source page answers: 500 while ``failing``, else the expected link."""

    failing = True


def test_monitor_waits_transient_runs_before_a_failing_page_is_missing(tmp_path: Path) -> None:
    """As the history does: a 5xx or unreachable source page is unknown (exit 1) until it has
    failed LINKSPIDER_HISTORY_TRANSIENT_RUNS (2) monitor runs in a row, then missing (exit 3)."""
    from tests.crawling import LoopbackHandler, run_linkspider, serving

    class Source(LoopbackHandler):
        def answer(self) -> None:
            if self.path == "/robots.txt":
                self.reply(404)
            elif self.path == "/post" and FlakySource.failing:
                self.reply(500, b"down for maintenance")
            else:
                self.reply(200, f"<a href='{self.server.url}shop'>Great shop</a>".encode())

    out = tmp_path / "out"
    results = []
    with serving(Source) as server:
        expected = write(tmp_path, f"{server.url}post,{server.url}shop\n")
        args = ("monitor", str(expected), "--out", str(out), "--allow-private-addresses", "--no-throttle",
                "-s", "RETRY_TIMES=0")  # fmt: skip
        for failing in (True, True, False, True):
            FlakySource.failing = failing
            results.append(run_linkspider(*args))
    codes = [r.returncode for r in results]
    assert codes == [MonitorExit.DEGRADED, MonitorExit.MISSING, MonitorExit.OK, MonitorExit.DEGRADED], [
        r.stdout + r.stderr for r in results]
    assert "unknown   page_error" in results[0].stdout and "missing   page_error" in results[1].stdout
    assert "1 unknown" in results[3].stdout  # the ok run in between ended the streak

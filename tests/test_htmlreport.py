"""The HTML report in headless Chromium: no request leaves the file, every chart is drawn, the
figures shown equal DuckDB queries (written here, independently of the report's) on the same
dataset: two crawls of the world with link rot (history), target checks, analysis tables."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linkspider.web.server import LocalWebProcess
from linkspider.web.world import World, WorldConfig
from tests.browser import Browser, ensure_chromium
from tests.crawling import local_web_args, run_crawl, run_linkspider

RUNS = ("rot-e0", "rot-e1")
BACKLINK = ("is_external AND link_kind IN ('a', 'area', 'image') AND target_scheme IN ('http', 'https')")


def linkspider(*args: str) -> subprocess.CompletedProcess[str]:
    return run_linkspider(*args, timeout=300)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two complete crawls (epochs 0 and 1) of the world with link rot; targets checked; the
    last run analyzed by ``linkspider analyze``."""
    out = tmp_path_factory.mktemp("report")
    for epoch, run_id in enumerate(RUNS):
        world = World(WorldConfig(sites=8, link_rot=True, epoch=epoch))
        with LocalWebProcess(world) as web:
            extra = ["--check-targets"] if epoch == len(RUNS) - 1 else []
            result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out, "--run-id", run_id,
                                                                "--quiet", *extra))  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
    analyzed = linkspider("analyze", "--out", str(out), "--run", RUNS[-1], "--quiet")
    assert analyzed.returncode == 0, analyzed.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def report(dataset: Path) -> tuple[Path, dict]:
    html, figures = dataset / "report.html", dataset / "report.json"
    result = linkspider("report", "--out", str(dataset), "--html", str(html), "--json", str(figures), "--limit", "20")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"report of run {RUNS[-1]} written to {html}" in result.stdout
    return html, json.loads(figures.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page(report: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory):
    html, _ = report
    with Browser(ensure_chromium()) as browser:
        tab = browser.open_offline(html)
        shot = os.environ.get("LINKSPIDER_REPORT_SCREENSHOT")
        tab.screenshot(Path(shot) if shot else tmp_path_factory.mktemp("shot") / "report.png")
        yield tab


def sql(dataset: Path, query: str) -> list[tuple]:
    con = duckdb.connect()
    for table in ("links", "pages"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{dataset}/{table}/*/run={RUNS[-1]}/*.parquet')")
    con.execute(f"CREATE VIEW targets AS SELECT * FROM read_parquet('{dataset}/targets/run={RUNS[-1]}/*.parquet')")
    for table in ("anchors", "domain_rank", "page_rank", "domain_signals", "link_scores"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM '{dataset}/analysis/run={RUNS[-1]}/{table}.parquet'")
    return con.execute(query).fetchall()


def table_rows(page, name: str) -> list[dict[str, str]]:
    """Return the rows of the table ``data-table=name`` as {column: raw value} dicts."""
    return page.evaluate(f"""Array.from(document.querySelectorAll('table[data-table="{name}"] tbody tr')).map(
        tr => Object.fromEntries(Array.from(tr.cells).map(td => [td.dataset.col, td.dataset.v])))""")


def table_total(page, name: str) -> int:
    return int(page.evaluate(f"document.querySelector('[data-table=\"{name}\"]').dataset.total"))


# -- the file in the browser ---------------------------------------------------------------


def test_no_request_leaves_the_file(page, report) -> None:
    html, _ = report
    assert set(page.requests()) == {html.resolve().as_uri()}
    assert page.console_errors() == []


def test_a_page_that_asks_for_the_network_is_caught(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<img src="http://example.com/x.png"><script>fetch("https://example.org/a")</script>')
    with Browser(ensure_chromium()) as browser:
        tab = browser.open_offline(leaky)
        assert {"http://example.com/x.png", "https://example.org/a"} <= set(tab.requests())


def test_every_chart_is_drawn_with_its_marks(page, report) -> None:
    _, figures = report
    charts = page.evaluate("""Array.from(document.querySelectorAll('figure.chart')).map(f => {
        const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
        const bars = Array.from(f.querySelectorAll('.mark-rect.role-mark path')).filter(p => p.getBBox().width > 0 && p.getBBox().height > 0);
        return {name: f.dataset.chart, width: box.width, height: box.height, bars: bars.length,
                lines: f.querySelectorAll('.mark-line.role-mark path').length, points: f.querySelectorAll('.mark-symbol.role-mark path').length};
    })""")
    by_name = {c["name"]: c for c in charts}
    assert set(by_name) == {"follow", "anchors", "regions", "link_scores", "targets", "history_domains",
                            "history_links", "history_changes", "relevance", "equity", "equity_by_domain"}  # fmt: skip
    assert all(c["width"] > 100 and c["height"] > 50 for c in charts), charts
    assert by_name["follow"]["bars"] == len(figures["follow"]["reasons"])
    assert by_name["anchors"]["bars"] == len(figures["anchors"]["classes"])
    assert by_name["targets"]["bars"] == len(figures["targets"]["outcomes"])
    assert by_name["link_scores"]["bars"] == sum(1 for b in figures["link_scores"]["bins"] if b["pages"])
    assert by_name["regions"]["bars"] >= len(figures["regions"])
    scores = figures["backlinks"]
    assert by_name["relevance"]["bars"] == sum(1 for b in scores["relevance_bins"] if b["backlinks"])
    assert by_name["equity"]["bars"] == len(scores["equity_decades"]) > 0
    assert by_name["equity_by_domain"]["bars"] == sum(1 for r in scores["equity_by_domain"]["rows"] if r["equity"]) > 0
    for name in ("history_domains", "history_links"):
        assert by_name[name]["lines"] == 1 and by_name[name]["points"] == len(RUNS)
    assert by_name["history_changes"]["bars"] >= 1


def test_overview_figures_equal_duckdb(page, dataset: Path) -> None:
    shown = {k: float(v) for k, v in page.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('[data-figure]')).map(e => [e.dataset.figure, e.dataset.value]))"
    ).items()}  # fmt: skip
    ((pages, ok),) = sql(dataset, "SELECT count(*), count(*) FILTER (status BETWEEN 200 AND 299 AND error IS NULL) FROM pages")
    ((links,),) = sql(dataset, "SELECT count(*) FROM links")
    ((backlinks, domains, followed),) = sql(dataset, f"SELECT count(*), count(DISTINCT referring_domain), "
                                                     f"count(*) FILTER (follow) FROM links WHERE {BACKLINK}")  # fmt: skip
    assert shown["pages"] == pages and shown["pages_ok"] == ok and shown["links"] == links
    assert shown["backlinks"] == backlinks and shown["referring_domains"] == domains
    assert shown["followed_backlinks"] == followed
    assert shown["followed_share"] == pytest.approx(followed / backlinks)
    text = page.evaluate("document.querySelector('[data-figure=backlinks] .value').textContent")
    assert text == f"{backlinks:,}"


def test_follow_split_and_regions_equal_duckdb(page, dataset: Path) -> None:
    split = {r["reason"]: int(r["backlinks"]) for r in table_rows(page, "follow")}
    assert split == dict(sql(dataset, f"SELECT follow_reason, count(*) FROM links WHERE {BACKLINK} GROUP BY 1"))
    regions = {r["region"]: int(r["backlinks"]) for r in table_rows(page, "regions")}
    assert regions == dict(sql(dataset, f"SELECT coalesce(region, 'none'), count(*) FROM links WHERE {BACKLINK} GROUP BY 1"))


def test_referring_domains_with_rank_and_flags_equal_duckdb(page, dataset: Path) -> None:
    rows = table_rows(page, "referring_domains")
    expected = sql(dataset, f"SELECT referring_domain, count(*), count(DISTINCT source_url) FROM links "
                            f"WHERE {BACKLINK} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20")  # fmt: skip
    assert [(r["referring_domain"], int(r["backlinks"]), int(r["linking_pages"])) for r in rows] == expected
    ranks = dict(sql(dataset, "SELECT domain, row_number() OVER (ORDER BY pagerank DESC, domain) FROM domain_rank"))
    assert all(int(r["rank"]) == ranks[r["referring_domain"]] for r in rows)
    flagged = {d for d, flags in sql(dataset, "SELECT referring_domain, flags FROM domain_signals") if flags}
    shown = {r["referring_domain"] for r in rows if int(r["flags"]) > 0}
    assert shown == flagged & {r["referring_domain"] for r in rows}
    assert "agency-7.gov.uk" in shown  # the world's link directory (linkspider.web.directory)
    hovers = page.evaluate("""Array.from(document.querySelectorAll('table[data-table=referring_domains] tbody tr')).map(
        tr => [tr.cells[0].dataset.v, Array.from(tr.querySelectorAll('.flag')).map(e => e.title)])""")
    signals_file = dataset / "analysis" / f"run={RUNS[-1]}" / "domain_signals.parquet"
    fences = json.loads(pq.read_schema(signals_file).metadata[b"linkspider.analysis.signal_fences"])
    signals = {r["referring_domain"]: r for r in pq.read_table(signals_file).to_pylist()}
    checked = 0
    for domain, titles in hovers:
        for title in titles:  # "signal = value, beyond the Tukey fence F"
            name, _, rest = title.partition(" = ")
            value, _, fence = rest.partition(", beyond the Tukey fence ")
            assert name in signals[domain]["flags"]
            assert float(value) == pytest.approx(signals[domain][name], rel=1e-2, abs=1e-9)
            assert float(fence) == pytest.approx(fences[name], rel=1e-2, abs=1e-9)
            checked += 1
    assert checked == sum(len(signals[d]["flags"]) for d, _ in hovers)


def test_anchor_classes_and_link_scores_equal_duckdb(page, dataset: Path) -> None:
    classes = {r["anchor_class"]: int(r["backlinks"]) for r in table_rows(page, "anchor_classes")}
    assert classes == dict(sql(dataset, "SELECT anchor_class, sum(backlinks)::BIGINT FROM anchors GROUP BY 1"))
    bins = {int(r["bin_start"]): int(r["pages"]) for r in table_rows(page, "link_score_bins")}
    expected = dict(sql(dataset, "SELECT least(floor(link_score / 10), 9)::INT * 10, count(*) FROM page_rank GROUP BY 1"))
    assert bins == {b: expected.get(b, 0) for b in range(0, 100, 10)}
    ((pages,),) = sql(dataset, "SELECT count(*) FROM page_rank")
    assert table_total(page, "link_scores") == pages > len(table_rows(page, "link_scores"))


def test_top_linked_pages_equal_duckdb(page, dataset: Path) -> None:
    rows = table_rows(page, "linked_pages")
    expected = sql(dataset, f"SELECT target_url, count(DISTINCT referring_domain), count(*) FROM links WHERE {BACKLINK} "
                            "GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 20")  # fmt: skip
    assert [(r["target_url"], int(r["referring_domains"]), int(r["backlinks"])) for r in rows] == expected
    ((total,),) = sql(dataset, f"SELECT count(DISTINCT target_url) FROM links WHERE {BACKLINK}")
    assert table_total(page, "linked_pages") == total > len(rows)
    caption = page.evaluate("document.querySelector('table[data-table=linked_pages] caption').textContent")
    assert caption.startswith(f"20 of {total:,} shown")


def test_broken_links_equal_duckdb(page, dataset: Path) -> None:
    internal = sql(dataset, """SELECT DISTINCT l.target_url FROM links l JOIN pages p ON p.url = l.target_url
        WHERE NOT l.is_external AND l.target_scheme = 'http' AND l.link_kind IN ('a', 'area', 'image', 'iframe')
          AND (p.status >= 400 OR (p.status IS NULL AND p.error NOT LIKE '%robots.txt%'))""")
    assert table_total(page, "broken_internal") == len(internal) > 0
    shown = {r["url"] for r in table_rows(page, "broken_internal")}
    assert shown <= {u for (u,) in internal}
    assert any("/discontinued-" in u for u in shown)
    broken = sql(dataset, "SELECT url FROM targets WHERE outcome = 'broken' AND url IN "
                          "(SELECT target_url FROM links WHERE is_external)")  # fmt: skip
    assert table_total(page, "broken_external") == len(broken) > 0
    first = table_rows(page, "broken_external")[0]
    ((pages_linking,),) = sql(dataset, f"SELECT count(DISTINCT source_url) FROM links WHERE is_external "
                                       f"AND target_url = '{first['url']}'")  # fmt: skip
    assert int(first["linking_pages"]) == pages_linking
    redirected = sql(dataset, "SELECT url FROM targets WHERE outcome = 'redirected' AND url IN "
                              "(SELECT target_url FROM links WHERE is_external)")  # fmt: skip
    assert table_total(page, "redirected_external") == len(redirected)


def test_history_over_runs_equals_duckdb(page, dataset: Path) -> None:
    rows = table_rows(page, "history_runs")
    con = duckdb.connect()
    expected = []
    for run in RUNS:
        ((links, domains),) = con.execute(
            f"SELECT count(*), count(DISTINCT referring_domain) FROM read_parquet('{dataset}/links/*/run={run}/*.parquet') "
            f"WHERE {BACKLINK}").fetchall()  # fmt: skip
        expected.append((run, links, domains))
    assert [(r["run_id"], int(r["backlinks"]), int(r["referring_domains"])) for r in rows] == expected
    changes_file = f"'{dataset}/link_changes/run={RUNS[-1]}/link_changes.parquet'"
    external = "target_domain IS NOT NULL AND target_domain <> coalesce(referring_domain, '')"
    changes = dict(con.execute(f"SELECT change, count(*) FROM {changes_file} WHERE {external} GROUP BY 1").fetchall())
    assert int(rows[-1]["new"]) == changes.get("new", 0) and int(rows[-1]["lost"]) == changes.get("lost", 0)
    assert changes.get("lost", 0) > 0
    reasons = {r["reason"]: int(r["links"]) for r in table_rows(page, "lost_reasons")}
    assert reasons == dict(con.execute(f"SELECT coalesce(reason, 'unknown'), count(*) FROM {changes_file} "
                                       f"WHERE change = 'lost' AND {external} GROUP BY 1").fetchall())


def test_json_has_the_numbers_the_page_shows(page, report) -> None:
    _, figures = report
    assert float(page.evaluate("document.querySelector('[data-figure=backlinks]').dataset.value")) == \
        figures["overview"]["backlinks"]  # fmt: skip
    assert [r["referring_domain"] for r in table_rows(page, "referring_domains")] == \
        [r["referring_domain"] for r in figures["referring_domains"]["rows"]]  # fmt: skip
    assert table_total(page, "broken_external") == figures["targets"]["broken"]["total"]


def test_a_click_on_a_header_sorts_the_table(page) -> None:
    order = page.evaluate("""(() => {
        const th = document.querySelectorAll('table[data-table=referring_domains] th')[0];
        th.click();
        const first = Array.from(document.querySelectorAll('table[data-table=referring_domains] tbody tr td:first-child')).map(td => td.dataset.v);
        th.click();
        const second = Array.from(document.querySelectorAll('table[data-table=referring_domains] tbody tr td:first-child')).map(td => td.dataset.v);
        return [first, second];
    })()""")
    descending, ascending = order
    assert descending == sorted(descending, reverse=True) and ascending == sorted(ascending)
    assert len(ascending) > 1


# -- the backlinks explorer and the scores of link_scores ---------------------------------

#: Every backlink with its link_scores row (independent of the report's SQL).
SCORED = (f"(SELECT l.*, s.equity, s.relevance, s.relevance_basis, s.site_relevance FROM (SELECT * FROM links WHERE {BACKLINK}) AS l "
          "LEFT JOIN link_scores AS s ON s.source_url = l.source_url AND s.target_url = l.target_url "
          "AND s.position = l.position)")  # fmt: skip


def explorer(page, script: str = "") -> dict:
    """Clear the explorer's filters, show 1,000 rows a page, run ``script`` (may await), and
    return its state and the rows it shows ({column: raw value})."""
    return page.evaluate(f"""(async () => {{
        const root = document.getElementById('backlinks-explorer');
        root.querySelector('[data-action=clear]').click();
        const size = root.querySelector('select[data-action=size]');
        size.value = '1000'; size.dispatchEvent(new Event('change'));
        {script}
        await new Promise(r => setTimeout(r, 300));  // text boxes filter after a pause
        return {{matched: +root.dataset.matched, rows: +root.dataset.rows, total: +root.dataset.total,
                 page: +root.dataset.page, status: root.querySelector('.explorer-status').textContent,
                 shown: Array.from(root.querySelectorAll('tbody tr')).map(tr => Object.fromEntries(
                     Array.from(tr.cells).map(td => [td.dataset.col, td.dataset.v])))}};
    }})()""")


def test_the_explorer_lists_every_backlink(page, dataset: Path) -> None:
    ((backlinks,),) = sql(dataset, f"SELECT count(*) FROM links WHERE {BACKLINK}")
    state = explorer(page)
    assert state["rows"] == state["total"] == state["matched"] == backlinks > 50
    assert len(state["shown"]) == min(backlinks, 1000)
    assert state["status"].startswith(f"{backlinks:,} of {backlinks:,} backlinks")
    columns = set(state["shown"][0])
    assert {"referring_domain", "source_url", "anchor_text", "follow_reason", "region", "relevance",
            "relevance_terms", "equity", "source_language"} <= columns  # fmt: skip
    shown = sorted((r["source_url"], r["target_url"]) for r in state["shown"])
    assert shown == sorted(sql(dataset, f"SELECT source_url, target_url FROM links WHERE {BACKLINK}"))


def test_filtering_the_explorer_by_a_referring_domain_shows_only_its_rows(page, dataset: Path) -> None:
    # the second-largest referring domain: neither all rows nor a handful
    ((domain, backlinks),) = sql(dataset, f"SELECT referring_domain, count(*) FROM links WHERE {BACKLINK} "
                                          "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1 OFFSET 1")  # fmt: skip
    state = explorer(page, f"""const f = root.querySelector('[data-filter=referring_domain]');
        f.value = '{domain}'; f.dispatchEvent(new Event('change'));""")
    assert state["matched"] == backlinks == len(state["shown"]) < state["rows"]
    assert {r["referring_domain"] for r in state["shown"]} == {domain}
    assert state["status"].startswith(f"{backlinks:,} of {state['rows']:,} backlinks match")


def test_filtering_the_explorer_by_text_and_by_number_equals_duckdb(page, dataset: Path) -> None:
    state = explorer(page, """const f = root.querySelector('[data-filter=anchor_text]');
        f.value = 'logo'; f.dispatchEvent(new Event('input'));""")
    ((anchors,),) = sql(dataset, f"SELECT count(*) FROM links WHERE {BACKLINK} AND lower(anchor_text) LIKE '%logo%'")
    assert state["matched"] == anchors == len(state["shown"]) > 0
    state = explorer(page, """const f = root.querySelector('[data-filter=relevance]');
        f.value = '>=0.3'; f.dispatchEvent(new Event('input'));""")
    ((relevant,),) = sql(dataset, f"SELECT count(*) FROM {SCORED} WHERE relevance >= 0.3")
    assert state["matched"] == relevant > 0
    assert all(float(r["relevance"]) >= 0.3 for r in state["shown"])
    state = explorer(page, """const f = root.querySelector('[data-filter=relevance]');
        f.value = 'none'; f.dispatchEvent(new Event('input'));""")
    ((unknown,),) = sql(dataset, f"SELECT count(*) FROM {SCORED} WHERE relevance IS NULL")
    assert state["matched"] == unknown > 0
    state = explorer(page, """const f = root.querySelector('[data-filter=relevance_basis]');
        f.value = '\\u0000'; f.dispatchEvent(new Event('change'));""")  # the list's "(none)"
    ((no_basis,),) = sql(dataset, f"SELECT count(*) FROM {SCORED} WHERE relevance_basis IS NULL")
    assert state["matched"] == no_basis == unknown


def test_sorting_the_explorer_by_equity_orders_its_rows(page, dataset: Path) -> None:
    click = "root.querySelector('th[data-key=equity]').click();"
    direction = "document.querySelector('#backlinks-explorer th[data-key=equity]').dataset.dir"
    first = explorer(page, click)
    first_direction = page.evaluate(direction)
    second = explorer(page, click)
    assert (first_direction, page.evaluate(direction)) == ("desc", "asc")  # a second click turns it round
    for state, descending in ((first, True), (second, False)):
        values = [float(r["equity"]) for r in state["shown"]]
        assert values == sorted(values, reverse=descending) and len(set(values)) > 1
    expected = [e for (e,) in sql(dataset, f"SELECT equity FROM {SCORED} ORDER BY equity DESC")]
    assert [float(r["equity"]) for r in first["shown"]] == pytest.approx(expected[:1000], rel=1e-5)
    assert [float(r["equity"]) for r in second["shown"]] == pytest.approx(expected[::-1][:1000], rel=1e-5)


def test_the_explorer_pages_through_its_rows(page) -> None:
    state = page.evaluate("""(() => {
        const root = document.getElementById('backlinks-explorer');
        root.querySelector('[data-action=clear]').click();
        const size = root.querySelector('select[data-action=size]');
        const read = () => Array.from(root.querySelectorAll('tbody tr')).map(tr => tr.cells[1].dataset.v + ' ' + tr.cells[2].dataset.v);
        size.value = '1000'; size.dispatchEvent(new Event('change'));
        const all = read();
        size.value = '25'; size.dispatchEvent(new Event('change'));
        const one = read(); root.querySelector('[data-action=next]').click();
        return {all: all, one: one, two: read(), page: +root.dataset.page, rows: +root.dataset.rows,
                label: root.querySelector('.explorer-page').textContent};
    })()""")
    assert state["one"] == state["all"][:25] and state["two"] == state["all"][25:50] and state["page"] == 2
    assert state["label"] == f"page 2 of {-(-state['rows'] // 25)}"


def test_json_backlinks_and_their_scores_equal_duckdb_over_link_scores(report, dataset: Path) -> None:
    _, figures = report
    section = figures["backlinks"]
    ((backlinks,),) = sql(dataset, f"SELECT count(*) FROM links WHERE {BACKLINK}")
    assert section["scored"] and section["total"] == len(section["rows"]) == backlinks
    expected = {(u, t, p): (e, r) for u, t, p, e, r in sql(dataset, f"SELECT source_url, target_url, position, "
                                                                     f"equity, relevance FROM {SCORED}")}  # fmt: skip
    got = {(r["source_url"], r["target_url"], r["position"]): (r["equity"], r["relevance"]) for r in section["rows"]}
    assert got == expected
    assert {"referring_domain", "anchor_text", "follow_reason", "region", "relevance_terms", "relevance_basis",
            "site_relevance", "source_language", "target_language"} <= set(section["rows"][0])  # fmt: skip
    per_domain = sql(dataset, f"SELECT referring_domain, sum(equity), count(*) FROM {SCORED} GROUP BY 1 "
                              "ORDER BY 2 DESC, 3 DESC, 1 LIMIT 20")  # fmt: skip
    rows = section["equity_by_domain"]["rows"]
    assert [(r["referring_domain"], r["backlinks"]) for r in rows] == [(d, n) for d, _, n in per_domain]
    assert [r["equity"] for r in rows] == pytest.approx([e for _, e, _ in per_domain], rel=1e-12)
    assert sum(r["equity_share"] for r in rows) == pytest.approx(1.0)  # every referring domain fits in 20 here
    key = "source_url, target_url, position"
    most = sql(dataset, f"SELECT {key} FROM {SCORED} WHERE relevance IS NOT NULL "
                        f"ORDER BY relevance DESC, equity DESC, {key} LIMIT 20")  # fmt: skip
    assert [(r["source_url"], r["target_url"], r["position"]) for r in section["most_relevant"]["rows"]] == most
    off = sql(dataset, f"SELECT {key}, relevance FROM {SCORED} WHERE relevance < 0.05 "
                       f"ORDER BY equity DESC, relevance, {key}")  # fmt: skip
    assert [(r["source_url"], r["target_url"], r["position"]) for r in section["off_topic"]["rows"]] == \
        [o[:3] for o in off[:20]]  # fmt: skip
    assert section["off_topic"]["total"] == len(off) == section["summary"]["off_topic"] > 0
    deciles = dict(sql(dataset, f"SELECT least(floor(relevance * 10), 9)::INT, count(*) FROM {SCORED} "
                                "WHERE relevance IS NOT NULL GROUP BY 1"))  # fmt: skip
    assert [b["backlinks"] for b in section["relevance_bins"]] == [deciles.get(b, 0) for b in range(10)]
    ((passing, total_equity),) = sql(dataset, f"SELECT count(*) FILTER (equity > 0), sum(equity) FROM {SCORED}")
    assert section["summary"]["passing_equity"] == passing == sum(d["backlinks"] for d in section["equity_decades"])
    assert section["summary"]["equity"] == pytest.approx(total_equity, rel=1e-12)


def test_the_page_shows_the_most_relevant_and_the_off_topic_backlinks(page, report) -> None:
    _, figures = report
    for name in ("most_relevant", "off_topic", "equity_by_domain"):
        expected = figures["backlinks"][name]
        assert table_total(page, name) == expected["total"]
        assert [r["source_url" if name != "equity_by_domain" else "referring_domain"] for r in table_rows(page, name)] \
            == [r["source_url" if name != "equity_by_domain" else "referring_domain"] for r in expected["rows"]]  # fmt: skip


def test_explorer_rows_keeps_the_backlinks_passing_the_most_equity(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "capped.json"
    result = linkspider("report", "--out", str(dataset), "--json", str(out), "--explorer-rows", "10")
    assert result.returncode == 0, result.stderr[-2000:]
    section = json.loads(out.read_text(encoding="utf-8"))["backlinks"]
    ((backlinks,),) = sql(dataset, f"SELECT count(*) FROM links WHERE {BACKLINK}")
    assert section["total"] == backlinks and len(section["rows"]) == 10
    top = [e for (e,) in sql(dataset, f"SELECT equity FROM {SCORED} ORDER BY equity DESC LIMIT 10")]
    assert [r["equity"] for r in section["rows"]] == top


# -- without the optional tables ------------------------------------------------------------


def test_sections_without_their_tables_say_which_command_makes_them(dataset: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for part in ("links", "pages", "runs"):  # no targets, analysis or history
        subprocess.run(["cp", "-r", str(dataset / part), str(bare / part)], check=True)
    html = tmp_path / "bare.html"
    result = linkspider("report", "--out", str(bare), "--run", RUNS[-1], "--html", str(html))
    assert result.returncode == 0, result.stderr[-2000:]
    text = html.read_text(encoding="utf-8")
    # anchors, rank and flags, link score, relevance and equity, the explorer's scores
    assert text.count("linkspider analyze --out") == 5
    assert "linkspider check-targets --out" in text and "linkspider history update" in text
    assert "<svg" in text  # the sections that need only links and pages still draw
    # the explorer still lists every backlink, with the links table's columns only
    embedded = json.loads(text.split('<script type="application/json" id="backlinks-data">', 1)[1].split("</script>", 1)[0])
    assert [c["key"] for c in embedded["columns"]] == ["referring_domain", "source_url", "target_url", "anchor_text",
                                                       "follow_reason", "region"]  # fmt: skip
    ((backlinks,),) = sql(dataset, f"SELECT count(*) FROM links WHERE {BACKLINK}")
    assert all(len(column) == backlinks > 0 for column in embedded["values"])


def test_an_empty_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = linkspider("report", "--out", str(tmp_path), "--html", str(tmp_path / "r.html"))
    assert result.returncode == 2
    assert "no linkspider dataset" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_domain_option_reports_on_one_domains_backlinks(dataset: Path, tmp_path: Path) -> None:
    ((domain,),) = sql(dataset, f"SELECT target_domain FROM links WHERE {BACKLINK} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    out = tmp_path / "domain.json"
    result = linkspider("report", "--out", str(dataset), "--target", domain.upper(), "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    ((backlinks, domains),) = sql(dataset, f"SELECT count(*), count(DISTINCT referring_domain) FROM links "
                                           f"WHERE {BACKLINK} AND target_domain = '{domain}'")  # fmt: skip
    assert figures["domain"] == domain
    assert (figures["overview"]["backlinks"], figures["overview"]["referring_domains"]) == (backlinks, domains)
    assert {r["referring_domain"] for r in figures["referring_domains"]["rows"]} == {
        d for (d,) in sql(dataset, f"SELECT DISTINCT referring_domain FROM links WHERE {BACKLINK} AND target_domain = '{domain}'")}
    scores = figures["backlinks"]
    assert scores["total"] == len(scores["rows"]) == backlinks
    assert {r["target_url"] for r in scores["rows"]} == {u for (u,) in sql(
        dataset, f"SELECT DISTINCT target_url FROM links WHERE {BACKLINK} AND target_domain = '{domain}'")}  # fmt: skip
    per_domain = dict(sql(dataset, f"SELECT referring_domain, sum(equity) FROM {SCORED} "
                                   f"WHERE target_domain = '{domain}' GROUP BY 1"))  # fmt: skip
    assert {r["referring_domain"]: r["equity"] for r in scores["equity_by_domain"]["rows"]} == pytest.approx(per_domain)


def test_demo_ends_by_writing_the_html_report_and_saying_where(tmp_path: Path) -> None:
    result = linkspider("demo", "--out", str(tmp_path), "--sites", "4", "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    html = tmp_path / "report.html"
    assert f"HTML report: {html.absolute()}" in result.stdout
    text = html.read_text(encoding="utf-8")
    assert "Broken external targets" in text and "<svg" in text
    assert "targets of run" in result.stdout  # the demo checked the targets first

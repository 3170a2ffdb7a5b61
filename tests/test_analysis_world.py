"""End to end: crawl a generated world through the real Scrapy engine, run ``linkspider
analyze`` on the dataset, and compare every analysis table with what the world's ground truth
says (the truth's links fed to networkx for the graph measures)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq
import pytest

from linkspider.analysis.dataset import analysis_path, latest_analyzed_run
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.crawling import local_web_args, read_table, run_crawl

RUN = "analysis-world"
BODY = ("a", "area", "image")


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=1, sites=24))


@pytest.fixture(scope="module")
def dataset(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crawl the world once and analyze it with the CLI; return the dataset root."""
    out = tmp_path_factory.mktemp("analysis-dataset")
    with LocalWebProcess(world) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out),
                           "--max-depth", "10", "--run-id", RUN)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    analyzed = subprocess.run([sys.executable, "-m", "linkspider", "analyze", "--out", str(out)],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert analyzed.returncode == 0, analyzed.stderr[-3000:]
    return out


def table(out: Path, name: str) -> list[dict]:
    return pq.read_table(analysis_path(out, RUN, name)).to_pylist()


def backlinks(world: World) -> list[dict]:
    return [row for row in world.ground_truth_links()
            if row["is_external"] and row["link_kind"] in BODY
            and row["target_scheme"] in ("http", "https") and row["target_domain"]]  # fmt: skip


def domain_graphs(world: World) -> tuple[nx.DiGraph, nx.DiGraph]:
    """The truth's domain graph: followed pairs, and all pairs (same nodes)."""
    nodes = {site.registrable_domain for site in world.sites}
    followed, every = nx.DiGraph(), nx.DiGraph()
    for row in backlinks(world):
        nodes.update((row["referring_domain"], row["target_domain"]))
        every.add_edge(row["referring_domain"], row["target_domain"])
        if row["follow"]:
            followed.add_edge(row["referring_domain"], row["target_domain"])
    followed.add_nodes_from(nodes)
    every.add_nodes_from(nodes)
    return followed, every


def test_the_tables_are_written_where_the_contract_says(dataset: Path) -> None:
    assert latest_analyzed_run(dataset) == RUN
    for name in ("domain_rank", "page_rank", "referring_domains", "anchors"):
        path = analysis_path(dataset, RUN, name)
        assert path.name == f"{name}.parquet" and "domain_rank" in str(analysis_path(dataset, RUN, "domain_rank"))
        assert pq.read_table(path).column_names[0] == "run_id"
    assert not list((dataset / "analysis").rglob(".*tmp"))


def test_domain_pagerank_equals_networkx_on_the_worlds_domain_graph(world: World, dataset: Path) -> None:
    followed, every = domain_graphs(world)
    rows = {row["domain"]: row for row in table(dataset, "domain_rank")}
    assert set(rows) == set(followed)
    want, want_all = nx.pagerank(followed), nx.pagerank(every)
    assert max(abs(rows[d]["pagerank"] - want[d]) for d in want) < 1e-6
    assert max(abs(rows[d]["pagerank_all_links"] - want_all[d]) for d in want_all) < 1e-6
    assert any(abs(want[d] - want_all[d]) > 1e-4 for d in want)  # nofollow links make a difference


def test_harmonic_centrality_and_degrees_equal_networkx(world: World, dataset: Path) -> None:
    followed, _ = domain_graphs(world)
    rows = {row["domain"]: row for row in table(dataset, "domain_rank")}
    harmonic = nx.harmonic_centrality(followed)
    for domain in followed:
        assert rows[domain]["harmonic_centrality"] == pytest.approx(harmonic[domain], rel=1e-12, abs=1e-12)
        assert rows[domain]["referring_domains"] == followed.in_degree(domain)
        assert rows[domain]["linked_domains"] == followed.out_degree(domain)


def test_authority_is_the_log_scale_of_pagerank(dataset: Path) -> None:
    import math

    rows = table(dataset, "domain_rank")
    low, high = min(r["pagerank"] for r in rows), max(r["pagerank"] for r in rows)
    for row in rows:
        assert row["authority"] == pytest.approx(100 * math.log(row["pagerank"] / low) / math.log(high / low))
    assert {min(r["authority"] for r in rows), max(r["authority"] for r in rows)} == {0.0, 100.0}


def test_referring_domains_equal_the_truth(world: World, dataset: Path) -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in backlinks(world):
        groups[(row["target_domain"], row["referring_domain"])].append(row)
    rows = {(r["target_domain"], r["referring_domain"]): r for r in table(dataset, "referring_domains")}
    assert set(rows) == set(groups)
    authority = {r["domain"]: r["authority"] for r in table(dataset, "domain_rank")}
    # The complete crawl was folded into link_history: first seen from it, last seen the later
    # of its last_seen_at and this run's fetch of the links.
    first, last = {}, defaultdict(list)
    for link in pq.read_table(dataset / "link_history" / "link_history.parquet").to_pylist():
        key = (link["target_domain"], link["referring_domain"])
        if link["first_seen_at"] is not None:
            first[key] = min(first.get(key, link["first_seen_at"]), link["first_seen_at"])
        last[key].append(link["last_seen_at"])
    for link in read_table(dataset, "links").to_pylist():
        if link["link_kind"] in BODY and link["is_external"] and link["target_scheme"] in ("http", "https"):
            last[(link["target_domain"], link["referring_domain"])].append(link["fetched_at"])
    for key, links in groups.items():
        got = rows[key]
        assert got["target_url"] is None
        assert got["backlinks"] == len(links)
        assert got["followed_backlinks"] == sum(link["follow"] for link in links)
        assert got["linking_pages"] == len({link["source_url"] for link in links})
        for share in ("nofollow", "ugc", "sponsored"):
            assert got[f"{share}_share"] == pytest.approx(sum(link[share] for link in links) / len(links))
        assert got["regions"] == sorted({link["region"] for link in links})
        assert (got["first_seen"], got["last_seen"]) == (first.get(key), max(filter(None, last[key])))
        assert got["authority"] == authority[key[1]]


def test_anchor_classes_equal_the_worlds_truth(world: World, dataset: Path) -> None:
    external = {(r["source_url"], r["position"]) for r in backlinks(world)}
    want: Counter = Counter()
    domains: dict[tuple, set] = defaultdict(set)
    for row in world.ground_truth_anchor_classes():
        if (row["source_url"], row["position"]) in external:
            key = (row["target_domain"], row["anchor_text"], row["anchor_class"])
            want[key] += 1
            domains[key].add(world.site(row["source_url"].split("/")[2]).registrable_domain)
    got = {(r["target_domain"], r["anchor_text"], r["anchor_class"]): r for r in table(dataset, "anchors")}
    assert set(got) == set(want)
    assert {key: r["backlinks"] for key, r in got.items()} == dict(want)
    assert {key: r["referring_domains"] for key, r in got.items()} == {k: len(v) for k, v in domains.items()}
    assert len({key[2] for key in want}) >= 2


def test_anchor_classifier_equals_the_truth_for_every_placed_anchor(world: World) -> None:
    """Internal links too: every a/area/image link the world places, classified against its
    target's own label."""
    from linkspider.analysis.anchors import brand_names, classify_anchor

    rows = world.ground_truth_anchor_classes()
    wrong = [(r["anchor_text"], r["anchor_class"]) for r in rows
             if classify_anchor(r["anchor_text"], r["anchor_from_alt"], brand_names(r["target_domain"]))
             != r["anchor_class"]]  # fmt: skip
    assert wrong == []
    assert len(rows) > 5000


def test_page_rank_equals_networkx_per_site(world: World, dataset: Path) -> None:
    """Internal PageRank per site over followed internal links, redirects and canonicals
    passing to their targets."""
    every = world.ground_truth_links(kinds=None)
    forward = {}
    for row in every:
        if row["link_kind"] in ("redirect", "meta_refresh", "canonical") and row["target_url"] != row["source_url"]:
            forward.setdefault(row["source_url"], (row["link_kind"] != "redirect", row["target_url"]))
            if row["link_kind"] == "redirect":
                forward[row["source_url"]] = (False, row["target_url"])

    def resolve(url: str) -> str:
        seen = {url}
        while url in forward and forward[url][1] not in seen:
            url = forward[url][1]
            seen.add(url)
        return url

    graphs: dict[str, nx.DiGraph] = defaultdict(nx.DiGraph)
    inlinks: Counter = Counter()
    for row in every:
        if (not row["is_external"] and row["follow"] and row["link_kind"] in BODY
                and row["target_scheme"] == "http"):
            source, target = resolve(row["source_url"]), resolve(row["target_url"])
            if source != target:
                graphs[row["referring_domain"]].add_edge(source, target)
                inlinks[target] += 1
    got = defaultdict(dict)
    for row in table(dataset, "page_rank"):
        got[row["site"]][row["url"]] = row
    assert set(got) == set(graphs)
    for site, graph in graphs.items():
        want = nx.pagerank(graph)
        assert set(got[site]) == set(want)
        assert max(abs(got[site][u]["pagerank"] - want[u]) for u in want) < 1e-6
        assert {u: got[site][u]["inlinks"] for u in want} == {u: inlinks[u] for u in want}
        scores = [row["link_score"] for row in got[site].values()]
        assert min(scores) == 0.0 and max(scores) == 100.0

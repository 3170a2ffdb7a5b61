"""End to end: crawl a generated world with link spam (``WorldConfig(spam=True)``) through the
real Scrapy engine, run ``linkspider analyze`` on the dataset, and compare every analysis table
with what the world's ground truth says (the truth's links fed to networkx for the graph
measures; the spam labels against the flagged domains)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq
import pytest

from linkspider.analysis.dataset import analysis_path, latest_analyzed_run
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.crawling import local_web_args, read_table, run_crawl, run_linkspider

RUN = "analysis-world"
BODY = ("a", "area", "image")
#: Measured on this world (seed 1, 24 sites + spam, 19 labelled): precision 1.0 and recall 1.0 with a domain
#: counted as spam at >= 1 flag; the test allows one domain in ten less.
MIN_PRECISION = MIN_RECALL = 0.9
SPAM_LABELS = ("pbn", "link_farm", "sitewide_links", "paid_links", "link_directory")  # the money site is their target


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=1, sites=24, spam=True))


@pytest.fixture(scope="module")
def dataset(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crawl the world once and analyze it with the CLI; return the dataset root."""
    out = tmp_path_factory.mktemp("analysis-dataset")
    with LocalWebProcess(world) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out),
                           "--max-depth", "10", "--run-id", RUN)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    keywords = world.write_keywords(out / "keywords.txt")  # every site's topic keywords, the money site's
    analyzed = run_linkspider("analyze", "--out", str(out), "--keywords", str(keywords),
                              "--target", world.spam.money.registrable_domain, timeout=300)  # fmt: skip
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
    for name in ("domain_rank", "link_scores", "page_rank", "referring_domains", "anchors", "domain_signals"):
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
    rows = {(r["target_domain"], r["referring_domain"]): r for r in table(dataset, "referring_domains")
            if r["target_url"] is None}
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
    from linkspider.analysis.anchors import ANCHOR_CLASSES

    assert {key[2] for key in want} == set(ANCHOR_CLASSES)  # every class among the backlinks
    shares = Counter()
    for (_, _, anchor_class), row in got.items():
        shares[anchor_class] += row["backlinks"] / sum(want.values())
    assert max(shares.values()) <= 0.6 and min(shares.values()) >= 0.005, shares  # a natural-looking mix


def test_anchor_classifier_equals_the_truth_for_every_placed_anchor(world: World) -> None:
    """Internal links too: every a/area/image link the world places, classified against its
    target's own label."""
    from linkspider.analysis.anchors import ANCHOR_CLASSES, brand_names, classify_anchor

    rows = world.ground_truth_anchor_classes()
    keywords = world.keywords()
    wrong = [(r["anchor_text"], r["anchor_class"]) for r in rows
             if classify_anchor(r["anchor_text"], r["anchor_from_alt"], brand_names(r["target_domain"]),
                                keywords.get(r["target_domain"], ())) != r["anchor_class"]]  # fmt: skip
    assert wrong == []
    assert len(rows) > 5000
    assert {r["anchor_class"] for r in rows} == set(ANCHOR_CLASSES)


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


def crawl_rank_model(out: Path) -> dict:
    metadata = pq.read_schema(analysis_path(out, RUN, "link_scores")).metadata
    return json.loads(metadata[b"linkspider.analysis.crawl_rank"])


def test_link_scores_has_one_row_per_link_keyed_like_links(dataset: Path) -> None:
    links = read_table(dataset, "links").select(["source_url", "target_url", "position"]).to_pylist()
    scores = table(dataset, "link_scores")
    key = lambda row: (row["source_url"], row["target_url"], row["position"])  # noqa: E731
    assert Counter(map(key, scores)) == Counter(map(key, links))


def test_crawl_rank_is_teleport_plus_dangling_share_plus_incoming_equity(dataset: Path) -> None:
    model = crawl_rank_model(dataset)
    scores = [row for row in table(dataset, "link_scores") if row["weight"] is not None]
    incoming: Counter = Counter()
    rank_of: dict[str, float] = {}
    for row in scores:
        incoming[row["target_node"]] += row["equity"]
        rank_of[row["target_node"]] = row["target_crawl_rank"]
        rank_of[row["source_node"]] = row["source_crawl_rank"]
    base = model["teleport"] + model["dangling_share"]
    assert len(rank_of) > 100
    for node, rank in rank_of.items():
        assert abs(base + incoming[node] - rank) <= 1e-9 * rank, node
    page_ranks = {row["url"]: row["crawl_rank"] for row in table(dataset, "page_rank")}
    assert all(rank_of.get(url, base) == rank for url, rank in page_ranks.items())


def test_equity_leaving_a_page_is_its_rank_times_the_damping_factor(dataset: Path) -> None:
    leaving: Counter = Counter()
    weights: Counter = Counter()
    rank_of: dict[str, float] = {}
    for row in table(dataset, "link_scores"):
        if row["weight"] is not None:
            leaving[row["source_node"]] += row["equity"]
            weights[row["source_node"]] += row["weight"]
            rank_of[row["source_node"]] = row["source_crawl_rank"]
    passing = [node for node in rank_of if weights[node] > 0]
    assert len(passing) > 100
    for node in passing:
        assert leaving[node] == pytest.approx(0.85 * rank_of[node], rel=1e-9)
    for node in set(rank_of) - set(passing):  # every link nofollow: a dangling page
        assert leaving[node] == 0.0


def test_nofollow_links_pass_no_equity(dataset: Path) -> None:
    scores = table(dataset, "link_scores")
    unfollowed = [row for row in scores if not row["follow"]]
    assert unfollowed and all(row["equity"] in (0.0, None) for row in unfollowed)
    followed_main = [row for row in scores if row["follow"] and row["region"] == "main"
                     and row["link_kind"] == "a" and row["weight"] is not None]
    assert followed_main and all(row["equity"] > 0 for row in followed_main)


def test_crawl_rank_equals_networkx_with_the_same_weights(world: World, dataset: Path) -> None:
    """networkx's weighted PageRank over the graph of link_scores' nodes and weights, with
    every fetched page a node."""
    scores = [row for row in table(dataset, "link_scores") if row["weight"] is not None]
    graph = nx.DiGraph()
    rank_of: dict[str, float] = {}
    for row in scores:
        s, t = row["source_node"], row["target_node"]
        graph.add_edge(s, t, weight=graph.get_edge_data(s, t, {"weight": 0.0})["weight"] + row["weight"])
        rank_of[s], rank_of[t] = row["source_crawl_rank"], row["target_crawl_rank"]
    model = crawl_rank_model(dataset)
    fetched = {row["final_url"] for row in read_table(dataset, "pages").to_pylist()
               if row["final_url"] and row["status"] is not None}
    forwarded = {url for url in fetched if url not in graph}
    graph.add_nodes_from(forwarded - {r["source_url"] for r in scores})
    assert graph.number_of_nodes() == model["nodes"]
    want = nx.pagerank(graph, weight="weight", tol=1e-12, max_iter=1000)
    assert max(abs(want[node] - rank) for node, rank in rank_of.items()) < 1e-9


def test_per_url_rows_for_the_target(world: World, dataset: Path) -> None:
    money = world.spam.money.registrable_domain
    want = Counter((r["target_url"], r["referring_domain"]) for r in backlinks(world) if r["target_domain"] == money)
    got = {(r["target_url"], r["referring_domain"]): r["backlinks"]
           for r in table(dataset, "referring_domains") if r["target_url"] is not None}
    assert got == dict(want)
    linking = {d for d, label in world.spam.labels().items() if label in ("pbn", "sitewide_links", "paid_links")}
    assert {domain for _, domain in want} == linking


def flagged(dataset: Path, minimum: int = 1) -> set[str]:
    return {r["referring_domain"] for r in table(dataset, "domain_signals") if r["flag_count"] >= minimum}


def test_spam_flags_against_the_labels(world: World, dataset: Path) -> None:
    labels = world.spam.labels()
    spam = {domain for domain, label in labels.items() if label in SPAM_LABELS}
    domains = {r["referring_domain"] for r in table(dataset, "domain_signals")}
    assert spam <= domains
    hits = flagged(dataset) & spam
    precision, recall = len(hits) / len(flagged(dataset)), len(hits) / len(spam)
    assert (precision, recall) >= (MIN_PRECISION, MIN_RECALL), (precision, recall, flagged(dataset) ^ spam)
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL
    for label in SPAM_LABELS:  # every scheme is caught, each by a signal that describes it
        assert {d for d, lab in labels.items() if lab == label} & flagged(dataset)


def test_each_scheme_raises_its_own_flags(world: World, dataset: Path) -> None:
    rows = {r["referring_domain"]: r for r in table(dataset, "domain_signals")}
    for domain, label in world.spam.labels().items():
        flags = set(rows[domain]["flags"])
        if label == "pbn":
            assert "exact_anchor_share" in flags
        elif label == "link_farm":
            assert "links_per_linked_domain" in flags
        elif label == "sitewide_links":
            assert "sitewide_share" in flags
        elif label == "paid_links":
            assert "exact_anchor_share" in flags
        elif label == "link_directory":
            assert "outbound_links_per_page" in flags


def test_signals_equal_their_formulas_on_the_truth(world: World, dataset: Path) -> None:
    import numpy as np

    classes = {(r["source_url"], r["position"]): r["anchor_class"] for r in world.ground_truth_anchor_classes()}
    given: dict[str, list[dict]] = defaultdict(list)
    for row in backlinks(world):
        given[row["referring_domain"]].append(row)
    pages: dict[str, set] = defaultdict(set)
    for page in world.ground_truth_pages():
        if page["status"] == 200 and page["content_type"] == "text/html":
            pages[world.site(page["final_url"].split("/")[2]).registrable_domain].add(page["final_url"])
    rows = {r["referring_domain"]: r for r in table(dataset, "domain_signals")}
    assert set(rows) == set(pages)
    for domain, links in given.items():
        row = rows[domain]
        n = len(links)
        assert row["backlinks"] == n and row["pages"] == len(pages[domain])
        assert row["followed_share"] == pytest.approx(sum(link["follow"] for link in links) / n)
        for name in ("exact", "partial"):
            share = sum(classes[(link["source_url"], link["position"])] == name for link in links) / n
            assert row[f"{name}_anchor_share"] == pytest.approx(share)
        assert row["links_per_linked_domain"] == pytest.approx(n / len({link["target_domain"] for link in links}))
        assert row["outbound_links_per_page"] == pytest.approx(n / len(pages[domain]))
        label = domain.split(".")[0]  # every world domain is one label + a suffix
        label = label.encode().decode("idna") if label.startswith("xn--") else label
        assert row["domain_hyphens"] == label.count("-") and row["domain_length"] == len(label)
    values = np.array([r["followed_share"] for r in rows.values() if r["followed_share"] is not None])
    q1, q3 = np.percentile(values, [25, 75])
    fence = q3 + 1.5 * (q3 - q1)
    assert {d for d, r in rows.items() if r["followed_share"] is not None and r["followed_share"] > fence} == {
        d for d, r in rows.items() if "followed_share" in r["flags"]}


def linkspider(*args: str) -> subprocess.CompletedProcess[str]:
    return run_linkspider(*args, timeout=300)


def test_report_prints_the_targets_profile(world: World, dataset: Path) -> None:
    money = world.spam.money.registrable_domain
    result = linkspider("report", "--out", str(dataset), "--target", money)
    assert result.returncode == 0, result.stderr
    links = [r for r in backlinks(world) if r["target_domain"] == money]
    referring = {r["referring_domain"] for r in links}
    followed = sum(r["follow"] for r in links)
    assert f"backlink profile of {money}:" in result.stdout
    assert f"{len(referring)} referring domains, {len(links)} backlinks" in result.stdout
    assert f"followed: {followed} ({100 * followed / len(links):.0f}%)" in result.stdout
    assert "'cheap widgets'" in result.stdout and "exact" in result.stdout
    assert "flags: exact_anchor_share" in result.stdout  # why the PBN domains look like spam


def test_report_without_target_lists_the_strongest_and_flagged_domains(dataset: Path) -> None:
    result = linkspider("report", "--out", str(dataset))
    assert result.returncode == 0, result.stderr
    assert "backlink profile of run analysis-world" in result.stdout
    assert "flagged referring domains" in result.stdout


def test_analyze_refuses_bad_input_and_writes_nothing(dataset: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in (dataset / "analysis").rglob("*"))
    unknown = linkspider("analyze", "--out", str(dataset), "--run", "no-such-run")
    assert unknown.returncode == 2 and "no-such-run" in unknown.stderr and "no pages files" in unknown.stderr
    bad = tmp_path / "keywords.txt"
    bad.write_text("a\tb\tc\n", encoding="utf-8")
    refused = linkspider("analyze", "--out", str(dataset), "--keywords", str(bad))
    assert refused.returncode == 2 and "keywords.txt:1" in refused.stderr
    assert sorted(p.name for p in (dataset / "analysis").rglob("*")) == before
    missing = linkspider("report", "--out", str(dataset), "--run", "no-such-run", "--target", "x.com")
    assert missing.returncode == 2 and "linkspider analyze" in missing.stderr


def test_analyze_into_an_unwritable_place_is_a_clear_error(dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    for name in ("links", "pages", "runs"):
        shutil.copytree(dataset / name, copy / name)
    (copy / "analysis").write_text("not a directory", encoding="utf-8")
    result = linkspider("analyze", "--out", str(copy), "--quiet")
    assert result.returncode == 2
    assert "cannot write" in result.stderr and "domain_rank.parquet" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_write_midway_keeps_the_tables_before_it_and_writes_none_after(
        dataset: Path, tmp_path: Path) -> None:  # fmt: skip
    import shutil

    copy = tmp_path / "copy"
    for name in ("links", "pages", "runs"):
        shutil.copytree(dataset / name, copy / name)
    blocked = analysis_path(copy, RUN, "link_scores")  # a directory where the file goes
    (blocked / "inside").mkdir(parents=True)
    result = linkspider("analyze", "--out", str(copy), "--run", RUN, "--quiet")
    assert result.returncode == 2, result.stderr
    assert "cannot write" in result.stderr and "link_scores.parquet" in result.stderr
    assert "Traceback" not in result.stderr
    assert pq.read_table(analysis_path(copy, RUN, "domain_rank")).num_rows > 0
    written = sorted(p.name for p in blocked.parent.iterdir())
    assert written == ["domain_rank.parquet", "link_scores.parquet"]  # no temporary left either

"""Bench: ``linkspider analyze`` on a 1M-link scale crawl, and PageRank libraries on a
>= 1M-edge domain graph.

1. The scale crawl: a generated world of ``--sites`` x ``--pages`` pages with ``--external``
   external links per page (default 300 x 70 x 10, about 1.2M links, as bench/run.py's scale
   run), crawled by ``linkspider crawl`` through the local web (or ``--dataset DIR``: a dataset
   with a run ``--run``). ``linkspider analyze`` runs in its own process; wall time, CPU and
   peak RSS (``getrusage`` of that process) and each table's time are printed.
2. PageRank (damping 0.85, tolerance 1e-6) on a synthetic domain graph of ``--nodes`` nodes and
   ``--edges`` distinct edges (in-degree power law), each library in its own process:
   linkspider.analysis.graph (scipy.sparse), networkx, igraph (PRPACK), rustworkx; graph
   build and PageRank times, peak RSS, and the largest per-node difference from ours. Then the
   harmonic-centrality estimate (pivots) on the same graph.

    .venv/bin/python -m bench.analyze [--work DIR] [--dataset DIR --run ID] [--skip-crawl]

igraph and rustworkx come from bench/requirements.txt (installed when missing).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENDERS = ("linkspider", "networkx", "igraph", "rustworkx")


def ensure_bench_requirements() -> None:
    """Install bench/requirements.txt into this interpreter when igraph or rustworkx is missing."""
    try:
        import igraph  # noqa: F401
        import rustworkx  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "bench" / "requirements.txt")], check=True)  # fmt: skip


def crawl_scale(work: Path, sites: int, pages: int, external: int) -> Path:
    """Crawl the scale world into ``work/scale`` (run id ``scale``); return the dataset root."""
    from bench.targets import WorldTarget

    out = work / "scale"
    with WorldTarget(work / "scale-web", sites=sites, pages_per_site=pages,
                     external_links_per_page=external) as target:  # fmt: skip
        seeds = work / "seeds.txt"
        seeds.write_text("\n".join(target.seeds()) + "\n", encoding="utf-8")
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "linkspider", "crawl", "--seeds-file", str(seeds),
                        "--proxy", target.proxy, "--allow-private-addresses", "--out", str(out),
                        "--run-id", "scale", "--no-throttle", "--concurrency", "16",
                        "--max-depth", "1000", "--quiet", "--log-level", "WARNING",
                        "-s", "LINKSPIDER_HISTORY_UPDATE=0"], cwd=ROOT, check=True)  # fmt: skip
        print(f"scale crawl: {time.monotonic() - started:.0f} s", flush=True)
    return out


def child_analyze(dataset: str, run_id: str) -> dict:
    """Run the analysis in this process; return its times and peak RSS."""
    from linkspider.analysis.analyze import analyze

    lines: list[str] = []
    cpu, wall = time.process_time(), time.perf_counter()
    analyze(dataset, run_id, progress=lines.append)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tables": lines}  # fmt: skip


def make_graph(path: Path, nodes: int, edges: int, seed: int = 1) -> tuple[int, int]:
    """Write a synthetic domain graph (sources uniform, targets by a power law) to ``path``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, nodes + 1) ** 0.9
    weights /= weights.sum()
    found = np.zeros(0, dtype=np.int64)
    while len(found) < edges:
        batch = edges - len(found) + edges // 10
        source = rng.integers(0, nodes, batch)
        target = rng.choice(nodes, batch, p=weights)
        keys = np.concatenate([found, source[source != target] * nodes + target[source != target]])
        found = np.unique(keys)
    found = rng.permutation(found)[:edges]
    np.savez(path, sources=found // nodes, targets=found % nodes, nodes=np.array([nodes]))
    return nodes, len(found)


def child_pagerank(contender: str, graph_path: str, reference_path: str | None) -> dict:
    """Build the graph in ``contender``'s structure and compute PageRank; return the figures."""
    import numpy as np

    data = np.load(graph_path)
    sources, targets, n = data["sources"], data["targets"], int(data["nodes"][0])
    module = {"linkspider": "linkspider.analysis.graph"}.get(contender, contender)
    library = __import__(module, fromlist=["_"])  # imported before the clock starts
    started = time.perf_counter()
    if contender == "linkspider":
        built = time.perf_counter()  # pagerank() builds its sparse matrix itself: timed with it
        rank = library.pagerank(n, sources, targets)
    elif contender == "networkx":
        graph = library.DiGraph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(zip(sources.tolist(), targets.tolist()))
        built = time.perf_counter()
        values = library.pagerank(graph, alpha=0.85, tol=1e-6)
        rank = np.array([values[i] for i in range(n)])
    elif contender == "igraph":
        graph = library.Graph(n=n, edges=np.column_stack([sources, targets]).tolist(), directed=True)
        built = time.perf_counter()
        rank = np.array(graph.pagerank(directed=True, damping=0.85))  # PRPACK: solved exactly
    elif contender == "rustworkx":
        graph = library.PyDiGraph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from_no_data(list(zip(sources.tolist(), targets.tolist())))
        built = time.perf_counter()
        values = library.pagerank(graph, alpha=0.85, tol=1e-6)
        rank = np.array([values[i] for i in range(n)])
    else:
        raise ValueError(contender)
    done = time.perf_counter()
    out = {"contender": contender, "build_s": built - started, "pagerank_s": done - built,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip
    if reference_path:
        out["max_diff"] = float(np.abs(rank - np.load(reference_path)).max())
    else:
        np.save(graph_path.replace(".npz", "-reference.npy"), rank)
    return out


def child_harmonic(graph_path: str, pivots: int) -> dict:
    import numpy as np

    from linkspider.analysis.graph import harmonic_centrality

    data = np.load(graph_path)
    n = int(data["nodes"][0])
    started = time.perf_counter()
    _, exact = harmonic_centrality(n, data["sources"], data["targets"], pivots=pivots)
    return {"harmonic_s": time.perf_counter() - started, "exact": exact, "pivots": pivots,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def in_child(*args: str, timeout: float = 3600) -> dict:
    """Run this module with ``args`` in a fresh process; return the JSON it prints last."""
    done = subprocess.run([sys.executable, "-m", "bench.analyze", *args], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--dataset", type=Path, help="analyze this dataset instead of crawling")
    parser.add_argument("--run", default="scale", help="run id in --dataset (default scale)")
    parser.add_argument("--skip-crawl", action="store_true", help="only the graph libraries")
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--pages", type=int, default=70)
    parser.add_argument("--external", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_200_000)
    parser.add_argument("--pivots", type=int, default=None, help="harmonic pivots (default: graph.py's)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = {"analyze": lambda: child_analyze(*rest),
                  "pagerank": lambda: child_pagerank(rest[0], rest[1], rest[2] if len(rest) > 2 else None),
                  "harmonic": lambda: child_harmonic(rest[0], int(rest[1]))}[kind]()  # fmt: skip
        print(json.dumps(result))
        return 0
    ensure_bench_requirements()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.skip_crawl:
        dataset = args.dataset or crawl_scale(work, args.sites, args.pages, args.external)
        import duckdb

        links = duckdb.connect().execute(
            f"SELECT count(*) FROM read_parquet('{dataset}/links/*/run={args.run}/*.parquet')").fetchone()[0]
        result = in_child("--child", "analyze", str(dataset), args.run)
        print(f"\n## linkspider analyze on {links:,} links ({dataset})\n")
        print("| wall s | CPU s | peak RSS MB |\n|---:|---:|---:|")
        print(f"| {result['wall_s']:.1f} | {result['cpu_s']:.1f} | {result['peak_rss_mb']:.0f} |")
        for line in result["tables"]:
            print(f"- {line}")
    from linkspider.analysis.graph import HARMONIC_PIVOTS

    graph = work / "graph.npz"
    nodes, edges = make_graph(graph, args.nodes, args.edges)
    print(f"\n## PageRank on a synthetic domain graph: {nodes:,} nodes, {edges:,} edges\n")
    print("| library | build s | PageRank s | peak RSS MB | max per-node diff from linkspider |")
    print("|---|---:|---:|---:|---:|")
    reference = str(graph).replace(".npz", "-reference.npy")
    for contender in ["linkspider"] + [c for c in args.contenders.split(",") if c != "linkspider"]:
        extra = [] if contender == "linkspider" else [reference]
        r = in_child("--child", "pagerank", contender, str(graph), *extra)
        diff = f"{r['max_diff']:.1e}" if "max_diff" in r else "(reference)"
        print(f"| {contender} | {r['build_s']:.2f} | {r['pagerank_s']:.2f} | {r['peak_rss_mb']:.0f} | {diff} |",
              flush=True)  # fmt: skip
    pivots = args.pivots or HARMONIC_PIVOTS
    h = in_child("--child", "harmonic", str(graph), str(pivots))
    print(f"\nharmonic centrality ({'exact' if h['exact'] else f'{pivots} pivots'}): "
          f"{h['harmonic_s']:.1f} s, peak RSS {h['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

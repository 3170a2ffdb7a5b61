"""Bench: how well ``link_scores.relevance`` and ``site_relevance`` tell a same-topic backlink
from an other-topic one on real text (the acceptance targets for relevance on real text).

1. Debian's documentation packages (``HOSTS``: two database manuals, two shell manuals, git,
   Apache httpd, and the Python docs as the general site) are installed with apt-get when
   missing and copied, HTML only, each to its own folder served as its own host
   (``postgresql.test``, ...) by the project's local web (one ``StaticSite`` per host behind
   one proxy).
2. ``--pages`` pages per host with enough text are the crawl's seeds. Into each seed page of a
   host that has a same-topic partner (and into Python's pages on a topic: sqlite3, dbm,
   http.server, subprocess, ...) one paragraph is added before its first paragraph after the
   title, with two links of the same anchor text in random order: one to a page of a
   same-topic host, one to a page of another topic's host. Half the targets are seeds (fetched:
   basis ``target_page``), half other pages of the host (not fetched: ``target_site``).
3. The real ``linkspider crawl`` fetches the seeds (``--max-depth 0``) through the local web,
   and ``linkspider analyze`` (timed, its own process) scores the links.
4. ROC AUC, same-topic (positive) against other-topic added links, of ``site_relevance``,
   ``relevance`` (also per basis, and for the general site's links alone) and of baselines on
   the same ``pages.main_terms``: plain TF-IDF page to page, page to target site, site to site
   (no template rule), and word overlap (Jaccard of the term sets). A table is printed.

    .venv/bin/python -m bench.relevance_eval [--work DIR] [--pages 200] [--seed 23] [--json FILE]
    .venv/bin/python -m bench.relevance_eval --work DIR --analyze-only --checkout OTHER_CHECKOUT
    .venv/bin/python -m bench.relevance_eval --time-relevance DATASET RUN [--checkout OTHER_CHECKOUT]

Nothing leaves 127.0.0.1: the crawl goes through the local web with --allow-private-addresses.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from scipy import sparse
from scipy.stats import rankdata

from linkspider.web.server import LocalWeb, StaticSite
from linkspider.web.world import WebResponse

ROOT = Path(__file__).resolve().parent.parent
LINKSPIDER = [sys.executable, "-m", "linkspider"]  # the code of the checkout it runs in (cwd)
RUN_ID = "releval"


@dataclass(frozen=True)
class Host:
    name: str
    package: str
    root: str  # the documentation folder the package installs
    topic: str  # "general": the topic is per page (GENERAL_PAGES)


HOSTS = (
    Host("postgresql.test", "postgresql-doc-15", "/usr/share/doc/postgresql-doc-15/html", "databases"),
    Host("sqlite.test", "sqlite3-doc", "/usr/share/doc/sqlite3", "databases"),
    Host("zsh.test", "zsh-doc", "/usr/share/doc/zsh-common/html", "shells"),
    Host("bash.test", "bash-doc", "/usr/share/doc/bash", "shells"),
    Host("git.test", "git-doc", "/usr/share/doc/git-doc", "version control"),
    Host("apache.test", "apache2-doc", "/usr/share/doc/apache2-doc/manual/en", "web servers"),
    Host("python.test", "python3.11-doc", "/usr/share/doc/python3.11/html", "general"),
)
#: Pages of the general site that are about one topic: its added links' sources.
GENERAL_PAGES = {
    "library/sqlite3.html": "databases", "library/dbm.html": "databases",
    "library/shelve.html": "databases",
    "library/subprocess.html": "shells", "library/shlex.html": "shells", "library/cmd.html": "shells",
    "library/readline.html": "shells", "library/pty.html": "shells",
    "library/asyncio-subprocess.html": "shells",
    "library/http.server.html": "web servers", "library/wsgiref.html": "web servers",
    "library/socketserver.html": "web servers", "library/cgi.html": "web servers",
    "library/cgitb.html": "web servers",
}  # fmt: skip
ANCHORS = ("further reading", "see the reference", "more details", "this guide", "read more")
#: Pages with fewer words of text than this are not seeds (Texinfo's "node moved" stubs).
MIN_WORDS = 50
_TAG = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)
_AFTER_TITLE = re.compile(r"</h[1-3]\s*>", re.I)
_PARAGRAPH = re.compile(r"<p[\s>]", re.I)
_MAIN_OPEN = re.compile(r"<main[\s>]|<[a-z]+[^>]*\srole=[\"']?main\b|<article[\s>]", re.I)
_BODY_OPEN = re.compile(r"<body[^>]*>", re.I)


class DocHosts:
    """A site source answering for each host from its own folder (one StaticSite each)."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.sites = {host: StaticSite(folder, host) for host, folder in folders.items()}

    def respond(self, host: str, target: str) -> WebResponse:
        site = self.sites.get(host.lower().rstrip("."))
        if site is None:
            return WebResponse(502, [("Content-Type", "text/plain")], b"not a host of this bench\n")
        return site.respond(host, target)


def ensure_packages(hosts: tuple[Host, ...]) -> None:
    """apt-get install the documentation packages whose folder is missing."""
    missing = [h.package for h in hosts if not Path(h.root).is_dir()]
    if not missing:
        return
    print(f"installing {' '.join(missing)} with apt-get", file=sys.stderr)
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit(f"cannot install {' '.join(missing)}: run `apt-get update` (as root) and try again")


def copy_html(host: Host, folder: Path) -> list[str]:
    """Copy the HTML files of ``host``'s documentation to ``folder``; return their paths."""
    paths = []
    for source in sorted(Path(host.root).rglob("*.html")):
        if not source.is_file():
            continue
        relative = source.relative_to(host.root).as_posix()
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / relative)
        paths.append(relative)
    return paths


def word_count(html: str) -> int:
    return len(_TAG.sub(" ", html).split())


def insertion_point(html: str) -> int:
    """Return where the added paragraph goes: before the first ``<p>`` after the first h1-h3
    of the page's main element (``<main>``, ``role=main``, ``<article>``: where the crawl's
    main region starts) or, without one, of the page; else before its first ``<p>``; else
    after ``<body>``."""
    main = _MAIN_OPEN.search(html)
    title = _AFTER_TITLE.search(html, main.end() if main else 0)
    paragraph = _PARAGRAPH.search(html, title.end() if title else 0) or _PARAGRAPH.search(html)
    if paragraph:
        return paragraph.start()
    body = _BODY_OPEN.search(html)
    return body.end() if body else 0


def choose_seeds(hosts: tuple[Host, ...], folders: dict[str, Path], paths: dict[str, list[str]],
                 pages: int, rng: random.Random) -> dict[str, list[str]]:  # fmt: skip
    """Return per host up to ``pages`` paths with ``MIN_WORDS`` words or more (the general
    site's topic pages always among them)."""
    seeds = {}
    for host in hosts:
        texty = [p for p in paths[host.name]
                 if word_count((folders[host.name] / p).read_text(errors="replace")) >= MIN_WORDS]  # fmt: skip
        forced = [p for p in texty if host.topic == "general" and p in GENERAL_PAGES]
        rest = [p for p in texty if p not in forced]
        seeds[host.name] = forced + rng.sample(rest, min(len(rest), pages - len(forced)))
    return seeds


def add_links(hosts: tuple[Host, ...], folders: dict[str, Path], paths: dict[str, list[str]],
              seeds: dict[str, list[str]], rng: random.Random) -> list[dict]:  # fmt: skip
    """Add the same-topic and other-topic link pair to each source page; return one truth row
    per added link."""
    by_topic: dict[str, list[str]] = {}
    for host in hosts:
        by_topic.setdefault(host.topic, []).append(host.name)
    topical = [h for h in hosts if h.topic != "general"]
    truth = []
    for host in hosts:
        for path in seeds[host.name]:
            topic = GENERAL_PAGES.get(path) if host.topic == "general" else host.topic
            partners = [h for h in by_topic.get(topic, []) if h != host.name]
            if not partners:
                continue
            others = [h.name for h in topical if h.topic != topic]
            anchor = rng.choice(ANCHORS)
            pair = [(rng.choice(partners), True), (rng.choice(others), False)]
            rng.shuffle(pair)
            links = []
            for target_host, same in pair:
                fetched = rng.random() < 0.5
                unfetched = sorted(set(paths[target_host]) - set(seeds[target_host]))
                pool = seeds[target_host] if fetched or not unfetched else unfetched
                target_url = f"http://{target_host}/{rng.choice(pool)}"
                links.append(f'<a href="{target_url}">{anchor}</a>')
                truth.append({"source_url": f"http://{host.name}/{path}", "target_url": target_url,
                              "source_host": host.name, "target_host": target_host, "same_topic": same,
                              "general": host.topic == "general", "topic": topic})  # fmt: skip
            file = folders[host.name] / path
            html = file.read_text(errors="replace")
            at = insertion_point(html)
            added = f"<p>On this subject: {links[0]}; and {links[1]}.</p>\n"
            file.write_text(html[:at] + added + html[at:])
    return truth


def crawl_and_analyze(work: Path, folders: dict[str, Path], seeds: dict[str, list[str]], pages: int,
                      checkout: Path) -> dict[str, float]:  # fmt: skip
    """Crawl the seeds through the local web and analyze the run; return the timings."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    seeds_file = work / "seeds.txt"
    seeds_file.write_text("".join(f"http://{h}/{p}\n" for h, ps in seeds.items() for p in ps))
    timings = {}
    with LocalWeb(DocHosts(folders)) as web:
        started = time.monotonic()
        crawl = [*LINKSPIDER, "crawl", "--seeds-file", str(seeds_file), "--max-depth", "0",
                 "--max-pages-per-site", str(pages + 20), "--proxy", web.proxy_url,
                 "--allow-private-addresses", "--no-throttle", "--concurrency", "16",
                 "--out", str(out), "--run-id", RUN_ID, "--quiet", "--log-level", "WARNING"]  # fmt: skip
        subprocess.run(crawl, check=True, cwd=checkout)
        timings["crawl_s"] = time.monotonic() - started
    timings["analyze_s"] = run_analyze(out, checkout)
    return timings


def run_analyze(out: Path, checkout: Path) -> float:
    """Run ``linkspider analyze`` of ``checkout`` on the bench's run; return its wall time."""
    started = time.monotonic()
    subprocess.run([*LINKSPIDER, "analyze", "--out", str(out), "--run", RUN_ID, "--quiet"],
                   check=True, cwd=checkout, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.monotonic() - started


#: Run in the checkout measured (its cwd): the relevance step of analyze on one dataset, timed.
_TIME_RELEVANCE = """
import resource, sys, time
from linkspider.analysis.analyze import open_run
from linkspider.analysis.page_rank import url_forwards
from linkspider.analysis.relevance import relevance_pairs, topic_model
con = open_run(sys.argv[1], sys.argv[2])
forward = url_forwards(con)
started = time.monotonic(); model = topic_model(con); modelled = time.monotonic()
pairs = relevance_pairs(con, model, forward); done = time.monotonic()
print(f"topic_model {modelled - started:.1f} s, relevance_pairs {done - modelled:.1f} s "
      f"({pairs.num_rows} link pairs), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
"""


def time_relevance(dataset: Path, run_id: str, checkout: Path) -> None:
    """Print the time and peak RSS of ``checkout``'s relevance step on a dataset (read only)."""
    subprocess.run([sys.executable, "-c", _TIME_RELEVANCE, str(dataset), run_id], check=True, cwd=checkout)


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Return the ROC AUC of ``scores`` for ``positive`` (ties count half; Mann-Whitney U).

    >>> roc_auc(np.array([0.9, 0.8, 0.8, 0.1]), np.array([True, True, False, False]))
    0.875
    """
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def baseline_scores(con: duckdb.DuckDBPyConnection, truth: list[dict]) -> dict[str, np.ndarray]:
    """Return per truth row the baselines' scores (nan when undefined): plain TF-IDF (smoothed
    IDF over the run's pages, no template rule) page to page, page to target site, site to
    site, and the Jaccard overlap of the two pages' term sets."""
    rows = con.execute("""
        SELECT coalesce(final_url, url), host, [t.term FOR t IN main_terms], [t.count FOR t IN main_terms]
        FROM read_parquet(?, hive_partitioning = true)
        WHERE status BETWEEN 200 AND 299 AND len(main_terms) > 0
    """, [str(WORK_OUT[0] / "pages" / "**" / "*.parquet")]).fetchall()  # fmt: skip
    vocabulary: dict[str, int] = {}
    r, c, v = [], [], []
    for i, (_, _, terms, counts) in enumerate(rows):
        for term, count in zip(terms, counts):
            r.append(i), c.append(vocabulary.setdefault(term, len(vocabulary))), v.append(count)
    counts = sparse.csr_array((np.array(v, float), (r, c)), shape=(len(rows), len(vocabulary)))
    df = np.bincount(np.array(c), minlength=len(vocabulary))
    idf = np.log((1 + len(rows)) / (1 + df)) + 1
    weights = counts.copy()
    weights.data = 1 + np.log(weights.data)
    weights = _unit(weights @ sparse.diags_array(idf))
    page = {url: i for i, (url, *_) in enumerate(rows)}
    hosts = sorted({h for _, h, *_ in rows})
    member = sparse.csr_array((np.ones(len(rows)), ([hosts.index(h) for _, h, *_ in rows], range(len(rows)))),
                              shape=(len(hosts), len(rows)))  # fmt: skip
    profiles = _unit(member @ weights)
    term_sets = [set(terms) for _, _, terms, _ in rows]
    names = ("tf-idf page to page", "tf-idf page to target site", "tf-idf site to site", "word overlap")
    out = {name: np.full(len(truth), np.nan) for name in names}
    for k, row in enumerate(truth):
        s, t = page.get(row["source_url"]), page.get(row["target_url"])
        site_s, site_t = hosts.index(row["source_host"]), hosts.index(row["target_host"])
        out["tf-idf site to site"][k] = _dot(profiles, site_s, profiles, site_t)
        if s is None:
            continue
        out["tf-idf page to target site"][k] = _dot(weights, s, profiles, site_t)
        if t is not None:
            out["tf-idf page to page"][k] = _dot(weights, s, weights, t)
            union = term_sets[s] | term_sets[t]
            out["word overlap"][k] = len(term_sets[s] & term_sets[t]) / len(union) if union else 0.0
    return out


def _unit(matrix: sparse.csr_array) -> sparse.csr_array:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1, norms, out=np.zeros_like(norms), where=norms > 0)
    return sparse.csr_array(sparse.diags_array(scale) @ matrix)


def _dot(a: sparse.csr_array, i: int, b: sparse.csr_array, j: int) -> float:
    return float((a[[i]] @ b[[j]].T).toarray()[0, 0])


WORK_OUT: list[Path] = []


def evaluate(out: Path, truth: list[dict]) -> list[dict]:
    """Return the table's rows: per measure and link set, n (scored links) and ROC AUC."""
    WORK_OUT[:] = [out]
    con = duckdb.connect()
    scored = con.execute("""
        SELECT source_url, target_url, any_value(relevance), any_value(site_relevance), any_value(relevance_basis)
        FROM read_parquet(?) GROUP BY 1, 2
    """, [str(out / "analysis" / f"run={RUN_ID}" / "link_scores.parquet")]).fetchall()  # fmt: skip
    by_key = {(s, t): (rel, site, basis) for s, t, rel, site, basis in scored}
    found = [by_key.get((row["source_url"], row["target_url"]), (None, None, None)) for row in truth]
    measures = {
        "site_relevance": np.array([np.nan if f[1] is None else f[1] for f in found]),
        "relevance": np.array([np.nan if f[0] is None else f[0] for f in found]),
        **baseline_scores(con, truth),
    }
    basis = np.array([f[2] or "" for f in found])
    same = np.array([row["same_topic"] for row in truth])
    general = np.array([row["general"] for row in truth])
    subsets = {"all added links": np.ones(len(truth), bool), "topical sites' links": ~general,
               "general site's links": general}  # fmt: skip
    table = []
    for name, values in measures.items():
        for subset, mask in subsets.items():
            table.append(_row(name, subset, values, same, mask))
        if name == "relevance":
            for kind in ("target_page", "target_site"):
                table.append(_row(name, f"basis {kind}", values, same, basis == kind))
    return table


def _row(measure: str, subset: str, values: np.ndarray, same: np.ndarray, mask: np.ndarray) -> dict:
    keep = mask & ~np.isnan(values)
    return {"measure": measure, "links": subset, "n": int(keep.sum()), "same_topic": int((keep & same).sum()),
            "auc": roc_auc(values[keep], same[keep])}  # fmt: skip


def print_table(table: list[dict], timings: dict[str, float], counts: dict[str, int]) -> None:
    print(f"\nhosts: {counts['hosts']}, pages crawled: {counts['pages']}, added links: {counts['links']}; "
          f"crawl {timings['crawl_s']:.1f} s, analyze {timings['analyze_s']:.1f} s\n")  # fmt: skip
    print("| measure | links | n | same-topic | ROC AUC |\n|---|---|---:|---:|---:|")
    for row in table:
        print(f"| {row['measure']} | {row['links']} | {row['n']} | {row['same_topic']} | {row['auc']:.3f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--pages", type=int, default=200, help="seed pages per host (default 200)")
    parser.add_argument("--seed", type=int, default=23, help="random seed of the sample and links")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--analyze-only", action="store_true",
                        help="reuse the crawl in --work (after a scorer change)")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="run linkspider from this checkout (default this one; e.g. a worktree "
                             "of main for the scores before a change)")
    parser.add_argument("--time-relevance", nargs=2, metavar=("DATASET", "RUN"),
                        help="only time the relevance step (topic_model, relevance_pairs) of --checkout "
                             "on that dataset's run, e.g. a copy of bench.analyze's scale crawl")
    args = parser.parse_args(argv)
    if args.time_relevance:
        time_relevance(Path(args.time_relevance[0]).resolve(), args.time_relevance[1], args.checkout)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="releval-"))
    ensure_packages(HOSTS)
    truth_file = work / "truth.json"
    if args.analyze_only:
        truth = json.loads(truth_file.read_text())
        timings = {"crawl_s": float("nan"), "analyze_s": run_analyze(work / "out", args.checkout)}
    else:
        rng = random.Random(args.seed)
        folders = {h.name: work / "sites" / h.name for h in HOSTS}
        shutil.rmtree(work / "sites", ignore_errors=True)
        paths = {h.name: copy_html(h, folders[h.name]) for h in HOSTS}
        seeds = choose_seeds(HOSTS, folders, paths, args.pages, rng)
        truth = add_links(HOSTS, folders, paths, seeds, rng)
        truth_file.write_text(json.dumps(truth))
        timings = crawl_and_analyze(work, folders, seeds, args.pages, args.checkout)
    table = evaluate(work / "out", truth)
    pages_glob = str(work / "out" / "pages" / "**" / "*.parquet")
    pages = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [pages_glob]).fetchall()[0][0]
    print_table(table, timings, {"hosts": len(HOSTS), "pages": pages, "links": len(truth)})
    if args.json:
        args.json.write_text(json.dumps({"timings": timings, "table": table}, indent=1))
    print(f"\nwork folder: {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

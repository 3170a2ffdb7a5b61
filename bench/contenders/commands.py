"""Command lines of the four contenders, and what each one's output holds afterwards.

Every contender fetches the same URL list (no link following: the same pages for all) with
the same concurrency in total and per host, no throttling, robots.txt obeyed, INFO logging,
and the ``BenchStats`` extension. ``CONTENDERS`` is the order of a round; rounds alternate it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STATS_EXTENSION = {"bench.contenders.stats.BenchStats": 900}
CONTENDERS = ("noop", "linkextractor", "advertools", "linkspider")


@dataclass
class Invocation:
    """How to start one contender run, and where it leaves its output."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    output: Path
    stats_dir: Path


def linkspider_extensions() -> dict[str, int]:
    """Return linkspider's own extensions plus ``BenchStats`` (``-s EXTENSIONS`` replaces the
    project's dict rather than adding to it)."""
    from linkspider import settings

    return {**getattr(settings, "EXTENSIONS", {}), **STATS_EXTENSION}


def clean_env(proxy_env: str | None = None) -> dict[str, str]:
    """Return the environment of a contender: no proxy or Scrapy variables inherited."""
    env = {
        k: v for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        and not k.startswith("SCRAPY_")
    }  # fmt: skip
    env["PYTHONPATH"] = str(ROOT)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONHASHSEED"] = "0"
    if proxy_env:
        env["http_proxy"] = proxy_env
    return env


def invocation(
    contender: str, *, urls_file: Path, run_dir: Path, concurrency: int,
    proxy: str | None, allowed_domains: list[str], linkspider_settings: list[str] = (),
    max_depth: int = 0, run_id: str = "bench",
) -> Invocation:  # fmt: skip
    """Return the invocation of ``contender`` for one run in ``run_dir``; linkspider's gets
    ``-s NAME=VALUE`` for each of ``linkspider_settings`` and follows links ``max_depth``
    clicks from the URLs of ``urls_file`` (0: fetches exactly those)."""
    stats_dir = run_dir / "stats"
    python = str(VENV_BIN / "python")
    if contender in ("noop", "linkextractor"):
        output = run_dir / "items.jl"
        command = [python, "-m", "bench.contenders.run_spider", contender,
                   "--urls-file", str(urls_file), "--stats-dir", str(stats_dir),
                   "--concurrency", str(concurrency)]  # fmt: skip
        if contender == "linkextractor":
            command += ["--feed", str(output)]
        # Through the environment, as for advertools: HttpProxyMiddleware then routes the
        # robots.txt requests too, which a per-request meta proxy would miss.
        return Invocation(command, clean_env(proxy_env=proxy), ROOT, output, stats_dir)
    if contender == "advertools":
        output = run_dir / "crawl.jl"
        command = [python, "-m", "bench.contenders.advertools_runner",
                   "--urls-file", str(urls_file), "--out", str(output),
                   "--stats-dir", str(stats_dir), "--concurrency", str(concurrency),
                   "--allowed-domains", ",".join(allowed_domains)]  # fmt: skip
        env = clean_env(proxy_env=proxy)
        env["SCRAPY_SETTINGS_MODULE"] = "bench.contenders.scrapy_defaults"
        return Invocation(command, env, run_dir, output, stats_dir)
    if contender == "linkspider":
        output = run_dir / "out"
        command = [python, "-m", "linkspider", "crawl", "--seeds-file", str(urls_file),
                   "--out", str(output), "--run-id", run_id, "--max-depth", str(max_depth),
                   "--max-pages-per-site", "0", "--concurrency", str(concurrency),
                   "--no-throttle", "--allow-private-addresses", "--log-level", "INFO",
                   "-s", f"EXTENSIONS={json.dumps(linkspider_extensions())}",
                   "-s", f"BENCH_STATS_DIR={stats_dir}"]  # fmt: skip
        if proxy:
            command += ["--proxy", proxy]
        for setting in linkspider_settings:
            command += ["-s", setting]
        return Invocation(command, clean_env(), ROOT, output, stats_dir)
    raise ValueError(f"unknown contender {contender!r}; choose from {', '.join(CONTENDERS)}")


def count_output_links(contender: str, output: Path, crawl_stats: list[dict]) -> int:
    """Return how many links the contender's output holds."""
    if contender == "noop":
        return 0
    if contender == "linkspider":
        return sum(int(s["stats"].get("linkspider/links_rows_written", 0)) for s in crawl_stats)
    if contender == "linkextractor":
        return sum(int(s["stats"].get("item_scraped_count", 0)) for s in crawl_stats)
    links = 0
    if output.exists():
        with open(output, encoding="utf-8") as handle:
            for line in handle:
                urls = json.loads(line).get("links_url")
                if urls:
                    links += len(urls.split("@@"))
    return links

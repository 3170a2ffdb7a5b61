"""Crawl the hostile web (``linkspider.web.hostile``) case by case and print what each cost.

Usage::

    nice .venv/bin/python -m bench.hostile                  # every case, this tree's crawler
    nice .venv/bin/python -m bench.hostile --code /tmp/main  # another tree's crawler (before)
    nice .venv/bin/python -m bench.hostile --cases deep-site,trap-vm
    nice .venv/bin/python -m bench.hostile --cases links-5x900k --set LINKSPIDER_MAX_LINKS_PER_PAGE=20000

The hostile web always comes from this tree; ``--code`` only picks the crawler that runs
(``python -m linkspider crawl`` with that directory first on the path), so one table can be
made for the code before and after a change. Each crawl goes through the local web as a proxy
with private addresses allowed, and is stopped at ``--timeout`` (SIGINT, then SIGKILL 15 s
later). Peak RSS is the crawl process's own (``wait4``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds

from linkspider.web.hostile import HostileConfig, HostileWeb
from linkspider.web.server import LocalWebProcess

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Case:
    """One crawl of the hostile web and the row whose status and error the table shows."""

    name: str
    seeds: list[str]
    watch: str | None = None
    args: list[str] = field(default_factory=list)
    timeout: float | None = None


CASES = [
    Case("deep-site", ["http://deep.test/"], "http://deep.test/deep.html"),
    Case("trap-vm", ["http://vm/"], None, ["-s", "CLOSESPIDER_TIMEOUT=60"]),
    Case("trap-vm-50", ["http://vm/?links=50"], None, ["-s", "CLOSESPIDER_TIMEOUT=60"]),
    Case("trap-github.io", ["http://github.io/"], None, ["-s", "CLOSESPIDER_TIMEOUT=60"]),
    Case("trap-test", ["http://trap.test/"], None, ["-s", "CLOSESPIDER_TIMEOUT=60"]),
    Case("links-300k", ["http://hostile.test/links?n=300000"], "http://hostile.test/links?n=300000",
         ["--max-depth", "0"]),
    Case("links-500k", ["http://hostile.test/links?n=500000"], "http://hostile.test/links?n=500000",
         ["--max-depth", "0"]),
    Case("links-5x900k", ["http://hostile.test/links-index?pages=5&n=900000"], None,
         ["--max-depth", "1"]),
    Case("headers-24MB", ["http://hostile.test/headers?bytes=25165824"],
         "http://hostile.test/headers?bytes=25165824"),
    Case("grow-url", ["http://hostile.test/grow/x"], None, ["--max-depth", "20"]),
    Case("no-length", ["http://hostile.test/nolength?bytes=20971520"],
         "http://hostile.test/nolength?bytes=20971520"),
    Case("short-body", ["http://hostile.test/shortbody?length=100000"],
         "http://hostile.test/shortbody?length=100000"),
    Case("redirect-file", ["http://hostile.test/redirect/file"], "http://hostile.test/redirect/file"),
    Case("redirect-data", ["http://hostile.test/redirect/data"], "http://hostile.test/redirect/data"),
    Case("redirect-ftp", ["http://hostile.test/redirect/ftp"], "http://hostile.test/redirect/ftp"),
    # 1 GiB for gzip and deflate: zlib takes 40 s to compress 10 GiB (brotli 1 s).
    Case("bomb-gzip", ["http://hostile.test/bomb/gzip?size=1073741824"],
         "http://hostile.test/bomb/gzip?size=1073741824"),
    Case("bomb-deflate", ["http://hostile.test/bomb/deflate?size=1073741824"],
         "http://hostile.test/bomb/deflate?size=1073741824"),
    Case("bomb-br", ["http://hostile.test/bomb/br?size=10737418240"],
         "http://hostile.test/bomb/br?size=10737418240"),
    Case("slowloris", ["http://hostile.test/slow?seconds=60"], "http://hostile.test/slow?seconds=60",
         ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0"]),
]


def crawl(code: Path, case: Case, proxy: str, out: Path, timeout: float,
          settings: list[str] = ()) -> dict:  # fmt: skip
    """Run one crawl of ``case`` with the crawler in ``code`` (and ``settings``, each
    ``NAME=VALUE``); return its measurements."""
    extra = [arg for setting in settings for arg in ("-s", setting)]
    command = [sys.executable, "-m", "linkspider", "crawl", *case.seeds, "--proxy", proxy,
               "--allow-private-addresses", "--out", str(out), "--no-throttle",
               "--concurrency", "8", "--log-level", "WARNING", "--quiet", *case.args, *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=code, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    stopped = None
    deadline = start + (case.timeout or timeout) + 15  # CLOSESPIDER_TIMEOUT's own stop
    # Reaped with wait4 (not Popen.poll) to read the process's own peak RSS.
    pid, status, usage = _wait_until(process.pid, deadline)
    if pid == 0:  # a frozen crawl: does a signal still stop it?
        process.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        pid, status, usage = _wait_until(process.pid, stopped + 15)
        if pid == 0:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    result = {"case": case.name, "wall_s": wall, "rc": process.returncode,
              "rss_mb": usage.ru_maxrss / 1024,
              "sigint": None if stopped is None else time.monotonic() - stopped}
    result["sigint_stopped"] = stopped is not None and process.returncode != -signal.SIGKILL
    result.update(_dataset_facts(out, case.watch))
    result["stderr_tail"] = stderr.strip().splitlines()[-1:] if stderr.strip() else []
    return result


def _wait_until(pid: int, deadline: float) -> tuple[int, int, object]:
    """Return ``os.wait4``'s answer for ``pid`` once it exits, or ``(0, 0, None)`` at
    ``deadline``."""
    while True:
        answer = os.wait4(pid, os.WNOHANG)
        if answer[0] != 0 or time.monotonic() >= deadline:
            return answer
        time.sleep(0.1)


def _dataset_facts(out: Path, watch: str | None) -> dict:
    facts: dict = {"pages": 0, "links": 0}
    if not (out / "pages").exists():
        return facts
    pages = ds.dataset(out / "pages", format="parquet", partitioning="hive").to_table()
    facts["pages"] = pages.num_rows
    if (out / "links").exists():
        facts["links"] = ds.dataset(out / "links", format="parquet", partitioning="hive").count_rows()
    rows = pages.to_pylist()
    if watch is not None:
        for row in rows:
            if row["url"] == watch:
                facts["status"] = row.get("status")
                facts["error"] = row.get("error")
                for extra in ("drop_reason", "links_truncated", "links_over_budget"):
                    if extra in row:
                        facts[extra] = row[extra]
                break
    for extra in ("drop_reason",):
        reasons = [row.get(extra) for row in rows if row.get(extra)]
        if reasons:
            facts[f"{extra}s"] = sorted({r for r in reasons})
    return facts


def parse_times(code: Path, depths: list[int], timeout: float) -> list[dict]:
    """Time the parse of one ``depth``-deep page each (``parse_document``, else
    ``extract_page``), in a fresh process of ``code``; the hostile web comes from this tree."""
    rows = []
    for depth in depths:
        script = (
            "import time\nfrom linkspider.web.hostile import deep_page\n"
            "try:\n    from linkspider.extraction.parsing import parse_document\n"
            "    parse = lambda html: parse_document(html).extracted\n"
            "except ImportError:  # the code before the nesting cap\n"
            "    from linkspider.extraction.page import extract_page\n"
            "    parse = lambda html: extract_page(html, context=None)\n"
            f"html = deep_page({depth})\nt = time.process_time()\n"
            "page = parse(html)\n"
            "print(time.process_time() - t, len(html), len(page.hrefs))\n"
        )
        env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{ROOT}"}
        try:
            done = subprocess.run([sys.executable, "-c", script], cwd=code, env=env, timeout=timeout,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            cpu, size, links = done.stdout.split()
            rows.append({"depth": depth, "bytes": int(size), "cpu_s": float(cpu), "links": int(links)})
        except subprocess.TimeoutExpired:
            rows.append({"depth": depth, "bytes": len(b"<div>") * depth * 2, "cpu_s": None,
                         "links": None, "note": f"> {timeout:.0f} s"})  # fmt: skip
        except ValueError:
            rows.append({"depth": depth, "error": done.stderr.strip().splitlines()[-1:]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="tree whose crawler runs")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per crawl")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every crawl (repeatable)")
    parser.add_argument("--depths", default="50000,100000,200000",
                        help="nesting depths timed by the parse case")
    args = parser.parse_args(argv)
    wanted = set(args.cases.split(",")) if args.cases else None
    print(f"crawler code: {args.code}")
    if wanted is None or "parse" in wanted:
        for row in parse_times(args.code, [int(d) for d in args.depths.split(",")], args.timeout):
            print("parse", row, flush=True)
    cases = [c for c in CASES if wanted is None or c.name in wanted]
    if not cases:
        return 0
    with LocalWebProcess(HostileWeb(HostileConfig())) as web, \
            tempfile.TemporaryDirectory(prefix="bench-hostile-") as work:  # fmt: skip
        for case in cases:
            result = crawl(args.code, case, web.proxy_url, Path(work) / case.name, args.timeout,
                           args.set)  # fmt: skip
            print(_row(result), flush=True)
    return 0


def _row(result: dict) -> str:
    parts = [f"{result['case']:<15}", f"wall {result['wall_s']:6.1f} s"]
    if result.get("rss_mb") is not None:
        parts.append(f"rss {result['rss_mb']:7.0f} MB")
    parts.append(f"rc {result['rc']}")
    if result.get("sigint") is not None:
        parts.append(f"SIGINT at timeout, exited {result['sigint']:.1f} s later"
                     if result["sigint_stopped"] else "SIGINT ignored, killed")  # fmt: skip
    parts.append(f"pages {result['pages']} links {result['links']}")
    for key in ("status", "error", "drop_reason", "links_truncated", "links_over_budget",
                "drop_reasons"):  # fmt: skip
        if key in result:
            parts.append(f"{key}={result[key]!r}")
    if result.get("rc") not in (0, None) and result.get("stderr_tail"):
        parts.append(f"stderr: {result['stderr_tail'][0][:160]}")
    return " | ".join(parts)


if __name__ == "__main__":
    sys.exit(main())

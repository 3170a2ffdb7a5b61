"""A/B of linkspider's one-core work between two revisions, in alternating processes.

On a shared machine the speed drifts by more than most single changes are worth, so both sides
run in the same minutes: ``bench.pipeline`` of the base revision (a git worktree under
``bench/work/ab``) and of the working tree take turns, the order flipping each round. Prints
the best and median pass of each side, their ratio, and the best pass's stage times per page.

``python -m bench.ab --base REV [--target world|docs] [--rounds 6] [--passes 3]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.targets import DOCS_ROOT, ROOT

DOCS_BASE = "http://docs.test/"


def url_file(target: str, work: Path) -> Path:
    """Write the URLs the one-core benchmark reads for ``target``; return the file."""
    if target == "docs":
        pages = sorted(p.relative_to(DOCS_ROOT).as_posix() for p in DOCS_ROOT.rglob("*.html"))
        urls = [DOCS_BASE + page for page in pages]
    else:
        from bench.targets import WorldTarget

        urls = WorldTarget(work).urls()  # the URL list only: no server is started
    path = work / f"urls-{target}.txt"
    path.write_text("\n".join(urls), encoding="utf-8")
    return path


def worktree(rev: str, work: Path) -> Path:
    """Return a checkout of ``rev``: a detached git worktree, removed by ``drop_worktree``."""
    path = work / "base"
    drop_worktree(path)
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(path), rev],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return path


def drop_worktree(path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)


def run_side(tree: Path, target: str, urls: Path, passes: int, out: Path) -> list[dict]:
    command = [sys.executable, "-m", "bench.pipeline", "--target", target, "--urls-file", str(urls),
               "--out", str(out), "--passes", str(passes)]  # fmt: skip
    if target == "docs":
        command += ["--docs-base", DOCS_BASE]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["passes"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--target", choices=("world", "docs"), default="world")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    work = ROOT / "bench" / "work" / "ab"
    work.mkdir(parents=True, exist_ok=True)
    urls = url_file(args.target, work)
    sides = {"base": worktree(args.base, work), "change": ROOT}
    passes: dict[str, list[dict]] = {"base": [], "change": []}
    try:
        for i in range(args.rounds):
            for side in ("base", "change") if i % 2 == 0 else ("change", "base"):
                out = work / f"out-{side}"
                passes[side] += run_side(sides[side], args.target, urls, args.passes, out)
    finally:
        drop_worktree(sides["base"])
        shutil.rmtree(work / "out-base", ignore_errors=True)
        shutil.rmtree(work / "out-change", ignore_errors=True)
    summary = {}
    for side, runs in passes.items():
        seconds = sorted(run["seconds"] for run in runs)
        best = min(runs, key=lambda run: run["seconds"])
        summary[side] = (seconds[0], statistics.median(seconds))
        stages = {name.split()[0]: f"{value * 1e6 / best['pages']:.1f}"
                  for name, value in best["stage_seconds"].items()}  # fmt: skip
        print(f"{side:6s} best {seconds[0]:.3f} s ({best['links'] / seconds[0]:,.0f} links/s), "
              f"median {summary[side][1]:.3f} s; us/page in the best pass: {stages}")  # fmt: skip
    base, change = summary["base"], summary["change"]
    print(f"change / base time: best {change[0] / base[0]:.3f}, median {change[1] / base[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

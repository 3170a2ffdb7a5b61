"""A/B of linkspider's one-core work between a base revision and the working tree.

On a shared machine the speed drifts by more than most single changes are worth, so both sides
run in the same minutes, in alternating processes (the order flipping each round): the base
revision checked out into a temporary git worktree, and the working tree. Both run the working
tree's harness (``bench/pipeline.py``, by path), so a harness mended since the base still
measures the base's code. Prints each side's CPU per page and the ratio working / base: the
median of the rounds' ratios (each round: the best pass of each side) and their spread.

``python -m bench.ab --base REV [--target docs|world] [--pages 300] [--rounds 4] [--passes 2]
[--docs-root DIR] [--setting NAME=VALUE ...] [--base-setting NAME=VALUE ...]``

The default (the first 300 pages of the Python docs, 4 rounds of 2 passes) takes under a
minute on one core.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.pipeline import DOCS_BASE, parse_setting

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(__file__).resolve().parent / "pipeline.py"
DOCS_ROOT = Path("/usr/share/doc/python3.11/html")
#: Runs the harness file as ``__main__`` with the side's tree first on ``sys.path`` (``-c``
#: puts the working directory there), so ``linkspider`` and ``pipelines`` are that tree's.
_RUN_HARNESS = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


class ABError(Exception):
    """The comparison cannot run (its message says why)."""


def world_url_file(work: Path) -> Path:
    """Write the world's URLs the one-core benchmark reads; return the file."""
    from bench.targets import WorldTarget

    path = work / "urls-world.txt"
    path.write_text("\n".join(WorldTarget(work).urls()), encoding="utf-8")  # no server started
    return path


def add_worktree(rev: str, path: Path) -> Path:
    """Check ``rev`` out, detached, into a new git worktree at ``path``; return ``path``."""
    done = subprocess.run(["git", "worktree", "add", "--detach", "-f", str(path), rev],
                          cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git worktree add failed"])[-1]
        raise ABError(f"cannot check out {rev!r}: {message}")
    return path


def build_extensions(tree: Path) -> None:
    """Build ``tree``'s C extensions in place (the nesting scan), when it has any: a side
    without them would measure its Python fallback. Where a source and ``setup.py`` are the
    same as the working tree's and the working tree's module is built, that is copied instead
    (the same compiler gives the same code; a compile costs seconds)."""
    sources = list((tree / "linkspider").rglob("*.c"))
    if not sources:
        return
    if tree.resolve() != ROOT.resolve() and _copy_built(tree, sources):
        return
    done = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=tree,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["build_ext failed"])[-1]
        raise ABError(f"cannot build the C extensions of {tree}: {message}")


def _copy_built(tree: Path, sources: list[Path]) -> bool:
    """Copy the working tree's built modules of ``sources`` into ``tree`` when every source and
    ``setup.py`` are byte for byte the working tree's; return whether all were copied."""
    if not (ROOT / "setup.py").is_file() or (tree / "setup.py").read_bytes() != (ROOT / "setup.py").read_bytes():
        return False
    copies = []
    for source in sources:
        mine = ROOT / source.relative_to(tree)
        built = sorted(mine.parent.glob(f"{mine.stem}.*.so"))
        if not mine.is_file() or mine.read_bytes() != source.read_bytes() or not built:
            return False
        copies += [(module, source.parent / module.name) for module in built]
    for module, target in copies:
        shutil.copy2(module, target)
    return True


def drop_worktree(path: Path) -> None:
    """Remove the worktree at ``path`` and git's record of it."""
    done = subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def run_side(tree: Path, harness_args: list[str], out: Path) -> dict:
    """Run the harness over ``tree``'s code in a process of its own; return its JSON."""
    command = [sys.executable, "-c", _RUN_HARNESS, str(HARNESS), *harness_args, "--out", str(out)]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise ABError(f"bench.pipeline failed over {tree}: {last}")
    result = json.loads(done.stdout)
    if Path(result["code"]) != tree.resolve():
        raise ABError(f"the harness ran {result['code']}'s code, not {tree}'s")
    return result


def harness_arguments(args: argparse.Namespace, work: Path) -> list[str]:
    """Return the ``bench.pipeline`` arguments both sides get."""
    common = ["--target", args.target, "--passes", str(args.passes), "--pages", str(args.pages)]
    for name, value in args.setting:
        common += ["--setting", f"{name}={value}"]
    if args.target == "docs":
        root = Path(args.docs_root)
        if not (root / "index.html").exists() and not any(root.glob("*.html")):
            raise ABError(f"no pages at {root}: apt-get install -y python3.11-doc, "
                          "or pass --docs-root DIR")  # fmt: skip
        return common + ["--docs-root", str(root), "--docs-base", DOCS_BASE]
    return common + ["--urls-file", str(world_url_file(work))]


def compare(args: argparse.Namespace) -> None:
    """Run the rounds and print the table and the ratio."""
    with tempfile.TemporaryDirectory(prefix="linkspider-ab-") as tmp:
        work = Path(tmp)
        common = harness_arguments(args, work)
        side_args = {"working": common,
                     "base": common + [f"--setting={n}={v}" for n, v in args.base_setting]}  # fmt: skip
        trees = {"base": add_worktree(args.base, work / "base"), "working": ROOT}
        rounds: list[dict[str, dict]] = []
        try:
            for tree in trees.values():
                build_extensions(tree)
            for i in range(args.rounds):
                order = ("base", "working") if i % 2 == 0 else ("working", "base")
                rounds.append({side: run_side(trees[side], side_args[side], work / f"out-{side}")
                               for side in order})  # fmt: skip
        finally:
            drop_worktree(trees["base"])
    first = rounds[0]["base"]["passes"][0]
    print(f"{args.target}: {first['pages']} pages, {first['links']:,} links a pass; "
          f"{args.rounds} rounds x {args.passes} passes a side, alternating processes, one core")
    for side in ("base", "working"):
        cpu = [p["cpu_us_per_page"] for r in rounds for p in r[side]["passes"]]
        best = min((p for r in rounds for p in r[side]["passes"]), key=lambda p: p["cpu_seconds"])
        stages = ", ".join(f"{name.split()[0]} {value * 1e6 / best['pages']:.0f}"
                           for name, value in best["stage_seconds"].items())  # fmt: skip
        print(f"{side:8s} CPU us/page: best {min(cpu):,.0f}, median {statistics.median(cpu):,.0f}"
              f" (best pass, wall us/page: {stages})")  # fmt: skip
    ratios = [min(p["cpu_us_per_page"] for p in r["working"]["passes"])
              / min(p["cpu_us_per_page"] for p in r["base"]["passes"]) for r in rounds]  # fmt: skip
    print(f"per-page CPU ratio working/base: {statistics.median(ratios):.3f} "
          f"(rounds: min {min(ratios):.3f}, max {max(ratios):.3f}; "
          f"{' '.join(f'{r:.3f}' for r in ratios)})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--target", choices=("docs", "world"), default="docs")
    parser.add_argument("--pages", type=int, default=300, help="the first N pages (0: all)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--docs-root", default=str(DOCS_ROOT))
    parser.add_argument("--setting", type=parse_setting, action="append", default=[],
                        metavar="NAME=VALUE", help="a setting for both sides (repeatable)")  # fmt: skip
    parser.add_argument("--base-setting", type=parse_setting, action="append", default=[],
                        metavar="NAME=VALUE", help="a setting for the base side only (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.passes < 1:
        parser.error("--rounds and --passes must be at least 1")
    try:
        compare(args)
    except ABError as exc:
        print(f"bench.ab: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where linkspider's crawl spends its time: py-spy samples of one crawl, summarized.

``profile_command`` runs a command under ``py-spy record --format raw`` (collapsed stacks);
``summarize`` turns those into the top functions by self time and by inclusive time, and the
share of a few stages (extraction, URL resolution, normalization, Parquet export, Scrapy and
Twisted themselves).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

#: Stage -> (function, file suffix) frames whose inclusive time is that stage; the frame
#: nearest the leaf decides, so extract_page inside parse_page counts as extraction.
STAGES = {
    "extract_page (lexbor parse, links, regions, dom_path)": [("extract_page", "linkspider/extraction/page.py")],
    "fill_link_contexts (context, word count)": [("fill_link_contexts", "linkspider/extraction/page.py")],
    "resolve_links (ada join, host, domain)": [("resolve_links", "linkspider/extraction/links.py")],
    "follow (requests for in-scope links)": [("_follow", "linkspider/spiders/backlinks.py")],
    "rest of parse_page (decode, sha1, page facts)": [("parse_page", "linkspider/spiders/backlinks.py")],
    "normalize pipeline (anchor, rel, follow)": [("process_item", "pipelines/normalize.py")],
    "dedupe pipeline": [("process_item", "pipelines/dedupe.py")],
    "parquet export (buffers, Arrow, zstd write)": [("process_item", "pipelines/parquet.py"),
                                                    ("close_spider", "pipelines/parquet.py")],
}
REST = "Scrapy, Twisted and the rest (download, scheduling, middlewares, start-up)"


def profile_command(command: list[str], *, output: Path, cwd: Path, env: dict[str, str],
                    rate: int = 250, timeout: float = 600) -> Path:  # fmt: skip
    """Run ``command`` under py-spy, writing collapsed stacks to ``output``; return it."""
    py_spy = Path(command[0]).parent / "py-spy"
    subprocess.run(
        [str(py_spy), "record", "--format", "raw", "--rate", str(rate), "--output", str(output),
         "--", *command],
        cwd=cwd, env=env, check=True, timeout=timeout,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return output


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw)
        if match:
            frames.append((match["func"], match["file"]))
        else:
            frames.append((raw, ""))
    return frames


def _short(func: str, file: str) -> str:
    path = file.split("site-packages/")[-1] if "site-packages/" in file else file
    path = path.split("/work/main/")[-1]
    return f"{func} ({path})"


def summarize(collapsed: Path, top: int = 15, stages_of: dict | None = None,
              rest: str = REST) -> dict:  # fmt: skip
    """Return self/inclusive top functions and stage shares of a py-spy raw profile
    (``stages_of``: stage -> frames, as ``STAGES``; ``rest``: the name of what no stage holds)."""
    stages_of = STAGES if stages_of is None else stages_of
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = _frames(stack)
        self_time[_short(*frames[-1])] += count
        for name in {_short(*f) for f in frames}:
            inclusive[name] += count
        stage = rest
        for func, file in reversed(frames):
            hit = next((name for name, wanted in stages_of.items()
                        if any(func.rpartition(".")[2] == f and file.endswith(suffix)
                               for f, suffix in wanted)), None)  # fmt: skip
            if hit:
                stage = hit
                break
        stages[stage] += count
    project = [(n, c) for n, c in inclusive.most_common()
               if "linkspider/" in n or "pipelines/" in n][:top]  # fmt: skip
    return {
        "samples": total,
        "stages": {k: v / total for k, v in stages.most_common()} if total else {},
        "top_self": [(n, c / total) for n, c in self_time.most_common(top)] if total else [],
        "top_inclusive_project": [(n, c / total) for n, c in project] if total else [],
    }

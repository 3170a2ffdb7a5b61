"""The demo's last steps (``linkspider demo``): check the run's targets, analyze it when
``linkspider analyze`` exists, and write ``<out>/report.html`` (and ``report.json``)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any


def check_demo_targets(stats: dict[str, Any], proxy: str) -> None:
    """Check the demo run's external targets through the local web's proxy."""
    from linkspider.targets.cli import check_after_crawl

    check_after_crawl(stats["linkspider/output_dir"], stats["linkspider/run_id"],
                      ["--proxy", proxy, "--allow-private-addresses", "--quiet", "--log-level", "ERROR"])  # fmt: skip


def write_demo_report(stats: dict[str, Any]) -> Path | None:
    """Analyze the demo run (when the analysis exists) and write its HTML report; return the
    report's path, or None when it could not be written (said on stderr)."""
    from linkspider.htmlreport.build import build_report, write_report
    from linkspider.htmlreport.dataset import ReportError

    root, run_id = Path(stats["linkspider/output_dir"]), stats["linkspider/run_id"]
    if importlib.util.find_spec("linkspider.analysis") is not None:
        result = subprocess.run([sys.executable, "-m", "linkspider", "analyze", "--out", str(root), "--run", run_id,
                                 "--quiet"], capture_output=True, text=True, check=False)  # fmt: skip
        if result.returncode:
            print(f"linkspider demo: analyze failed (exit {result.returncode}): {result.stderr.strip()[-500:]}",
                  file=sys.stderr)  # fmt: skip
    html, figures_json = root / "report.html", root / "report.json"
    try:
        write_report(build_report(root, run_id), html, figures_json)
    except (ReportError, OSError) as exc:
        print(f"linkspider demo: no HTML report: {exc}", file=sys.stderr)
        return None
    print(f"HTML report: {html.absolute()} (open it in a browser; the same numbers: {figures_json})")
    return html

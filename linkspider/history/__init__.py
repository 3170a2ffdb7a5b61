"""Links across scheduled runs: identity and pairing, the ``link_changes`` of each
step, the ``link_history`` of every link, and the backlink monitor. Reads only the dataset.

- ``identity``: what a link is across runs, live, lost reasons;
- ``queries``: every SQL statement, named;
- ``fold``: one step (history before + a run -> history after + the run's changes);
- ``update``: keep link_history current (``update_after_run``, the crawl's hook);
- ``diff``: ``linkspider diff`` and its summary;
- ``monitor``: ``linkspider monitor``.
"""

from __future__ import annotations

from typing import Any

# ``diff`` (the function) lives in ``linkspider.history.diff``, a name the submodule takes here.
__all__ = ["DiffSummary", "HistoryError", "comparable_runs", "update_after_run", "update_history"]

_HOMES = {"DiffSummary": "diff", "HistoryError": "fold", "comparable_runs": "update",
          "update_after_run": "update", "update_history": "update"}  # fmt: skip


def __getattr__(name: str) -> Any:
    # Lazy, so `linkspider crawl` (which registers the history's subcommands) never loads DuckDB.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"linkspider.history.{_HOMES[name]}"), name)
    raise AttributeError(name)

"""Links across scheduled runs (issue 10): identity and pairing, the ``link_changes`` of each
step, the ``link_history`` of every link, and the backlink monitor. Reads only the dataset.

- ``identity``: what a link is across runs, live, lost reasons;
- ``queries``: every SQL statement, named;
- ``fold``: one step (history before + a run -> history after + the run's changes);
- ``update``: keep link_history current (``update_after_run``, the crawl's hook);
- ``diff``: ``linkspider diff`` and its summary;
- ``monitor``: ``linkspider monitor``.
"""

from linkspider.history.diff import DiffSummary, diff
from linkspider.history.fold import HistoryError
from linkspider.history.update import comparable_runs, update_after_run, update_history

__all__ = ["DiffSummary", "HistoryError", "comparable_runs", "diff", "update_after_run", "update_history"]

"""What a rendering crawl leaves behind: the browser's processes, ended before the crawl exits.

scrapy-playwright closes the browser when the engine stops, but Chromium's helper processes
(renderers, the GPU and zygote processes) and Playwright's driver exit on their own time after
that; on a loaded machine, later than the crawl, and a helper whose parent went first is
handed to init, out of the crawl's sight. So a rendering crawl makes itself its descendants'
subreaper (:func:`adopt_orphans`: orphans are handed to it instead), and after the engine has
stopped it waits for its descendants, then kills what is left (:func:`end_descendants`). Linux
only (``prctl``, ``/proc``); elsewhere nothing is done.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress

__all__ = ["adopt_orphans", "descendants", "end_descendants"]

_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the subreaper of its descendants; return whether that worked."""
    with suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return False


def _parents() -> dict[int, int]:
    """Return every process's parent pid, from ``/proc`` (empty where there is none)."""
    parents = {}
    with suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            with suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{name}/stat", "rb") as handle:
                    stat = handle.read()
                # the command name in parentheses may hold spaces: the fields follow its ')'
                fields = stat[stat.rindex(b")") + 2:].split()
                if fields[0] != b"Z":  # a zombie has exited already
                    parents[int(name)] = int(fields[1])
    return parents


def descendants(root: int) -> set[int]:
    """Return the pids of the live processes whose parent chain leads to ``root``."""
    parents = _parents()
    found = set()
    for pid in parents:
        parent = parents.get(pid)
        seen = 0
        while parent not in (None, 0, 1) and seen < 64:
            if parent == root:
                found.add(pid)
                break
            parent, seen = parents.get(parent), seen + 1
    return found


def _reap() -> None:
    """Collect the exit status of this process's ended children (no zombies left)."""
    with suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def end_descendants(grace: float = 5.0) -> int:
    """Wait up to ``grace`` seconds for this process's descendants to exit, then SIGKILL those
    left; return how many had to be killed."""
    me = os.getpid()
    deadline = time.monotonic() + grace
    while True:
        _reap()
        left = descendants(me)
        if not left:
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    for pid in left:
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.05)
    _reap()
    return len(left)

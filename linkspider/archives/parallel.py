"""Several processes on one extract run: the files shared out, worker processes started and
waited for, what they report read back.

The process that runs ``linkspider extract`` keeps the run's record; each worker is
``linkspider extract --worker-spec FILE``: it joins the run (same run id, same staging
directory, part files named by its own writer id), reads its share of the files and writes
which of them it could not read whole into a result file next to its spec. Specs and results
are JSON: nothing is unpickled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from linkspider.runs.context import RunContext


@dataclass
class WorkerSpec:
    """What a worker process of an extract run reads and where it writes."""

    root: str
    run_id: str
    crawl_date: str
    started_at: str
    files: list[str]
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str) -> WorkerSpec:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{**values, "path": path})

    def write(self, path: Path) -> None:
        self.path = str(path)
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    def context(self) -> RunContext:
        return RunContext(Path(self.root), self.run_id, self.crawl_date,
                          datetime.fromisoformat(self.started_at), shared=True)  # fmt: skip

    @property
    def result_path(self) -> Path:
        return Path(self.path).with_suffix(".result.json")

    def write_result(self, errors: list[str]) -> None:
        self.result_path.write_text(json.dumps({"errors": errors}), encoding="utf-8")

    def read_errors(self) -> list[str] | None:
        try:
            return list(json.loads(self.result_path.read_text(encoding="utf-8"))["errors"])
        except (OSError, ValueError, KeyError):
            return None


def share_files(files: list[str], processes: int) -> list[list[str]]:
    """Return ``files`` shared into at most ``processes`` lists of about equal bytes (largest
    first onto the lightest share); the first share is the calling process's."""
    count = max(1, min(processes, len(files)))
    shares: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for name in sorted(files, key=lambda f: -_size(f)):
        lightest = loads.index(min(loads))
        shares[lightest].append(name)
        loads[lightest] += _size(name) or 1
    order = {name: i for i, name in enumerate(files)}
    return [sorted(share, key=order.__getitem__) for share in shares if share]


def _size(name: str) -> int:
    try:
        return os.stat(name).st_size
    except OSError:
        return 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Have the kernel kill a worker when the extract that started it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Workers:
    """The worker processes of a run, started from specs in its staging directory."""

    def __init__(self, context: RunContext, shares: list[list[str]], overrides: dict[str, Any]) -> None:
        self.context = context
        self.specs: list[WorkerSpec] = []
        self.processes: list[subprocess.Popen] = []
        self.shares = shares
        self.overrides = overrides

    def start(self) -> None:
        staging = self.context.staging
        staging.mkdir(parents=True, exist_ok=True)
        for number, share in enumerate(self.shares, start=1):
            spec = WorkerSpec(str(self.context.root), self.context.run_id, self.context.crawl_date,
                              self.context.started_at.isoformat(), share)  # fmt: skip
            spec.write(staging / f"extract-worker-{os.getpid()}-{number}.json")
            argv = [sys.executable, "-m", "linkspider", "extract", "--worker-spec", spec.path,
                    "--quiet"]  # fmt: skip
            for name, value in self.overrides.items():
                argv += ["-s", f"{name}={value}"]
            self.specs.append(spec)
            self.processes.append(subprocess.Popen(argv, preexec_fn=_die_with_parent))

    async def wait(self) -> list[tuple[WorkerSpec, int]]:
        """Wait for every worker; return each one's spec and exit code."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, task

        while any(p.poll() is None for p in self.processes):
            await maybe_deferred_to_future(task.deferLater(reactor, 0.1, lambda: None))
        return [(spec, p.returncode) for spec, p in zip(self.specs, self.processes)]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)


def note_damaged_files(root: str, run_id: str, errors: list[str]) -> None:
    """Record on the run that some files could not be read whole (exit code 6)."""
    from dataclasses import replace

    from linkspider.runs.exitcodes import ExitCode
    from linkspider.runs.records import read_run_record, write_run_record

    record = read_run_record(Path(root), run_id)
    if record is None:
        return
    text = f"{len(errors)} archive file(s) could not be read whole: " + "; ".join(errors[:20])
    write_run_record(Path(root), replace(record, exit_code=int(ExitCode.ARCHIVE_DAMAGED), error=text))

"""``linkspider extract --spark MASTER``: the files of an extract as the tasks of a PySpark job.

The driver is an ordinary extract (``linkspider.archives.cli``): it makes the run, keeps its
record and counts what is on disk at the end. Its workers are Spark tasks instead of local
processes: the file list is partitioned one file per task, and each task runs the worker
command (``linkspider extract --worker-spec``) on its executor, so each writes its Parquet parts
into the run with the same atomic renames as a local worker. The dataset root must be a
filesystem every executor sees (a local disk for ``local[N]``; NFS, a mounted bucket or HDFS
FUSE on a cluster). Archive paths may be local, ``file://`` or any URI pyarrow's filesystems
open (``s3://``, ``gs://``, ``hdfs://``): a task copies such a file to its local temp directory
before reading it; the page rows keep the URI as ``warc_filename``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from linkspider.archives.parallel import Piece, WorkerSpec, spec_for
from linkspider.runs.context import RunContext


def is_remote(path: str) -> bool:
    """Return True for a URI that names a file on another filesystem than this one.

    >>> is_remote("s3://commoncrawl/crawl-data/x.warc.gz"), is_remote("/data/x.warc.gz")
    (True, False)
    """
    scheme = urlparse(path).scheme
    return len(scheme) > 1 and scheme != "file"


def local_path(path: str) -> str:
    """Return ``file://`` URIs as plain paths."""
    return urlparse(path).path if path.startswith("file://") else path


def fetch_to(path: str, directory: str) -> str:
    """Copy the archive at URI ``path`` into ``directory`` (http(s) with urllib, anything else
    with pyarrow's filesystems: s3, gs, hdfs...); return the local copy."""
    name = os.path.basename(urlparse(path).path) or "archive"
    target = os.path.join(directory, name)
    if urlparse(path).scheme in ("http", "https"):
        from urllib.request import urlopen

        with urlopen(path, timeout=60) as source, open(target, "wb") as out:  # noqa: S310
            shutil.copyfileobj(source, out, 1 << 20)
        return target
    from pyarrow import fs

    filesystem, inner = fs.FileSystem.from_uri(path)
    with filesystem.open_input_stream(inner) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return target


def localized(files: list[str], directory: str) -> tuple[list[str], dict[str, str]]:
    """Return ``files`` with each remote URI replaced by a local copy in ``directory`` (and
    ``file://`` URIs by their paths), and the name each local copy is recorded under; raise
    ``OSError`` naming the file that cannot be copied."""
    names: dict[str, str] = {}
    result = []
    for name in files:
        if is_remote(name):
            try:
                local = fetch_to(name, directory)
            except (OSError, ValueError) as exc:
                raise OSError(f"{name}: cannot copy it from its filesystem: {exc}") from None
            names[local] = name
        else:
            local = local_path(name)
        result.append(local)
    return result, names


def run_task(spec_json: str) -> tuple[int, list[str]]:
    """Run one worker of the run on this executor; return its exit code and file errors."""
    spec = WorkerSpec(**json.loads(spec_json))
    argv = [sys.executable, "-m", "linkspider", "extract", "--worker-spec", spec.path, "--quiet"]
    for setting, value in spec.extra.get("settings", {}).items():
        argv += ["-s", f"{setting}={value}"]
    code = subprocess.run(argv, check=False).returncode
    return code, spec.read_errors() or []


class SparkWorkers:
    """The workers of an extract run as the tasks of a Spark job (one task per file)."""

    def __init__(self, context: RunContext, shares: list[list[Piece]], overrides: dict[str, Any],
                 master: str) -> None:
        self.context = context
        self.shares = shares
        self.overrides = overrides
        self.master = master
        self.specs: list[WorkerSpec] = []
        self._results: list[tuple[int, list[str]]] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        staging = self.context.staging
        staging.mkdir(parents=True, exist_ok=True)
        for number, share in enumerate(self.shares, start=1):
            spec = spec_for(self.context, share,
                            settings={k: str(v) for k, v in self.overrides.items()})  # fmt: skip
            spec.write(staging / f"spark-task-{os.getpid()}-{number}.json")
            self.specs.append(spec)
        self._thread = threading.Thread(target=self._job, name="spark-driver", daemon=True)
        self._thread.start()

    def _job(self) -> None:
        try:
            from pyspark.sql import SparkSession

            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            builder = (SparkSession.builder.master(self.master).appName("linkspider extract")
                       .config("spark.ui.enabled", "false"))  # fmt: skip
            if self.master.startswith("local"):  # the driver and its executors on loopback only
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                builder = (builder.config("spark.driver.host", "127.0.0.1")
                           .config("spark.driver.bindAddress", "127.0.0.1"))  # fmt: skip
            spark = builder.getOrCreate()
            try:
                payload = [json.dumps({k: v for k, v in vars(s).items()}) for s in self.specs]
                rdd = spark.sparkContext.parallelize(payload, max(1, len(payload)))
                self._results = rdd.map(run_task).collect()
            finally:
                spark.stop()
        except BaseException as exc:  # reported by wait(); the thread must not die silently
            self._error = exc

    async def wait(self) -> list[tuple[WorkerSpec, int]]:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, task

        while self._thread is not None and self._thread.is_alive():
            await maybe_deferred_to_future(task.deferLater(reactor, 0.2, lambda: None))
        if self._error is not None:
            raise SparkJobFailed(f"the Spark job failed: {self._error}")
        results = self._results or []
        for spec, (_, errors) in zip(self.specs, results):
            if spec.read_errors() is None:
                spec.write_result(errors)
        return [(spec, code) for spec, (code, _) in zip(self.specs, results)]

    def stop(self) -> None:
        """Nothing to stop here: Spark cancels a stopped driver's tasks."""


class SparkJobFailed(RuntimeError):
    """The Spark job could not run (no Java, no pyspark, a master that does not answer)."""


def check_spark() -> str | None:
    """Return what is missing to run ``--spark``, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install pyspark==4.3.0 (see docs/archives.md)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return ("Spark needs Java 17: install it (apt-get install -y openjdk-17-jre-headless) or "
                "set JAVA_HOME")  # fmt: skip
    return None

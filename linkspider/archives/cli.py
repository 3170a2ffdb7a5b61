"""``linkspider extract``: read web archives into the dataset, as a crawl writes it.

One process runs the ``archive`` spider (``linkspider.archives.spider``) through Scrapy's
engine, with the crawl's settings and pipelines, so the run has the same ``links`` and
``pages`` tables, the same run record and exit codes (docs/runs.md) and the same resume. With
``--processes N`` (default: the cores) the files are shared out over N such processes, each
writing its own part files into the one run; this process then writes the run's record.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.cli.options import setting_pair

if TYPE_CHECKING:
    from linkspider.archives.parallel import Piece, WorkerSpec

#: File names read when a directory is given.
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.zst", ".warc.zstd")


class ExtractUsageError(ValueError):
    """The archives or options given cannot be used; the message says why."""


def archive_paths(arguments: list[str]) -> list[str]:
    """Return the archive files that files, directories (searched recursively for the
    archive suffixes) and glob patterns name, sorted within each argument, duplicates
    dropped; raise ``ExtractUsageError`` for a path that names nothing."""
    found: list[str] = []
    from linkspider.archives.spark import is_remote, local_path

    for argument in arguments:
        if is_remote(argument):  # s3://, hdfs://...: copied when read (linkspider.archives.spark)
            found.append(argument)
            continue
        argument = local_path(argument)
        matches = sorted(glob.glob(argument, recursive=True)) if glob.has_magic(argument) else [argument]
        if not matches:
            raise ExtractUsageError(f"{argument}: no file matches this pattern")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                files = sorted(str(p) for p in path.rglob("*") if p.is_file()
                               and p.name.lower().endswith(ARCHIVE_SUFFIXES))  # fmt: skip
                if not files:
                    raise ExtractUsageError(f"{path}: no .warc, .warc.gz, .arc or .arc.gz file in "
                                            "this directory")  # fmt: skip
                found.extend(files)
            elif path.is_file():
                found.append(str(path))
            else:
                raise ExtractUsageError(f"{path}: no such file or directory")
    result: list[str] = []
    seen: set[str] = set()
    for name in found:
        absolute = name if is_remote(name) else str(Path(name).absolute())
        if absolute not in seen:
            seen.add(absolute)
            result.append(absolute)
    return result


def read_paths_file(name: str) -> list[str]:
    """Return the paths listed in file ``name`` (``-``: stdin), one per line, ``#`` comments."""
    handle = sys.stdin if name == "-" else open(name, encoding="utf-8")  # noqa: SIM115
    try:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    finally:
        if handle is not sys.stdin:
            handle.close()
    return [line for line in lines if line]


def extracted_offsets(root: Path, run_id: str) -> dict[str, set[int]]:
    """Return, per archive file, the record offsets a run has already written."""
    from linkspider.runs.journal import RunJournal

    done: dict[str, set[int]] = {}
    for name, offset in RunJournal(root, run_id).pages_values("warc_filename", "warc_offset"):
        if name is not None and offset is not None:
            done.setdefault(name, set()).add(offset)
    return done


def extract_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the Scrapy settings of an extract (command-line priority)."""
    settings: dict[str, Any] = {
        # nothing is fetched; the links are not folded into the history (run history update)
        "LINKSPIDER_HISTORY_UPDATE": False,
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "LINKSPIDER_MAX_DEPTH": 0,
    }
    if args.out:
        settings["LINKSPIDER_OUTPUT_DIR"] = args.out
    if args.run_id:
        settings["LINKSPIDER_RUN_ID"] = args.run_id
    if args.resume:
        settings.update(LINKSPIDER_RUN_ID=args.resume, LINKSPIDER_RESUME=True)
    if args.log_level:
        settings["LOG_LEVEL"] = args.log_level
    if args.quiet:
        settings["LINKSPIDER_PROGRESS"] = "off"
    for name, value in args.settings:
        settings[name] = value
    return settings


#: Components an extract never uses that Scrapy would import and build at start-up (about a
#: third of a second each, in every process): nothing is downloaded, and the telnet console
#: and remote control are off by the project's settings (their modules are imported anyway).
UNUSED_EXTENSIONS = ("scrapy.extensions.telnet.TelnetConsole",
                     "scrapy.extensions.remote_control.RemoteControl")  # fmt: skip


def without_downloads(settings: Any) -> None:
    """Turn off in ``settings`` what an extract does not use: the HTTP download handlers
    (built eagerly, with Scrapy's TLS machinery) and the extensions of ``UNUSED_EXTENSIONS``,
    unless a ``-s`` setting turned the console or the remote control on."""
    settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), "http": None,
                                       "https": None}, priority="cmdline")  # fmt: skip
    if settings.getbool("TELNETCONSOLE_ENABLED") or settings.getbool("REMOTE_CONTROL_ENABLED"):
        return
    # Out of EXTENSIONS_BASE, not set to None: Scrapy imports every class named in either.
    base = {name: order for name, order in settings.getdict("EXTENSIONS_BASE").items()
            if name not in UNUSED_EXTENSIONS}  # fmt: skip
    settings.set("EXTENSIONS_BASE", base, priority="cmdline")


def run_extract(files: list[str], overrides: dict[str, Any], worker: WorkerSpec | None = None,
                shares: list[list[Piece]] | None = None, spark: str | None = None) -> dict:
    """Run the archive spider over ``files`` in this process; return the final stats.

    ``shares`` (``linkspider.archives.parallel.share_files``): the first is this process's
    work, the others go to worker processes this run starts and waits for (their rows go
    into the same run), or to the tasks of a Spark job on master ``spark``. ``worker``: this
    process is such a worker; it joins the run the spec names and writes no run record.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    from scrapy.utils.project import get_project_settings

    from linkspider.dataset.layout import ensure_writable
    from linkspider.runs.context import RunContext

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    without_downloads(settings)
    if worker is not None:
        settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"),
                                    "linkspider.runs.recorder.RunRecorder": None}, priority="cmdline")
        context = worker.context()
    else:
        context = RunContext.from_settings(settings)
    settings.set("LINKSPIDER_RUN_ID", context.run_id, priority="cmdline")
    if not files and context.previous is not None:
        files = list(context.previous.seeds)
        shares = None
    ensure_writable(context.root, context.run_id)
    # The other shares' processes (or Spark job) start now, before this process imports and
    # builds Scrapy's engine: their start-up overlaps this one's instead of following it.
    workers = start_workers(context, (shares or [])[1:], overrides, spark)
    try:
        from scrapy.crawler import CrawlerProcess

        from linkspider.archives.spark import localized
        from linkspider.archives.spider import ArchiveSpider
        from linkspider.cli.crawl import finished_stats

        skip = extracted_offsets(context.root, context.run_id) if context.resume or worker else {}
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(ArchiveSpider)
        RunContext._by_crawler[crawler] = context
        failures: list[Any] = []
        if worker is not None:
            own: list[Piece] = [(f, *worker.ranges.get(f, [0, None])) for f in files]  # type: ignore[misc]
        else:
            own = shares[0] if shares else [(f, 0, None) for f in files]
        temp = tempfile.TemporaryDirectory(prefix="linkspider-extract-")
        paths, names = localized([name for name, _, _ in own], temp.name)
        ranges = {path: (start, end) for path, (_, start, end) in zip(paths, own)
                  if start or end is not None}  # fmt: skip
        process.crawl(crawler, files=paths, ranges=ranges, all_files=files, skip=skip,
                      workers=workers, names=names).addErrback(failures.append)  # fmt: skip
        try:
            process.start()
        finally:
            temp.cleanup()
        if failures and workers is not None:  # the spider never ran: nobody waits for them
            workers.stop()
    except BaseException:
        if workers is not None:
            workers.stop()
        raise
    stats = finished_stats(crawler, context, failures)
    if worker is not None:
        worker.write_result(stats.get("linkspider/archive_errors") or [])
    return stats


def start_workers(context: Any, shares: list[list[Piece]], overrides: dict[str, Any],
                  spark: str | None) -> Any:
    """Start the worker processes (``archives.parallel.Workers``) or the Spark job
    (``archives.spark.SparkWorkers``, master ``spark``) reading ``shares`` into the run of
    ``context``; return them, or None when there are no shares."""
    if not shares:
        return None
    if spark:
        from linkspider.archives.spark import SparkWorkers

        workers: Any = SparkWorkers(context, shares, overrides, spark)
    else:
        from linkspider.archives.parallel import Workers

        workers = Workers(context, shares, overrides)
    workers.start()
    return workers


def add_extract_command(sub: argparse._SubParsersAction) -> None:
    """Add ``linkspider extract``."""
    extract = sub.add_parser(
        "extract", help="read WARC/ARC web archives into links and pages, as a crawl writes them")
    extract.add_argument("paths", nargs="*", metavar="PATH",
                         help=".warc, .warc.gz, .arc, .arc.gz files, directories or glob patterns")
    extract.add_argument("--paths-from", metavar="FILE",
                         help="read more paths from FILE, one per line (- for stdin), e.g. Common "
                              "Crawl's warc.paths")
    extract.add_argument("--out", metavar="DIR", help="dataset root (default: output)")
    extract.add_argument("--run-id", help="identifier of this run (default: from the time)")
    extract.add_argument("--resume", metavar="RUN_ID",
                         help="continue a killed extract: records already written are skipped")
    extract.add_argument("--processes", type=int, metavar="N",
                         help="processes reading files in parallel (default: the cores)")
    extract.add_argument("--spark", metavar="MASTER",
                         help="run the files as the tasks of a PySpark job (local[2], spark://HOST:7077, yarn)")
    extract.add_argument("--report", action="store_true", help="print a summary at the end")
    extract.add_argument("-s", "--set", dest="settings", action="append", default=[],
                         type=setting_pair, metavar="NAME=VALUE", help="any Scrapy setting")
    extract.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO)")
    extract.add_argument("--quiet", action="store_true", help="no progress line")
    extract.add_argument("--worker-spec", help=argparse.SUPPRESS)
    extract.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from linkspider.archives.parallel import WorkerSpec, share_files
    from linkspider.cli.crawl import _finish
    from linkspider.dataset.layout import OutputNotWritable
    from linkspider.runs import ExitCode, InvalidRunId
    from linkspider.runs.context import RunSetupError

    overrides = extract_settings(args)
    try:
        if args.worker_spec:
            spec = WorkerSpec.read(args.worker_spec)
            stats = run_extract(spec.files, overrides, worker=spec)
            failed = stats.get("linkspider/archive_files_failed", 0)
            return int(ExitCode.ARCHIVE_DAMAGED if failed else ExitCode.COMPLETE)
        if args.paths_from:
            args.paths = [*args.paths, *read_paths_file(args.paths_from)]
        if not args.paths and not args.resume:
            print("linkspider extract: give archive files, directories or patterns", file=sys.stderr)
            return ExitCode.USAGE
        files = archive_paths(args.paths)
        if args.spark:
            from linkspider.archives.spark import check_spark

            missing = check_spark()
            if missing:
                raise ExtractUsageError(f"--spark: {missing}")
            tasks = [[(f, 0, None)] for f in files]
            stats = run_extract(files, overrides, shares=[[], *tasks], spark=args.spark)
        else:
            processes = args.processes or os.cpu_count() or 1
            if processes < 1:
                raise ExtractUsageError("--processes must be 1 or more")
            shares = share_files(files, processes) if files else []
            stats = run_extract(files, overrides, shares=shares)
    except OutputNotWritable as exc:
        print(f"linkspider extract: {exc}", file=sys.stderr)
        return ExitCode.OUTPUT_NOT_WRITABLE
    except (ExtractUsageError, RunSetupError, InvalidRunId, ValueError, OSError) as exc:
        print(f"linkspider extract: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    errors = stats.get("linkspider/archive_errors") or []
    code = ExitCode(stats.get("linkspider/exit_code", ExitCode.ENDED_EARLY))
    if code == ExitCode.NOTHING_FETCHED:  # the crawl's words (seeds, network) do not fit here
        print(f"linkspider extract: no 2xx page was read from the archives "
              f"({stats.get('linkspider/archive_records', 0):,} records, "
              f"{stats.get('linkspider/archive_responses', 0):,} HTTP responses); the pages "
              "table says what each response was", file=sys.stderr)  # fmt: skip
    else:
        code = ExitCode(_finish(stats, args.report))
    if errors and code in (ExitCode.COMPLETE, ExitCode.NOTHING_FETCHED):
        from linkspider.archives.parallel import note_damaged_files

        note_damaged_files(stats["linkspider/output_dir"], stats["linkspider/run_id"], errors)
        print(f"linkspider extract: {len(errors)} file(s) could not be read whole; the records "
              "before each break are in the dataset:", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.ARCHIVE_DAMAGED
    return code


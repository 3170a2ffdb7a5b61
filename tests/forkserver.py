"""A fork server for the suite's ``linkspider`` commands: the same command, started faster.

Every crawl of the suite is a ``linkspider`` process of its own, and most of what such a process
costs on a small world is importing Scrapy, Twisted, pyarrow and linkspider (about 1.5 s of CPU
of 2). This server imports them once per test worker, then forks one child per command: the
child runs ``linkspider.cli.main(argv)`` with the caller's working directory, environment and
output files, exactly as ``python -m linkspider`` would, through the real Scrapy engine and
reactor (none is installed before the fork). A child's own ``python -m linkspider ...``
(``subprocess.run``: the monitor's crawls, ``crawl --check-targets``, the demo's ``analyze``;
``subprocess.Popen``: the extract's worker processes, which die with it) is forked from the
server the same way, its CPU counted in the child's.
Tests that measure a crawl process's memory, or need it started as a new interpreter, still
start ``python -m linkspider`` themselves.

Protocol, over a Unix socket: the client sends one JSON line (argv, cwd, env; parent and
die_with_parent from a child) with its stdin,
stdout and stderr as passed file descriptors; the server answers ``pid N`` at once and
``status N CPU`` (the wait status, the child's CPU seconds, with those of the commands it
asked for: their requests name it as ``parent``) when the child ends. Off with ``LINKSPIDER_TEST_FORKSERVER=0``.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

#: Imported before any fork: what a crawl, an analysis or a report would import anyway. Every
#: module of ``linkspider`` and ``pipelines`` is imported too (``preload``), and the components
#: Scrapy loads by name from its default settings: a child that still imports a module pays
#: for it on every command (pandas, through pyarrow's time zones, and aiohttp, through
#: Scrapy's remote-control extension, cost more CPU than a small crawl).
PRELOAD = (
    "scrapy.crawler", "scrapy.core.downloader.handlers.http11", "duckdb", "pyarrow.parquet",
    "pyarrow.dataset", "pandas", "scipy.sparse", "py3langid", "vl_convert", "protego",
    "multiprocessing", "concurrent.futures", "sqlite3", "zoneinfo", "dateutil.parser", "_strptime",
)
#: Packages whose every module is imported; ``linkspider.web`` too, as every command's
#: parser and the suite's local web use it.
PRELOAD_PACKAGES = ("linkspider", "pipelines")


def _scrapy_components() -> list[str]:
    """Return the modules of the components Scrapy's default settings name."""
    from scrapy.settings import default_settings

    modules = set()
    for name in dir(default_settings):
        value = getattr(default_settings, name)
        paths = value.keys() if isinstance(value, dict) else [value] if isinstance(value, str) else []
        for path in paths:
            if isinstance(path, str) and path.startswith("scrapy.") and "." in path:
                modules.add(path.rsplit(".", 1)[0])
    return sorted(modules)


def preload() -> None:
    """Import what the commands import, so that forked children find it loaded."""
    import importlib
    import pkgutil

    names = list(PRELOAD)
    for package in PRELOAD_PACKAGES:
        root = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")
                  if not info.name.endswith("__main__")]  # fmt: skip
    names += _scrapy_components()
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part (a C extension not built, an extra not installed)
            pass
    from linkspider.urls.domains import site_key

    site_key("http://www.example.com/")  # loads the Public Suffix List once, not once per child



def _child(conn: socket.socket, listener: socket.socket, request: dict, fds: list[int]) -> None:
    listener.close()
    conn.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    random.seed()  # each child its own random state, as a new process would have
    sys.argv = ["linkspider", *request["argv"]]
    if request.get("die_with_parent"):
        _die_with(request["parent"])
    # a command that runs ``linkspider`` itself forks it from the server too
    subprocess.run, subprocess.Popen = _nested_run, _NestedPopen  # type: ignore[misc]
    code: int | str | None = 0
    try:
        from linkspider.cli import main

        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # what python -m would print
        import traceback

        traceback.print_exc()
        code = 1
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(int(code or 0))


#: The server's socket: its children ask it for their own ``linkspider`` commands (``_nested_run``).
_socket_path: str | None = None
#: In the server: CPU seconds of the ended children a child asked for, by that child's pid; its
#: ``status`` line adds them (a child's rusage counts only the processes it reaped itself).
_nested_cpu: dict[int, float] = {}
_nested_lock = threading.Lock()
_subprocess_run = subprocess.run
#: What ``subprocess.run`` may be given for ``_nested_run`` to fork the command.
_NESTED_OPTIONS = {"capture_output", "text", "check", "cwd", "env", "timeout"}


def _fork_and_wait(path: str, request: dict, fds: list[int], timeout: float | None,
                   command: list[str]) -> str:
    """Ask the server at ``path`` to fork ``request`` with ``fds`` as its stdin, stdout and
    stderr; return its status line once it ends, killing it and raising
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode()], fds)
        reader = conn.makefile("r")
        pid = int(reader.readline().split()[1])
        conn.settimeout(timeout)
        try:
            return reader.readline()
        except (TimeoutError, socket.timeout):
            os.kill(pid, 9)
            raise subprocess.TimeoutExpired(command, timeout) from None


def _nested_run(args: Any, *rest: Any, **kwargs: Any) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a forked child: a ``python -m linkspider ...`` run to completion
    (``linkspider monitor``'s crawls, ``crawl --check-targets``'s check, the demo's
    ``analyze``) is forked from the server as the suite's own commands are, with the same
    argv, working directory, environment and output (captured or inherited); any other
    command, or options beyond ``_NESTED_OPTIONS``, goes to the real ``subprocess.run``."""
    command = list(args) if isinstance(args, (list, tuple)) else None
    if (rest or command is None or command[:3] != [sys.executable, "-m", "linkspider"]
            or set(kwargs) - _NESTED_OPTIONS or _socket_path is None):  # fmt: skip
        return _subprocess_run(args, *rest, **kwargs)
    argv = [str(part) for part in command[3:]]
    env = dict(os.environ if kwargs.get("env") is None else kwargs["env"])
    cwd = str(kwargs.get("cwd") or os.getcwd())
    capture, timeout = kwargs.get("capture_output", False), kwargs.get("timeout")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        line = _fork_and_wait(_socket_path, {"argv": argv, "cwd": cwd, "env": env, "parent": os.getpid()},
                              [0, out.fileno(), err.fileno()] if capture else [0, 1, 2], timeout,
                              command)  # fmt: skip
        code = os.waitstatus_to_exitcode(int(line.split()[1]))
        stdout = stderr = None
        if capture:
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
            if kwargs.get("text"):
                stdout, stderr = stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    if kwargs.get("check") and code:
        raise subprocess.CalledProcessError(code, command, stdout, stderr)
    return subprocess.CompletedProcess(command, code, stdout, stderr)


class _NestedPopen(subprocess.Popen):
    """``subprocess.Popen`` in a forked child: ``python -m linkspider ...`` with its output
    inherited and at most the extract's ``_die_with_parent`` (its workers) is forked from the
    server instead (a ``ForkedProcess``), dying with this child as that ``preexec_fn`` has it
    (``_die_with``); anything else is the real ``subprocess.Popen``."""

    def __new__(cls, args: Any, *rest: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        command = list(args) if isinstance(args, (list, tuple)) else None
        preexec = kwargs.get("preexec_fn")
        if (rest or command is None or command[:3] != [sys.executable, "-m", "linkspider"]
                or set(kwargs) - {"preexec_fn"} or _socket_path is None
                or (preexec is not None and getattr(preexec, "__name__", "") != "_die_with_parent")):  # fmt: skip
            return super().__new__(cls)
        argv = [str(part) for part in command[3:]]
        conn = socket.socket(socket.AF_UNIX)
        conn.connect(_socket_path)
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "parent": os.getpid(),
                              "die_with_parent": preexec is not None}).encode()  # fmt: skip
        socket.send_fds(conn, [request], [0, 1, 2])
        return ForkedProcess(conn, argv)


def _die_with(parent: int) -> None:
    """SIGKILL this process when process ``parent`` ends (PR_SET_PDEATHSIG, which watches the
    process that forked, here the server)."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
        return

    def watch() -> None:
        select.select([fd], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _wait(conn: socket.socket, pid: int, parent: int | None) -> None:
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    with _nested_lock:
        cpu += _nested_cpu.pop(pid, 0.0)
        if parent is not None:  # counted in the status of the child that asked for this one
            _nested_cpu[parent] = _nested_cpu.get(parent, 0.0) + cpu
    try:
        conn.sendall(f"status {status} {cpu:.3f}\n".encode())
    except OSError:  # the child that asked is gone (killed): nobody to tell
        pass
    finally:
        conn.close()


def serve(path: str) -> None:
    """Import PRELOAD, then fork a child for each request on the Unix socket ``path``."""
    import gc

    global _socket_path
    _socket_path = path
    preload()
    assert "twisted.internet.reactor" not in sys.modules, "a reactor was installed before forking"
    # What the server imported lives as long as every child: no child's collection scans it.
    gc.collect()
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        request = json.loads(message.decode())
        pid = os.fork()
        if pid == 0:
            _child(conn, listener, request, fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(f"pid {pid}\n".encode())
        threading.Thread(target=_wait, args=(conn, pid, request.get("parent")), daemon=True).start()


class ForkServer:
    """The client side: one server process per test worker, started on first use."""

    def __init__(self, project_root: Path) -> None:
        self.root = project_root
        self.folder = tempfile.mkdtemp(prefix="linkspider-fork-")
        self.path = os.path.join(self.folder, "server.sock")
        env = {**os.environ, "PYTHONPATH": str(project_root)}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.forkserver", self.path],
                                        cwd=project_root, env=env, stdout=subprocess.PIPE)  # fmt: skip
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the suite's fork server did not start")
        atexit.register(self.close)

    def run(self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run ``linkspider argv`` in a forked child; like ``subprocess.run(capture_output=True,
        text=True)``, raising ``subprocess.TimeoutExpired`` (after killing it) on a timeout."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                open(os.devnull, "rb") as stdin:  # fmt: skip
            line = _fork_and_wait(self.path, {"argv": argv, "cwd": str(cwd), "env": env},
                                  [stdin.fileno(), out.fileno(), err.fileno()], timeout,
                                  ["linkspider", *argv])  # fmt: skip
            status = int(line.split()[1])
            _count_cpu(line)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(
                [sys.executable, "-m", "linkspider", *argv], os.waitstatus_to_exitcode(status),
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))

    def start(self, argv: list[str], cwd: Path, env: dict[str, str], stderr: Path | None = None,
              stdout: Path | None = None) -> ForkedProcess:  # fmt: skip
        """Start ``linkspider argv`` in a forked child, its output discarded (its stderr and
        stdout appended to the files ``stderr`` and ``stdout`` when given); return a handle that
        polls, signals and waits for it like ``subprocess.Popen``."""
        conn = socket.socket(socket.AF_UNIX)
        conn.connect(self.path)
        with open(os.devnull, "rb") as stdin, open(stdout or os.devnull, "ab") as out, \
                open(stderr or os.devnull, "ab") as err:  # fmt: skip
            request = json.dumps({"argv": argv, "cwd": str(cwd), "env": env}).encode()
            socket.send_fds(conn, [request], [stdin.fileno(), out.fileno(), err.fileno()])
        return ForkedProcess(conn, argv)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for name in os.listdir(self.folder):
            os.unlink(os.path.join(self.folder, name))
        os.rmdir(self.folder)


#: CPU seconds of the forked children that ended, for the suite's CPU log (conftest).
forked_cpu = 0.0


def _count_cpu(status_line: str) -> None:
    global forked_cpu
    parts = status_line.split()
    if len(parts) > 2:
        forked_cpu += float(parts[2])


class ForkedProcess:
    """A child of the fork server as the test sees it: ``pid``, ``poll``, ``send_signal``,
    ``wait`` and ``returncode``, as ``subprocess.Popen`` has them."""

    def __init__(self, conn: socket.socket, argv: list[str]) -> None:
        self.args = ["linkspider", *argv]
        self._conn = conn
        self._buffer = b""
        self.pid = int(self._line(None).split()[1])
        self.returncode: int | None = None

    def _line(self, timeout: float | None) -> str | None:
        """Return the server's next line, or None when none came within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._conn], [], [], left)[0]:
                return None
            chunk = self._conn.recv(4096)
            if not chunk:
                raise RuntimeError("the fork server went away")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def _read_status(self, timeout: float | None) -> int | None:
        line = self._line(timeout)
        if line is None:
            return None
        self.returncode = os.waitstatus_to_exitcode(int(line.split()[1]))
        _count_cpu(line)
        self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read_status(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._read_status(timeout) is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(9)


_server: ForkServer | None = None
_lock = threading.Lock()


def fork_server(project_root: Path) -> ForkServer | None:
    """This worker's fork server, or None where forking is off or cannot work here."""
    global _server
    if os.environ.get("LINKSPIDER_TEST_FORKSERVER", "1") == "0" or not hasattr(os, "fork"):
        return None
    with _lock:
        if _server is None:
            _server = ForkServer(project_root)
        return _server


if __name__ == "__main__":
    serve(sys.argv[1])

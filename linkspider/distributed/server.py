"""``RedisServerProcess``: a private ``redis-server`` on a free loopback port, for tests and
benchmarks (never the shared one on 6379): no persistence, no config file, gone on stop.

With ``password`` it requires AUTH; with ``tls`` it listens only on a TLS port, with a
self-signed certificate made by ``openssl`` (its ``url`` is ``rediss://`` and names the CA file).
Looks for ``redis-server`` on ``PATH`` and in ``/usr/bin``; ``ensure_redis_server`` installs
Debian's package with apt-get when it is missing and says clearly when that is not possible.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisServerMissing(RuntimeError):
    """No redis-server could be found or installed; the message says how to get one."""


def find_redis_server() -> str | None:
    """Return the path of a redis-server executable, or None."""
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if Path(p).exists()),
        None,
    )


def ensure_redis_server() -> str:
    """Return a redis-server executable, installing Debian's ``redis-server`` when missing."""
    found = find_redis_server()
    if found:
        return found
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "redis-server"], capture_output=True,
                       timeout=600, check=False)  # fmt: skip
        found = find_redis_server()
        if found:
            return found
    raise RedisServerMissing(
        "redis-server is not installed and `apt-get install -y redis-server` did not provide "
        "it: install Redis (Debian: apt-get install redis-server) to run the distributed tests"
    )


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now (never 6379)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != 6379:
            return port


class RedisServerProcess:
    """A redis-server child process on 127.0.0.1 and a free port (``url``)."""

    def __init__(self, executable: str | None = None, password: str | None = None,
                 tls: bool = False, extra_args: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.executable = executable or ensure_redis_server()
        self.password = password
        self.tls = tls
        self.extra_args = extra_args
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls:
            assert self._dir is not None
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self._dir.name}/cert.pem"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def _arguments(self) -> list[str]:
        args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self._dir.name, "--protected-mode", "yes", "--loglevel", "warning"]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            where = self._dir.name
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-keyout", f"{where}/key.pem", "-out", f"{where}/cert.pem",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, check=True, timeout=60)  # fmt: skip
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file",
                     f"{where}/cert.pem", "--tls-key-file", f"{where}/key.pem",
                     "--tls-ca-cert-file", f"{where}/cert.pem", "--tls-auth-clients", "no"]  # fmt: skip
        else:
            args += ["--port", str(self.port)]
        return args + list(self.extra_args)

    def _answers(self) -> bool:
        if self.tls or self.password:
            import redis

            try:
                return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
            except (redis.RedisError, OSError):
                return False
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def start(self, timeout: float = 20.0) -> RedisServerProcess:
        self._dir = tempfile.TemporaryDirectory(prefix="linkspider-redis-")
        for _ in range(5):  # the port may be taken between choosing it and binding it
            self.port = free_port()
            self._process = subprocess.Popen([self.executable, *self._arguments()],
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._process.poll() is None:
                try:
                    if self._answers():
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            self.stop(keep_dir=True)
        self.stop()
        raise RuntimeError(f"{self.executable} did not start on a free port")

    def stop(self, keep_dir: bool = False) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._dir is not None and not keep_dir:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> RedisServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The two benchmark targets, each served on 127.0.0.1 for the length of a benchmark.

``DocsTarget``: the Python 3.11 documentation from Debian's ``python3.11-doc`` (530 HTML
pages, 50.7 MB) served by nginx with a generated minimal config under ``bench/work`` (no
system configuration is read or changed). ``WorldTarget``: a generated world of many sites
served by linkspider's local web (an HTTP forward proxy on 127.0.0.1). Each target gives the
list of URLs every contender fetches, and the proxy, if any, to reach them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DOCS_ROOT = Path("/usr/share/doc/python3.11/html")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def ensure_apt_packages() -> None:
    """Install nginx and python3.11-doc with apt-get when they are missing."""
    missing = []
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx-light")
    if not (DOCS_ROOT / "index.html").exists():
        missing.append("python3.11-doc")
    if not missing:
        return
    print(f"installing {' '.join(missing)} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    # policy-rc.d-free install: nginx's package may try to start the system service; the
    # benchmark never uses it, and stops nothing it did not start.
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        index index.html;
    }}
}}
"""


class DocsTarget:
    """The Python docs served by nginx on 127.0.0.1 (a context manager)."""

    name = "docs"
    proxy: str | None = None

    def __init__(self, work: Path, root: Path = DOCS_ROOT) -> None:
        self.work = work / "nginx"
        self.root = root
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DocsTarget:
        ensure_apt_packages()
        (self.work / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        conf = self.work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=self.work, port=self.port, root=self.root))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self._process = subprocess.Popen(
            [nginx, "-p", str(self.work), "-e", str(self.work / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.terminate()  # nginx's master stops its worker on SIGTERM
            self._process.wait(timeout=10)
            self._process = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def urls(self) -> list[str]:
        """Return the URL of every HTML page of the docs, sorted."""
        pages = sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html"))
        return [self.base_url + page for page in pages]

    def page_files(self) -> dict[str, Path]:
        """Return the file behind each URL (for the in-process pipeline benchmark)."""
        return {url: self.root / url[len(self.base_url):] for url in self.urls()}

    def allowed_domains(self) -> list[str]:
        return ["127.0.0.1"]

    def describe(self) -> str:
        urls = self.urls()
        size = sum(path.stat().st_size for path in self.page_files().values())
        return f"python3.11-doc via nginx {self.base_url}: {len(urls)} pages, {size / 1e6:.1f} MB"


class WorldTarget:
    """A generated world of ``sites`` sites behind linkspider's local web proxy."""

    name = "world"

    def __init__(
        self, work: Path, sites: int = 200, pages_per_site: int = 10, external_links_per_page: int = 3,
        seed: int = 7,
    ) -> None:  # fmt: skip
        from linkspider.web.world import World, WorldConfig

        self.config = WorldConfig(
            seed=seed, sites=sites, pages_per_site=pages_per_site,
            external_links_per_page=external_links_per_page,
        )  # fmt: skip
        self.world = World(self.config)
        self.work = work / "localweb"
        self.port = 0
        self.proxy: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._urls: list[str] | None = None

    def __enter__(self) -> WorldTarget:
        # ``linkspider web`` in its own process: it must not share a core's GIL with the driver.
        c = self.config
        self.port = free_port()
        self.log = self.work / "localweb.log"
        self.work.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "linkspider", "web", "--bind", "127.0.0.1",
                 "--port", str(self.port), "--seed", str(c.seed), "--sites", str(c.sites),
                 "--pages-per-site", str(c.pages_per_site),
                 "--external-links-per-page", str(c.external_links_per_page)],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        wait_for_port(self.port, timeout=60)
        self.proxy = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.terminate()  # the local web stops cleanly on SIGTERM
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def seeds(self) -> list[str]:
        return self.world.seeds()

    def urls(self) -> list[str]:
        """Return the world's HTML pages that answer 200 without a redirect, in ground-truth order.

        Redirects, 404s and assets are left out so that every contender fetches exactly
        these pages (no redirect target or error page counted by one and not another).
        """
        if self._urls is None:
            self._urls = [
                page["url"] for page in self.world.ground_truth_pages()
                if page.get("status") == 200 and not page.get("redirect_urls")
                and page.get("content_type") == "text/html"
            ]  # fmt: skip
        return self._urls

    def allowed_domains(self) -> list[str]:
        return sorted({urlsplit(url).hostname or "" for url in self.urls()})

    def describe(self) -> str:
        c = self.config
        return (
            f"generated world seed {c.seed}: {c.sites} sites, {c.pages_per_site} pages per site, "
            f"{c.external_links_per_page} external links per page, via proxy {self.proxy}: "
            f"{len(self.urls())} HTML pages"
        )

"""Headless Chromium for tests, driven over the DevTools protocol on a pipe (no port opened).

``ensure_chromium`` finds Debian's ``chromium``, installing it with apt-get when missing (as
root), or fails saying what is missing. ``Browser`` starts it with every network path closed
(a dead proxy, a host resolver that resolves nothing) and ``open_offline`` loads a page with
every request intercepted: each one is recorded and failed, so a test sees whether the page
asked for anything at all.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def ensure_chromium() -> str:
    """Return the path of the chromium executable, installing Debian's package if needed."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("headless Chromium is missing: install Debian's `chromium` package "
                    "(apt-get install -y chromium) as root; these tests need a real browser")  # fmt: skip
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    found = shutil.which("chromium")
    if not found:
        pytest.fail(f"could not install Debian's `chromium` (apt-get exit {result.returncode}): "
                    f"{result.stderr.strip()[-800:]}")  # fmt: skip
    return found


class Browser:
    """One headless Chromium process, spoken to over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="linkspider-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        os.set_inheritable(to_browser_r, True)
        os.set_inheritable(from_browser_w, True)
        args = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--metrics-recording-only",
            "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
            "about:blank",
        ]  # fmt: skip

        def wire_fds() -> None:  # the protocol's pipe is fds 3 (in) and 4 (out) in the browser
            import fcntl

            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=wire_fds,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self.allowed_url: str | None = None
        self._navigated_at = 0

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - it is going away either way
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the protocol ------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict[str, Any]:  # fmt: skip
        """Send a command; return its result, handling the events that arrive meanwhile."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while ident not in self._replies:
            self._dispatch(self._read_message(deadline))
        reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self._replies[message["id"]] = message
            return
        self.events.append(message)
        if message.get("method") == "Fetch.requestPaused":
            # Only the report file itself may load; every other request is failed, never sent.
            params, session = message["params"], message.get("sessionId")
            if params["request"]["url"] == self.allowed_url:
                self.send("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            else:
                self.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                          session)  # fmt: skip

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        """Return the first event named ``method`` since the last navigation (waiting for it)."""
        deadline = time.monotonic() + timeout
        seen = self._navigated_at
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            self._dispatch(self._read_message(deadline))

    # -- pages ---------------------------------------------------------------------------------

    def open_offline(self, path: Path, width: int = 1280, height: int = 900) -> Page:
        """Open ``path`` in a new tab with every request intercepted and failed; return it
        when its load event has fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method, params in (("Network.enable", {}), ("Page.enable", {}), ("Runtime.enable", {}),
                               ("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}),
                               ("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})):  # fmt: skip
            self.send(method, params, session)
        start = self._navigated_at = len(self.events)
        self.allowed_url = path.resolve().as_uri()
        self.send("Page.navigate", {"url": self.allowed_url}, session)
        self.wait_for("Page.loadEventFired")
        time.sleep(0.5)  # late requests (fonts, prefetches) would show up as events by now
        self.send("Runtime.evaluate", {"expression": "1"}, session)
        return Page(self, session, start)


class Page:
    """A loaded tab: evaluate scripts, list the requests it made, take a screenshot."""

    def __init__(self, browser: Browser, session: str, first_event: int) -> None:
        self.browser, self.session, self.first_event = browser, session, first_event

    def evaluate(self, expression: str) -> Any:
        """Return the JSON value of ``expression`` evaluated in the page."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, self.session)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def requests(self) -> list[str]:
        """Return the URL of every request the page started (Network and Fetch events)."""
        urls = []
        for event in self.browser.events[self.first_event:]:
            if event.get("sessionId") != self.session:
                continue
            if event.get("method") in ("Network.requestWillBeSent", "Fetch.requestPaused"):
                urls.append(event["params"]["request"]["url"])
        return urls

    def console_errors(self) -> list[str]:
        out = []
        for event in self.browser.events[self.first_event:]:
            if event.get("sessionId") == self.session and event.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(event["params"]["exceptionDetails"])[:500])
        return out

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """Write a PNG of the page (the whole page by default) to ``path``."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            height = self.evaluate("document.documentElement.scrollHeight")
            width = self.evaluate("document.documentElement.scrollWidth")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.browser.send("Page.captureScreenshot", params, self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


if __name__ == "__main__":  # python -m tests.browser REPORT.html SHOT.png [HEIGHT]: a screenshot
    import sys

    source, shot = Path(sys.argv[1]), Path(sys.argv[2])
    with Browser(ensure_chromium()) as browser:
        tab = browser.open_offline(source)
        height = int(sys.argv[3]) if len(sys.argv) > 3 else tab.evaluate("document.documentElement.scrollHeight")
        data = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 0.75}}, tab.session)
        shot.write_bytes(base64.b64decode(data["data"]))
        print(f"{shot}: requests {sorted(set(tab.requests()))}")

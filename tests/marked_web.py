"""A local web source that leaves a file behind once a page's script has run: a test then knows,
from outside the crawl, that Chromium is rendering that page (kept out of the test modules, so
the local web's process imports only this and ``linkspider.web``)."""

from __future__ import annotations

from pathlib import Path

from linkspider.web.model import WebResponse
from linkspider.web.scripted import ScriptedWeb


class MarkedScriptedWeb(ScriptedWeb):
    """``ScriptedWeb``, creating the file ``marker`` when a path starting with ``prefix`` is asked
    for (``/poll``: only the script of the page that never settles asks for it)."""

    def __init__(self, marker: Path, prefix: str = "/poll") -> None:
        super().__init__()
        self.marker = str(marker)
        self.prefix = prefix

    def respond(self, host: str, target: str) -> WebResponse:
        if target.startswith(self.prefix):
            Path(self.marker).touch()
        return super().respond(host, target)

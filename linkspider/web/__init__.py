"""A deterministic local web (generated sites + ground truth) and the proxy server that serves it."""

from __future__ import annotations

from linkspider.web.server import (
    LocalWeb,
    LocalWebProcess,
    StaticSite,
    add_web_arguments,
    run_web,
    serve_forever,
)
from linkspider.web.world import Site, WebResponse, World, WorldConfig

__all__ = [
    "LocalWeb",
    "LocalWebProcess",
    "Site",
    "StaticSite",
    "WebResponse",
    "World",
    "WorldConfig",
    "add_web_arguments",
    "run_web",
    "serve_forever",
]

"""A site whose navigation is built by script, and a page that never settles (``crawl --render``).

:class:`ScriptedWeb` is a site source (``linkspider.web.server``) answering for
``scripted.test``; other hosts go to an optional fallback (the world). Its ground truth, by
construction:

``/``
    Raw HTML links ``/about`` and ``/never``. After load, ``/nav.js`` builds the navigation:
    ``<a>`` elements to :data:`SCRIPTED_LINKS` (three at once, one after a ``fetch`` of
    ``/nav.json``). It also loads ``/private/track.js`` (robots.txt disallows ``/private/``),
    which would add :data:`ROBOTS_BLOCKED_LINK`: rendering obeys robots.txt for
    subresources, so that link must never appear; and an image on a private address
    (:data:`PRIVATE_SUBRESOURCE`), refused unless ``--allow-private-addresses``.
``/about``, ``/js/...``
    Plain pages linking home (``/js/...`` exist only to be reached through the scripted links).
``/never``
    A page that never settles: a timer rewrites the DOM every 50 ms, three ``fetch`` loops ask
    for ``/poll`` forever, ``location`` is sent to ``/never?n=N+1`` every 100 ms and
    ``window.open`` opens a popup. Its raw links are :data:`NEVER_RAW_LINKS`.
``/spin``
    A script that never yields (``while (true) {}``): the tab never answers at all
    (:data:`SPIN`, linked from no page).
"""

from __future__ import annotations

from typing import Protocol

from linkspider.web.model import WebResponse

__all__ = ["HOST", "NEVER_RAW_LINKS", "PRIVATE_SUBRESOURCE", "SPIN", "ROBOTS_BLOCKED_LINK", "SCRIPTED_LINKS",
           "ScriptedWeb"]

HOST = "scripted.test"
_H = f"http://{HOST}"
#: The links only the rendered DOM of ``/`` has.
SCRIPTED_LINKS = (f"{_H}/js/products", f"{_H}/js/blog", f"{_H}/js/contact", f"{_H}/js/from-fetch")
#: The link ``/private/track.js`` would add: present only if robots.txt were ignored.
ROBOTS_BLOCKED_LINK = f"{_H}/js/robots-ignored"
#: An image of ``/`` on a private address.
PRIVATE_SUBRESOURCE = "http://10.0.0.1/pixel.gif"
#: The links in the raw HTML of ``/never``.
NEVER_RAW_LINKS = (f"{_H}/about",)
#: A page whose script never yields; linked from nowhere (a crawl seeds it): its spinning
#: renderer would stall the same-site pages Chromium gives the same process.
SPIN = f"{_H}/spin"

_HTML = ("Content-Type", "text/html; charset=utf-8")
_JS = ("Content-Type", "text/javascript")
_JSON = ("Content-Type", "application/json")
_TEXT = ("Content-Type", "text/plain")

_HOME = (b"<!doctype html><html><head><title>scripted home</title>"
         b'<script src="/nav.js" defer></script><script src="/private/track.js" defer></script>'
         b'</head><body><header><nav id="menu"></nav></header>'
         b'<main><p>Welcome. <a href="/about">About us</a> and <a href="/never">a busy page</a>.'
         b'</p><img src="http://10.0.0.1/pixel.gif" alt=""></main></body></html>')  # fmt: skip
_NAV_JS = b"""
function addLink(href, text) {
  var a = document.createElement("a"); a.href = href; a.textContent = text;
  document.getElementById("menu").appendChild(a);
}
window.addEventListener("load", function () {
  addLink("/js/products", "Products"); addLink("/js/blog", "Blog"); addLink("/js/contact", "Contact");
  fetch("/nav.json").then(function (r) { return r.json(); })
    .then(function (d) { addLink(d.href, d.text); });
});
"""
_NAV_JSON = b'{"href": "/js/from-fetch", "text": "Loaded later"}'
_TRACK_JS = b"""
var a = document.createElement("a"); a.href = "/js/robots-ignored"; a.textContent = "robots ignored";
document.body.appendChild(a);
"""
_NEVER = (b"<!doctype html><html><head><title>never settles</title></head><body>"
          b'<p id="clock">0</p><p><a href="/about">About</a></p><script>'
          b"var n = 0;"
          b'setInterval(function () { document.getElementById("clock").textContent = ++n; }, 50);'
          b'function poll() { fetch("/poll?n=" + n).then(poll, poll); } poll(); poll(); poll();'
          b'setInterval(function () { location.href = "/never?n=" + (n + 1); }, 100);'
          b'window.open("/about", "_blank");'
          b"</script></body></html>")  # fmt: skip


class _Source(Protocol):
    def respond(self, host: str, target: str) -> WebResponse: ...


def _page(title: str) -> bytes:
    return (f"<!doctype html><html><head><title>{title}</title></head>"
            f'<body><p><a href="/">home</a></p></body></html>').encode()  # fmt: skip


class ScriptedWeb:
    """Answer ``scripted.test`` (see module doc); other hosts go to ``fallback``, else 502."""

    def __init__(self, fallback: _Source | None = None) -> None:
        self.fallback = fallback

    def seeds(self) -> list[str]:
        """Return the site's home URL."""
        return [f"{_H}/"]

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer ``target`` (path + query) on ``host``."""
        name = host.lower().rstrip(".").split(":")[0]
        if name != HOST:
            if self.fallback is not None:
                return self.fallback.respond(host, target)
            return WebResponse(502, [_TEXT], f"host {name!r} is not part of this local web\n".encode())
        path = target.split("#", 1)[0].split("?", 1)[0]
        answers = {
            "/robots.txt": (_TEXT, b"User-agent: *\nDisallow: /private/\n"),
            "/": (_HTML, _HOME),
            "/nav.js": (_JS, _NAV_JS),
            "/nav.json": (_JSON, _NAV_JSON),
            "/private/track.js": (_JS, _TRACK_JS),
            "/never": (_HTML, _NEVER),
            "/poll": (_JSON, b"{}"),
            "/spin": (_HTML, b'<!doctype html><title>spin</title><script>while (true) {}</script>'),
        }
        if path in answers:
            header, body = answers[path]
            return WebResponse(200, [header], body)
        if path == "/about" or path.startswith("/js/"):
            return WebResponse(200, [_HTML], _page(path))
        return WebResponse(404, [_HTML], b"<title>not found</title>")

"""``TopicWeb``: a few sites, each about one topic in one language, for relevance and language
tests and demos.

``www.garden-club.com`` (gardening, English) links from the same place of its home page, with
the same anchor text, to an on-topic site (``www.rose-nursery.com``, gardening) and an
off-topic one (``www.car-repair.com``, car repair), to a page of the nursery that does not exist
(404: only the site is known), and to a German and a Japanese gardening site
(``www.gartenfreunde.de``, ``www.niwa-club.jp``). Every page has a header, a nav and a footer
(not main text), and the garden club's pages share a newsletter line inside their main
element: the site's template terms. Crawl the club with ``--external-hops 1``.

>>> web = TopicWeb()
>>> web.respond("www.garden-club.com", "/").status, web.respond("www.rose-nursery.com", "/gone.html").status
(200, 404)
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from linkspider.web.model import WebResponse

_HTML = [("Content-Type", "text/html; charset=utf-8")]

GARDENING = [
    "Roses need full sun, rich soil and regular watering through the summer.",
    "Prune the roses in early spring, just above an outward facing bud.",
    "Compost improves garden soil and feeds the plants and the worms.",
    "Sow tomato seeds indoors, then plant the seedlings out after the last frost.",
    "Mulch the flower beds to keep the soil moist and the weeds down.",
    "Tulips and daffodils are bulbs planted in autumn for flowers in spring.",
    "A greenhouse lets the gardener grow seedlings and herbs all year.",
    "Water the garden early in the morning so the leaves of the plants dry before night.",
]  # fmt: skip
CARS = [
    "The engine needs fresh oil and a new oil filter every ten thousand miles.",
    "Worn brake pads squeal; replace the pads before the brake discs are damaged.",
    "Check the tyre pressure monthly and before a long drive on the motorway.",
    "A flat battery often means the alternator is not charging the car.",
    "The mechanic replaced the timing belt, the clutch and the spark plugs of the engine.",
    "Diesel engines use glow plugs; petrol engines use spark plugs.",
    "Rust on the exhaust and the chassis shortens the life of a car.",
    "The gearbox oil and the engine coolant are checked at every car service.",
]  # fmt: skip
GARTEN = [
    "Rosen brauchen viel Sonne, guten Boden und regelmäßiges Gießen im Sommer.",
    "Im Frühling schneidet der Gärtner die Rosen über einer Knospe zurück.",
    "Kompost verbessert den Gartenboden und ernährt die Pflanzen und die Würmer.",
    "Tomaten werden im Haus ausgesät und nach dem letzten Frost ins Beet gepflanzt.",
    "Mulch hält den Boden feucht und das Unkraut klein.",
    "Tulpen und Narzissen sind Zwiebeln, die man im Herbst in den Garten pflanzt.",
]  # fmt: skip
NIWA = [
    "バラは日当たりと水はけのよい土を好みます。夏は毎日水をやりましょう。",
    "春の初めにバラの枝を剪定すると、たくさんの花が咲きます。",
    "堆肥は庭の土をよくして、植物とミミズを育てます。",
    "トマトの種は室内でまき、霜が終わってから苗を畑に植えます。",
    "チューリップの球根は秋に植えると、春にきれいな花が咲きます。",
]  # fmt: skip


@dataclass(frozen=True)
class TopicSite:
    """One site: host, name, language, its sentences, pages besides the home page."""

    host: str
    name: str
    lang: str
    sentences: tuple[str, ...]
    pages: int = 3


SITES = (
    TopicSite("www.garden-club.com", "Garden Club", "en", tuple(GARDENING), pages=5),
    TopicSite("www.rose-nursery.com", "Rose Nursery", "en", tuple(GARDENING[1:] + GARDENING[:1])),
    TopicSite("www.car-repair.com", "Car Repair", "en", tuple(CARS)),
    TopicSite("www.gartenfreunde.de", "Gartenfreunde", "de", tuple(GARTEN)),
    TopicSite("www.niwa-club.jp", "庭クラブ", "ja", tuple(NIWA)),
)
CLUB, NURSERY, GARAGE, GERMAN, JAPANESE = (site.host for site in SITES)
#: The anchor text of every link from the club's home to the other sites.
ANCHOR = "a friendly shop we like"
#: A line on every page of the club, inside its main element: the site's template terms.
CLUB_TEMPLATE = "Join the Garden Club newsletter: subscribe for monthly membership offers."


class TopicWeb:
    """The sites of the module docstring, answering like a ``SiteSource``."""

    sites = {site.host: site for site in SITES}

    def seeds(self) -> list[str]:
        return [f"http://{CLUB}/"]

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer a request for ``target`` on ``host``."""
        site = self.sites.get(host.lower().split(":")[0])
        path = target.split("?", 1)[0]
        if site is None:
            return WebResponse(502, [("Content-Type", "text/plain")], b"not in this web\n")
        if path == "/robots.txt":
            return WebResponse(200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n")
        paths = ["/", *[f"/page-{k}.html" for k in range(1, site.pages + 1)]]
        if path not in paths:
            return WebResponse(404, _HTML, b"<title>not found</title><p>No such page.</p>")
        return WebResponse(200, _HTML, self._page(site, paths.index(path), paths).encode())

    def _page(self, site: TopicSite, k: int, paths: list[str]) -> str:
        text = site.sentences
        # each page its own part of the site's text, so pages of a site differ
        chosen = [text[(k + i) % len(text)] for i in range(3)]
        body = "".join(f"<p>{escape(s)}</p>" for s in chosen)
        if site.host == CLUB:
            body += f"<div class='promo'>{escape(CLUB_TEMPLATE)}</div>"
        if site.host == CLUB and k == 0:
            body += "".join(f"<p>Visit <a href='{url}'>{ANCHOR}</a> today.</p>" for url in (
                f"http://{NURSERY}/", f"http://{GARAGE}/", f"http://{NURSERY}/gone.html",
                f"http://{GERMAN}/", f"http://{JAPANESE}/"))  # fmt: skip
        nav = " ".join(f"<a href='{p}'>Section {i}</a>" for i, p in enumerate(paths))
        name = escape(site.name)
        return (f"<!doctype html><html lang='{site.lang}'><head><title>{name} {k}</title></head>"
                f"<body><header><a href='/'>{name}</a> Welcome visitors</header><nav>{nav}</nav>"
                f"<main><h1>{name}</h1>{body}</main>"
                f"<footer>Copyright {name}. Contact, imprint, privacy policy, cookies.</footer>"
                "</body></html>")  # fmt: skip

"""The world's link directory: site :data:`DIRECTORY_SITE` (``docs.agency-7.gov.uk``, in worlds
of 7 sites or more) ends every page with a "Useful links" list of :data:`DIRECTORY_LINKS` other
sites' home pages, named as directories name them (brand, address, a logo; rarely a keyword).
It gives far more outbound links per page than any other site, which ``linkspider analyze``
flags (``outbound_links_per_page``); ``SpamNetwork.labels`` labels it ``link_directory``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from linkspider.web.anchor_mix import DIRECTORY_MIX, choose_anchor, domain_label
from linkspider.web.subjects import site_subject

if TYPE_CHECKING:
    from linkspider.web.pages import PageBuilder

DIRECTORY_SITE = 6
DIRECTORY_LINKS = 12


def add_directory_links(builder: PageBuilder) -> None:
    """Append the directory's list to a page of :data:`DIRECTORY_SITE` being built, with a
    random generator of its own so the rest of the page is unchanged."""
    site, sites = builder.site, builder.world.sites[:builder.config.sites]
    if site.index != DIRECTORY_SITE or len(sites) <= DIRECTORY_SITE:
        return
    rng = random.Random(f"{builder.config.seed}:{site.index}:{builder.path}:directory")
    others = [other for other in sites if other is not site]
    builder.raw('<section class="directory">\n<h2>Useful links</h2>\n<ul>\n')
    builder.region = "body"
    for other in rng.sample(others, min(DIRECTORY_LINKS, len(others))):
        subject = site_subject(other.index)
        anchor = choose_anchor(rng, builder.locale, other.unicode_host, domain_label(other.registrable_domain),
                               other.home_url, subject.keywords, subject.language, mix=DIRECTORY_MIX)  # fmt: skip
        builder.raw("<li>")
        builder.add_link(other.home_url, other.home_url, None, "http", other.host, other.registrable_domain,
                         anchor.text, content=anchor.content, anchor_class=anchor.anchor_class)  # fmt: skip
        builder.raw("</li>\n")
    builder.raw("</ul>\n</section>\n")

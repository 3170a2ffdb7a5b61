"""Refuse a Scrapyd job whose dataset would land in the daemon's working directory.

Scrapyd starts every job in its own working directory (``/`` or ``/var/lib/scrapyd`` under a
service manager), so the default relative ``LINKSPIDER_OUTPUT_DIR = "output"`` would put the
dataset where nobody looks. ``ScrapydOutputCheck`` stops such a job before it makes a request,
with a message saying which setting to pass. A job is known to run under Scrapyd by the
``_job`` spider argument Scrapyd gives every job. Setting (``linkspider.settings``):
``LINKSPIDER_SCRAPYD_REQUIRE_ABSOLUTE_OUTPUT``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RelativeOutputUnderScrapyd(ValueError):
    """A Scrapyd job was given a relative output directory."""


def check_output_dir(output_dir: str, job: str | None, cwd: str) -> None:
    """Raise ``RelativeOutputUnderScrapyd`` when Scrapyd job ``job`` (None: not a Scrapyd
    job) would write to the relative ``output_dir``, which resolves against ``cwd``.

    >>> check_output_dir("/srv/linkspider", "j1", "/")
    >>> check_output_dir("output", None, "/home/me")
    """
    if job is None or os.path.isabs(output_dir):
        return
    raise RelativeOutputUnderScrapyd(
        f"Scrapyd job {job}: LINKSPIDER_OUTPUT_DIR={output_dir!r} is relative, so the dataset "
        f"would land in the Scrapyd daemon's working directory ({os.path.join(cwd, output_dir)}); "
        "schedule the job with an absolute one, e.g. "
        "-d setting=LINKSPIDER_OUTPUT_DIR=/srv/linkspider/output"
    )


class ScrapydOutputCheck:
    """Fail the crawl at start-up when it is a Scrapyd job with a relative output directory."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScrapydOutputCheck:
        if not crawler.settings.getbool("LINKSPIDER_SCRAPYD_REQUIRE_ABSOLUTE_OUTPUT", True):
            raise NotConfigured("LINKSPIDER_SCRAPYD_REQUIRE_ABSOLUTE_OUTPUT is off")
        job = getattr(crawler.spider, "_job", None)
        check_output_dir(str(crawler.settings.get("LINKSPIDER_OUTPUT_DIR")), job, os.getcwd())
        raise NotConfigured  # nothing to check for the rest of the crawl

"""``linkspider crawl`` and ``linkspider demo``: run the ``backlinks`` spider in this process.

``linkspider crawl`` runs the spider through Scrapy's engine with the project settings, as
``scrapy crawl backlinks`` does, with options for the common settings and ``-s NAME=VALUE`` for
any other. Its exit code says how the run ended (``linkspider.runs.exitcodes``; docs/runs.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from linkspider.cli.options import crawl_settings


def run_crawl(seeds: Sequence[str], overrides: dict[str, Any], seeds_file: str | None = None) -> dict:
    """Run the ``backlinks`` spider in this process; return the crawl's final stats.

    Raises ``RunSetupError`` or ``InvalidRunId`` (usage), ``OutputNotWritable`` (checked before
    any request is made), or what made the crawl fail to start.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from linkspider.dataset.layout import ensure_writable
    from linkspider.runs.context import RunContext, RunSetupError
    from linkspider.spiders.backlinks import BacklinksSpider, read_seeds

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    shared = bool(settings.get("LINKSPIDER_REDIS_URL"))
    if shared:  # a worker of a distributed run
        from linkspider.distributed.worker import distributed_settings, join_run

        distributed_settings(settings)
        context = join_run(settings)
    else:
        context = RunContext.from_settings(settings)  # validates the run id, JOBDIR, resume
    settings.set("LINKSPIDER_RUN_ID", context.run_id, priority="cmdline")
    seed_urls = read_seeds(list(seeds), seeds_file)  # fail early, before Scrapy starts
    if not seed_urls and context.previous is not None:
        if context.previous.seeds_count != len(context.previous.seeds):
            raise RunSetupError(f"run {context.run_id} had {context.previous.seeds_count} seeds, "
                                "more than its record keeps: give the same --seeds-file")  # fmt: skip
        seed_urls = list(context.previous.seeds)
    if not seed_urls and not shared:
        raise RunSetupError("no seeds: give URLs or --seeds-file FILE")
    ensure_writable(context.root, context.run_id)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BacklinksSpider)
    RunContext._by_crawler[crawler] = context
    failures: list[Any] = []
    extra = {"shared_frontier": True} if shared else {}
    process.crawl(crawler, seeds=seed_urls, **extra).addErrback(failures.append)
    rendering = settings.getbool("LINKSPIDER_RENDER")
    if rendering:
        from linkspider.discovery.browser_processes import adopt_orphans, end_descendants

        adopt_orphans()
    process.start()
    if rendering:
        end_descendants()  # no Chromium process outlives the crawl, however it stopped
    return finished_stats(crawler, context, failures)


def finished_stats(crawler: Any, context: Any, failures: list[Any]) -> dict:
    """Return the stats of a crawl ``process.start()`` has run to its end, with the run's id
    and dataset root; raise what made it fail to start (``failures``, the crawl's errback)."""
    if failures:
        failures[0].raiseException()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    stats["linkspider/run_id"] = context.run_id
    stats["linkspider/output_dir"] = str(context.root)
    return stats


def _finish(stats: dict, report: bool) -> int:
    from linkspider.runs.exitcodes import ExitCode

    reason = stats.get("finish_reason")
    code = ExitCode(stats.get("linkspider/exit_code", ExitCode.ENDED_EARLY))
    run = f"run {stats.get('linkspider/run_id')}"
    if report and stats.get("linkspider/pages_rows_written"):
        from linkspider.dataset.run_summary import summarize

        print(summarize(stats["linkspider/output_dir"], stats["linkspider/run_id"]))
    if stats.get("linkspider/render/sites") is not None:
        print(render_report(stats["linkspider/render/sites"]))
    if code == ExitCode.OUTPUT_FAILED:
        print(f"linkspider: {stats.get('linkspider/output_error')}", file=sys.stderr)
    elif code == ExitCode.ENDED_EARLY and stats.get("linkspider/redis_worker"):
        print(f"linkspider: this worker of {run} ended early ({reason}); its files are complete "
              "and its unfinished requests are back in the run's queue; other workers, or one "
              "started with the same --redis and --run-id, continue it", file=sys.stderr)
    elif code == ExitCode.ENDED_EARLY:
        print(f"linkspider: {run} ended early ({reason}); the files written are complete; "
              f"continue it with --resume {stats.get('linkspider/run_id')}", file=sys.stderr)
    elif code == ExitCode.NOTHING_FETCHED:
        print(f"linkspider: {run} fetched nothing: no page answered 2xx. Check the seeds, the "
              "network or proxy and robots.txt; the pages table says why each failed",
              file=sys.stderr)  # fmt: skip
    return int(code)


def render_report(sites: dict[str, dict[str, int]]) -> str:
    """Return the closing report of ``--render``: per site, the pages rendered and the links
    only their rendered DOM has.

    >>> print(render_report({"a.com": {"pages": 3, "links_added": 4}, "b.org": {"pages": 1, "links_added": 0}}))
    rendering: 4 pages rendered on 2 sites; links only the rendered DOM has: 4
      a.com: 4 links added by rendering (3 pages rendered)
      b.org: 0 links added by rendering (1 page rendered)
    """
    pages = sum(site["pages"] for site in sites.values())
    added = sum(site["links_added"] for site in sites.values())
    lines = [f"rendering: {pages} page{'s' * (pages != 1)} rendered on {len(sites)} "
             f"site{'s' * (len(sites) != 1)}; links only the rendered DOM has: {added}"]  # fmt: skip
    for name, site in sites.items():
        lines.append(f"  {name}: {site['links_added']} links added by rendering "
                     f"({site['pages']} page{'s' * (site['pages'] != 1)} rendered)")  # fmt: skip
    return "\n".join(lines)


def cmd_crawl(args: argparse.Namespace) -> int:
    from linkspider.dataset.layout import OutputNotWritable
    from linkspider.runs import ExitCode, InvalidRunId
    from linkspider.runs.context import RunSetupError

    if not args.urls and not args.seeds_file and not args.resume and not args.redis:
        print("linkspider crawl: give seed URLs or --seeds-file FILE", file=sys.stderr)
        return ExitCode.USAGE
    overrides = crawl_settings(args)
    if args.redis and str(overrides.get("LINKSPIDER_SITEMAPS", "")).lower() in ("1", "true"):
        print("linkspider crawl: --sitemaps does not work in a distributed run (--redis) yet: "
              "crawl the sitemaps in a single-process run", file=sys.stderr)  # fmt: skip
        return ExitCode.USAGE
    if args.resume:
        overrides.update(LINKSPIDER_RUN_ID=args.resume, LINKSPIDER_RESUME=True)
    try:
        stats = run_crawl(args.urls, overrides, args.seeds_file)
    except OutputNotWritable as exc:
        print(f"linkspider crawl: {exc}", file=sys.stderr)
        return ExitCode.OUTPUT_NOT_WRITABLE
    except (RunSetupError, InvalidRunId, ValueError, OSError) as exc:
        print(f"linkspider crawl: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    code = _finish(stats, args.report)
    # link history: fold the run into link_history when it ended complete
    # (a distributed run's workers each end complete: fold it once, with linkspider history update)
    if code == ExitCode.COMPLETE and not args.redis and str(overrides.get("LINKSPIDER_HISTORY_UPDATE", "1")).lower() not in ("0", "false"):
        from linkspider.history.cli import history_after_crawl

        history_after_crawl(stats["linkspider/output_dir"], stats["linkspider/run_id"], overrides)
    # a distributed run's targets are checked once, by the worker that ended the run
    checks = stats.get("linkspider/redis/check_targets") if args.redis else stats.get("linkspider/pages_rows_written")
    if args.check_targets and checks:
        from linkspider.targets.cli import check_after_crawl, politeness_argv

        check_after_crawl(stats["linkspider/output_dir"], stats["linkspider/run_id"], politeness_argv(args))
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from linkspider.web.server import LocalWebProcess
    from linkspider.web.world import World, WorldConfig

    world = World(WorldConfig(seed=args.seed, sites=args.sites, link_rot=True))
    started = time.monotonic()
    with LocalWebProcess(world) as web:
        print(f"local web: {len(world.seeds())} generated sites behind proxy {web.proxy_url}")
        overrides = crawl_settings(args)
        overrides.setdefault("LINKSPIDER_PROXY", web.proxy_url)
        overrides["LINKSPIDER_ALLOW_PRIVATE_ADDRESSES"] = True
        overrides.setdefault("LOG_LEVEL", "WARNING")
        stats = run_crawl(world.seeds(), overrides)
        if stats.get("linkspider/pages_rows_written"):  # targets, analysis, HTML report
            from linkspider.htmlreport.demo import check_demo_targets

            check_demo_targets(stats, overrides["LINKSPIDER_PROXY"])
    elapsed = time.monotonic() - started
    code = _finish(stats, report=True)
    if stats.get("linkspider/pages_rows_written"):
        from linkspider.htmlreport.demo import write_demo_report

        # the world's topic keywords, which analyze reads from the dataset for the anchor classes
        world.write_keywords(os.path.join(stats["linkspider/output_dir"], "keywords.tsv"))
        write_demo_report(stats)
    print(f"demo finished in {time.monotonic() - started:.1f} s (crawl and target checks {elapsed:.1f} s)")
    return code

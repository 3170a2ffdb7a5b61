"""Command-line wiring of distributed runs: ``crawl --redis`` and ``linkspider status``."""

from __future__ import annotations

import argparse
import json
import sys
import time


def add_distributed_commands(crawl: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:
    """Add ``--redis`` to ``linkspider crawl`` and the ``status`` command."""
    crawl.add_argument(
        "--redis", metavar="URL",
        help="work on one crawl with every worker started with this Redis (redis://HOST:PORT/DB, "
             "rediss://:PASSWORD@HOST:PORT/DB for TLS; not Sentinel or Cluster) "
             "and the same --run-id; seeds are optional for workers that join",
    )  # fmt: skip
    status = sub.add_parser("status", help="show a distributed run's queue, in-flight requests "
                                           "and workers")  # fmt: skip
    status.add_argument("--redis", required=True, metavar="URL", help="the run's Redis")
    status.add_argument("--run-id", required=True, help="the run")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=cmd_status)


def run_status(url: str, run_id: str) -> dict:
    """Return the state of a distributed run: counts and one entry per worker."""
    from linkspider.distributed.frontier import Frontier, run_prefix
    from linkspider.distributed.worker import connect

    server = connect(url)
    frontier = Frontier(server, run_id, 1)
    counts = frontier.counts()
    owners: dict[str, int] = {}
    for owner in server.hvals(frontier.key("owner")):
        owners[owner.decode()] = owners.get(owner.decode(), 0) + 1
    done_by = {k.decode(): int(v) for k, v in server.hgetall(frontier.key("done_by")).items()}
    workers = []
    now = time.time()
    reported = {k.decode(): json.loads(v) for k, v in server.hgetall(frontier.key("workers")).items()}
    for name in sorted(set(reported) | set(owners) | set(done_by)):
        info = reported.get(name, {"state": "unknown (no heartbeat)"})
        age = now - info.get("heartbeat", now)
        state = info.get("state", "?")
        if state == "running" and age > 10:
            state = f"gone (no heartbeat for {age:.0f} s)"
        workers.append({"worker": name, "state": state, "in_flight": owners.get(name, 0),
                        "done": done_by.get(name, 0)})  # fmt: skip
    exists = server.exists(f"{run_prefix(run_id)}:meta")
    return {"run_id": run_id, "exists": bool(exists), **counts, "workers": workers}


def cmd_status(args: argparse.Namespace) -> int:
    from linkspider.runs.context import RunSetupError

    try:
        status = run_status(args.redis, args.run_id)
    except RunSetupError as exc:
        print(f"linkspider status: {exc}", file=sys.stderr)
        return 2
    if not status["exists"]:
        from linkspider.distributed.worker import redacted

        print(f"linkspider status: no run {args.run_id} in the Redis at {redacted(args.redis)}",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.json:
        print(json.dumps(status))
        return 0
    print(f"run {status['run_id']}: {status['queued']} queued, {status['in_flight']} in flight, "
          f"{status['done']} done ({status['requeued']} requeued from dead workers, "
          f"{status['refused']} refused entries)")  # fmt: skip
    if status["workers"]:
        width = max(len(w["worker"]) for w in status["workers"])
        print(f"{'worker':<{width}}  {'in flight':>9}  {'done':>7}  state")
        for w in status["workers"]:
            print(f"{w['worker']:<{width}}  {w['in_flight']:>9}  {w['done']:>7}  {w['state']}")
    return 0

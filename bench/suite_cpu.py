"""The suite's cost in CPU seconds, by file and by test: what to shorten to make it faster.

Wall time on a shared 2-core machine moves with every other process; the CPU a test spends
(its own, its local web's and its crawls', forked or not) moves much less. Run the suite with
``LINKSPIDER_TEST_CPU_LOG=FILE`` (tests/conftest.py appends one line per test), then:

``python -m bench.suite_cpu FILE [--top 25]``
"""

from __future__ import annotations

import argparse
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    tests: list[tuple[float, float, str]] = []
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(args.log, encoding="utf-8") as handle:
        for line in handle:
            cpu, wall, nodeid, worker, start = line.rstrip("\n").split("\t")
            tests.append((float(cpu), float(wall), nodeid))
            spans[worker].append((float(start), float(start) + float(wall)))
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for cpu, wall, nodeid in tests:
        entry = files[nodeid.split("::", 1)[0]]
        entry[0] += cpu
        entry[1] += wall
        entry[2] += 1
    total = sum(t[0] for t in tests)
    print(f"{len(tests)} tests, {total:.0f} CPU s in all (2 cores: at best {total / 2:.0f} s of wall)")
    begin = min(start for worker in spans.values() for start, _ in worker)
    print("\nworker  busy s  ends at s  (idle at the end is time lost to one long file)")
    for worker, worker_spans in sorted(spans.items()):
        busy = sum(end - start for start, end in worker_spans)
        print(f"{worker:>6} {busy:7.1f} {max(end for _, end in worker_spans) - begin:10.1f}")
    print(f"\n{'CPU s':>8} {'wall s':>8} {'tests':>5}  file")
    for name, (cpu, wall, count) in sorted(files.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{cpu:8.1f} {wall:8.1f} {count:5d}  {name}")
    print(f"\n{'CPU s':>8} {'wall s':>8}  test")
    for cpu, wall, nodeid in sorted(tests, reverse=True)[: args.top]:
        print(f"{cpu:8.1f} {wall:8.1f}  {nodeid}")


if __name__ == "__main__":
    main()

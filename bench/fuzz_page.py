"""Fuzz the per-page path (bytes + headers + URL -> extraction -> normalization -> Arrow rows).

Usage::

    nice .venv/bin/python -m bench.fuzz_page                 # 100,000 inputs
    nice .venv/bin/python -m bench.fuzz_page --inputs 5000 --seed 3

Mutates the seed pages of ``tests/fuzzing.py`` (the local web's pages) with the same kinds of
splices as the Hypothesis strategy there, but from a seeded ``random.Random`` (Hypothesis's
engine costs more than the page path itself). Prints a table: inputs, rows, seconds, inputs
per second, slowest input, exceptions; writes each failing input to ``--failures DIR``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

from tests.fuzzing import CONTENT_TYPES, HOSTS, page_rows, seed_pages


def mutate(rng: random.Random, pages: list[bytes]) -> bytes:
    """Return a seed page with up to three slices replaced by random bytes or other pages'."""
    body = rng.choice(pages)
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(0, len(body))
        end = rng.randint(start, min(len(body), start + 2000))
        if rng.random() < 0.5:
            insert = rng.randbytes(rng.randint(0, 200))
        else:
            other = rng.choice(pages)
            at = rng.randint(0, len(other))
            insert = other[at : at + rng.randint(0, 3000)]
        body = body[:start] + insert + body[end:]
    return body


def case(rng: random.Random, pages: list[bytes]) -> tuple[bytes, dict[str, str], str]:
    headers: dict[str, str] = {}
    content_type = rng.choice(CONTENT_TYPES)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if rng.random() < 0.1:
        headers["X-Robots-Tag"] = rng.choice(["nofollow", "noindex, nofollow", "googlebot: none"])
    path = "".join(_character(rng) for _ in range(rng.randint(0, 30)))
    return mutate(rng, pages), headers, f"http://{rng.choice(HOSTS)}/{path}"


def _character(rng: random.Random) -> str:
    """Return printable ASCII or any code point but a surrogate (none can reach a URL)."""
    if rng.random() < 0.5:
        return chr(rng.randint(32, 126))
    code = rng.randint(0, 0x2FFFF)
    return chr(code) if not 0xD800 <= code <= 0xDFFF else "x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--failures", type=Path, default=Path("output/fuzz-failures"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    pages = seed_pages()
    started = time.perf_counter()
    rows = refused_urls = 0
    failures: list[str] = []
    slowest = (0.0, -1)
    for i in range(args.inputs):
        body, headers, url = case(rng, pages)
        t = time.perf_counter()
        try:
            page_table, links_table = page_rows(body, headers, url)
            rows += page_table.num_rows + links_table.num_rows
        except ValueError as exc:
            if "url" not in str(exc).lower():
                failures.append(_save(args.failures, i, body, headers, url))
            refused_urls += 1
        except Exception:  # noqa: BLE001 - what the fuzzer is looking for
            failures.append(_save(args.failures, i, body, headers, url))
        slowest = max(slowest, (time.perf_counter() - t, i))
        if (i + 1) % 10_000 == 0:
            print(f"  {i + 1:,} inputs, {len(failures)} failures", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    print("| inputs | rows | refused URLs | seconds | inputs/s | slowest input | exceptions |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.inputs:,} | {rows:,} | {refused_urls:,} | {elapsed:.0f} | "
          f"{args.inputs / elapsed:.0f} | {slowest[0] * 1000:.0f} ms (#{slowest[1]}) | "
          f"{len(failures)} |")  # fmt: skip
    for failure in failures[:5]:
        print(failure)
    return 1 if failures else 0


def _save(directory: Path, i: int, body: bytes, headers: dict[str, str], url: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"input-{i}.html").write_bytes(body)
    (directory / f"input-{i}.txt").write_text(f"{url!r}\n{headers!r}\n{traceback.format_exc()}")
    return f"input {i}: {url!r} {headers!r}: {traceback.format_exc().strip().splitlines()[-1]}"


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Set up with the test dependencies, then run the whole test suite over every core
# (pytest-xdist). Extra arguments go to pytest. Exits non-zero when a test fails or none ran
# (pytest's exit code 5); pytest's last line gives the time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
# The HTML report's tests render it in headless Chromium, the web-archive tests compare with
# GNU wget's WARC files and run a PySpark job on Java 17 (Debian's packages): install what is
# missing.
missing=""
for need in chromium:chromium wget:wget java:openjdk-17-jre-headless; do
    command -v "${need%%:*}" >/dev/null 2>&1 || missing="$missing ${need#*:}"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's$missing for the report and web-archive tests" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
            || echo "could not install$missing: the tests that need it will fail and say so" >&2
    else
        echo "missing:$missing (apt-get install -y$missing as root): the tests that need it will fail" >&2
    fi
fi
# Many tests wait on a crawl in another process: one worker more than the cores keeps them busy.
# loadfile: a file's tests run one after the other on one worker, so its module fixtures
# (the crawls most files share) are built once, not once per worker that visits it; in the
# order tests/conftest.py gives (the slowest files first), not xdist's (most tests first).
workers="${LINKSPIDER_TEST_WORKERS:-$(( $(nproc) + 1 ))}"
echo "running the suite with $workers workers; pytest's last line says how long it took" >&2
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@"

#!/usr/bin/env bash
# Set up, then crawl the bundled local demo web and print a report. Extra arguments go to
# `linkspider demo` (e.g. --out DIR, --sites N).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/linkspider demo "$@"

#!/usr/bin/env bash
# Set up with the test dependencies, then run the whole test suite. Extra arguments go to
# pytest. Exits non-zero when a test fails or none ran (pytest's exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"

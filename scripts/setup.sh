#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install linkspider with its pinned dependencies.
# Usage: bash scripts/setup.sh [requirements file]   (default: requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "linkspider needs Python 3.11 or newer; found: $("$python" --version 2>&1 || echo none)." >&2
    echo "Install it, or point PYTHON at one: PYTHON=python3.12 bash $0" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
# Playwright (crawl --render) drives Debian's chromium: it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp=".venv/.installed-$(cat "$requirements" requirements.txt pyproject.toml | cksum | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements" -e .
    touch "$stamp"
fi

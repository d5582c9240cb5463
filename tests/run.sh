#!/usr/bin/env bash
# Install what the test suite needs on a fresh Debian machine, then run it: bash tests/run.sh [pytest args]
#
# The browser and Pyodide tests build dist/ themselves (python build.py, cached downloads), so this script
# only installs prerequisites. With CI=true a missing prerequisite fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ -z "${PYDL_CHROMIUM:-}" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "tests/run.sh: installing Debian's chromium for the browser tests"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "tests/run.sh: no chromium found; install it (apt-get install chromium) or set PYDL_CHROMIUM" >&2
    fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "tests/run.sh: build.py and the Pyodide tests need Node.js 18+ with npm (apt-get install nodejs npm)" >&2
fi

# torch first and pinned: this machine kind has a local CPU build; an unpinned torch would pull GBs of CUDA.
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e ".[test]"

# The GPU suite (tests/test_gpu.py) needs CuPy and a GPU: run it there with `python -m pytest -m gpu`.
exec python -m pytest -q -m "not gpu" "$@"

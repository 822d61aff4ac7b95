#!/usr/bin/env bash
# Create .venv and install the project (with test tools when called with "test").
# Sourced by demo.sh and test.sh; safe to run again (pip skips what is already there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        echo "python3 -m venv failed; installing python3-venv" >&2
        apt_install python3-venv
        "$PYTHON" -m venv .venv
    fi
fi
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e ".${extras}"

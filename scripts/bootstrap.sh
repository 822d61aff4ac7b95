#!/usr/bin/env bash
# Create .venv and install the project (with test tools when called with "test").
# Sourced by demo.sh and test.sh. Safe to run again: when pyproject.toml and constraints.txt
# are what the last install used, it does nothing (a warm start takes no time at all).
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
stamp=".venv/.installed${extras:+-test}"
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c constraints.txt -e ".${extras}" 2> >(grep -v "BuildBackendWarning\|!!\|\*\*\*\|take precedence\|folders in your working\|WheelFile\|^\s*$" >&2)
    echo "$wanted" > "$stamp"
fi

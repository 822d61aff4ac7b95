#!/usr/bin/env bash
# Install everything the suite needs (PostgreSQL and Redis included) and run all of it:
# lint, types, then the tests on SQLite and on a real throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
source scripts/bootstrap.sh test

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)  # video uploads
command -v curl >/dev/null || missing+=(curl)  # the README upload example
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the /wall page and GraphiQL in a real browser
command -v npm >/dev/null || missing+=(nodejs npm)  # graphql-http audit, TypeScript example
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)"
    apt_install "${missing[@]}" || echo "could not install ${missing[*]}: those tests will skip (fail under CI=true)" >&2
fi

echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy .
echo "== pytest"; exec .venv/bin/python -m pytest "$@"

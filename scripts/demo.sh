#!/usr/bin/env bash
# Install, load the Huế demo data into SQLite, and serve GraphiQL at http://127.0.0.1:8000/graphql
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
source scripts/bootstrap.sh
.venv/bin/python server.py seed-demo
echo "GraphiQL: http://${HOST:-127.0.0.1}:${PORT:-8000}/graphql, the live wall: /wall  (demo accounts: see README)"
exec .venv/bin/python server.py serve

#!/usr/bin/env bash
# Fetch GraphiQL's files again from the npm registry (versions and hashes in
# web/graphiql/assets.py) into web/graphiql/static/vendor/, refusing any whose SHA-384 differs.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python - "$work" <<'PY'
import base64, hashlib, subprocess, sys, tarfile
from pathlib import Path
from web.graphiql.assets import ASSETS, VENDOR
work = Path(sys.argv[1])
for target, (package, inside, integrity) in ASSETS.items():
    tgz = work / subprocess.run(["npm", "pack", package, "--silent"], cwd=work, check=True,
                                capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(tgz) as archive:
        data = archive.extractfile(f"package/{inside}").read()
        try:
            licence = archive.extractfile("package/LICENSE").read()
        except KeyError:
            licence = None
    digest = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    if digest != integrity:
        sys.exit(f"{package} {inside}: {digest} is not the pinned {integrity}")
    path = VENDOR / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if licence:
        (path.parent / "LICENSE").write_bytes(licence)
    print(f"{target}: {len(data)} bytes, {digest}")
PY

"""The TypeScript example client (examples/web-client): graphql-codegen generates its typed
documents from the committed schema.graphql, tsc type-checks them (strict), and the compiled
walkthrough runs against a live server, persisted queries and all. Its manifest of persisted
documents is what `register-documents` takes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bench.world import World
from tests.live.conftest import Live
from tests.support.node import npm_ready

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "web-client"


def npm(*args: str) -> str:
    done = subprocess.run(["npm", "run", "--silent", *args], cwd=EXAMPLE, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_codegen_generates_and_the_client_type_checks():
    npm_ready(EXAMPLE)
    npm("generate")
    generated = (EXAMPLE / "src" / "gql" / "graphql.ts").read_text()
    assert "export type WallFeedSubscription" in generated
    assert "export type SubmitReportMutation" in generated
    npm("typecheck")


def test_a_type_error_is_caught(tmp_path: Path):
    """The check can fail: a field the schema does not have breaks the build."""
    npm_ready(EXAMPLE)
    npm("generate")
    broken = EXAMPLE / "src" / "broken.ts"
    broken.write_text('import { graphql } from "./gql/index.js";\n'
                      "export const B = graphql(`query Broken { reports(first: 1) { nodes "
                      "{ noSuchField } } }`);\n")
    try:
        done = subprocess.run(["npm", "run", "--silent", "generate"], cwd=EXAMPLE,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode != 0
        assert "noSuchField" in done.stdout + done.stderr
    finally:
        broken.unlink()
        npm("generate")


async def test_the_walkthrough_runs_against_a_live_server(live: Live, live_world: World,
                                                          tmp_path: Path):
    def build() -> None:  # in a thread: the live server shares this event loop
        npm_ready(EXAMPLE)
        npm("generate")
        npm("build")

    await asyncio.to_thread(build)
    node = await asyncio.create_subprocess_exec(
        "node", "dist/walkthrough.js", f"{live.http}/graphql", live_world.citizen.phone,
        "mật khẩu an toàn", cwd=EXAMPLE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(node.communicate(), 60)
    assert node.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["user"] == live_world.citizen.name
    assert result["expiresAt"].endswith("+07:00")
    assert result["report"]["status"] == "PENDING_REVIEW"
    assert result["report"]["timeline"] == ["SUBMITTED"]
    assert result["renewed"] is True
    # The manifest graphql-codegen wrote is one the server trusts as it is.
    manifest = EXAMPLE / "src" / "gql" / "persisted-documents.json"
    registered = await asyncio.to_thread(
        subprocess.run, [sys.executable, "server.py", "register-documents", str(manifest),
                         "--client", "web-client-example"], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"DATABASE_URL": f"sqlite://{tmp_path / 'trusted.sqlite3'}",
                                     "PATH": "/usr/bin", "LANG": "C.UTF-8"})
    assert registered.returncode == 0, registered.stderr
    assert f"{len(json.loads(manifest.read_text()))} newly trusted" in registered.stdout

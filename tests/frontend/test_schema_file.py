"""schema.graphql is what code generators and reviewers read: it must be the code's schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from resolvers.build import SchemaOptions, build_schema
from web.cli import schema_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schema_is_the_code_s_schema():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert schema_sdl(build_schema()) == committed, (
        "schema.graphql is stale: run `python server.py schema > schema.graphql` and commit it")


def test_deployment_options_do_not_change_the_schema():
    locked = SchemaOptions(introspection=False, max_depth=3, max_nodes=10)
    assert schema_sdl(build_schema(locked)) == schema_sdl(build_schema())


def test_the_command_prints_it():
    printed = subprocess.run([sys.executable, "server.py", "schema"], cwd=ROOT, check=True,
                             capture_output=True, text=True, timeout=60).stdout
    assert printed == (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert "scalar DateTime" in printed
    assert "type Report implements Node" in printed

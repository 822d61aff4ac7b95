"""The house keeps its layout: the import contracts in pyproject.toml hold (and would catch an
import that runs back up), nothing imports the wiring, and no module outgrows a screenful of
screens."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = ["web", "resolvers", "schema", "realtime", "media", "models"]
MAX_LINES = 400
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
        "lint_imports_command()", "pyproject.toml", "--no-cache"]


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=120)


def modules() -> list[Path]:
    return [path for package in APPLICATION for path in (ROOT / package).rglob("*.py")]


def test_the_import_contracts_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("room", "probe", "broken"), [
    ("models/rules", "from models.orm.reports import Report", "Rules are pure"),
    ("models/queries", "from models.actions import review", "Domain rooms"),
    ("realtime", "import strawberry", "Live events know nothing of GraphQL"),
    ("schema", "from resolvers.build import build_schema", "Layers"),
])
def test_an_import_against_the_layers_breaks_a_contract(tmp_path: Path, room: str, probe: str,
                                                         broken: str):
    copy = tmp_path / "house"
    for name in [*APPLICATION, "bench"]:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    (copy / room / "probe.py").write_text(f"{probe}\n")
    result = lint(copy)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout.replace("\n", " ")


def test_nothing_imports_the_wiring():
    """server.py stands above every package: an import of it would close a circle."""
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert "server" not in names, f"{path} imports server"


def test_no_module_outgrows_one_idea():
    long = {str(p.relative_to(ROOT)): n for p in modules()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these (over {MAX_LINES} lines): {long}"

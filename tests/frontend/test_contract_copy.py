"""docs/API.md is the contract as it travels with the code: the same text as the shared
contract beside the repository (where CI runs), after its one-line provenance comment."""

from __future__ import annotations

from pathlib import Path

from tests.support.servers import need

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "API.md"


def test_the_copy_is_the_contract():
    if not SHARED.exists():
        need(f"the shared contract beside the repository ({SHARED})")
    copy = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    comment, _, text = copy.partition("\n\n")
    assert comment.startswith("<!-- A copy of the API contract")
    assert text == SHARED.read_text(encoding="utf-8"), (
        "the shared contract changed: copy it again into docs/API.md")

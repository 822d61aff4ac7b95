"""The README's "Try it" walk-through, executed as written against the demo data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.support.api import Api
from tests.support.clock import FakeClock
from web.demo.seed import seed
from web.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```graphql\n(.*?)```", re.S)


def try_it_blocks() -> list[tuple[str, str | None, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for body in BLOCK.findall(section):
        header = re.match(r"# as: (\w+)(?:; keeps: (\w+))?\n", body)
        assert header, f"every block starts with '# as: ...': {body[:60]}"
        blocks.append((header.group(1), header.group(2), body))
    return blocks


def payload_errors(data: dict[str, Any]) -> list[Any]:
    return [e for value in data.values() if isinstance(value, dict)
            for e in value.get("errors") or []]


async def test_try_it_walks_a_report_to_resolved(app: object, settings: Settings, api: Api,
                                                 clock: FakeClock):
    # The demo as `seed-demo` makes it, up to this test's clock: a queue already full.
    await seed(settings, reports=200, now=clock.now)
    tokens: dict[str, str] = {}
    found: dict[str, str] = {}
    blocks = try_it_blocks()
    assert len(blocks) >= 10
    data: dict[str, Any] = {}
    for who, keeps, document in blocks:
        for name, value in found.items():
            document = document.replace(name, value)
        data = await api.gql(document, token=tokens.get(who))
        assert payload_errors(data) == [], (document, data)
        if keeps:
            tokens[keeps] = data["login"]["token"]
        if "submitReport" in data:
            found["REPORT_ID"] = data["submitReport"]["report"]["id"]
            assert data["submitReport"]["report"]["reporter"]["phone"] == "+84900000010"
        if "reviewQueue" in data:  # the step finds the report just submitted
            assert found["REPORT_ID"] in [n["id"] for n in data["reviewQueue"]["nodes"]]
        if "agencies" in data:
            found["HEPCO_ID"] = next(a["id"] for a in data["agencies"] if a["code"] == "HEPCO")
        if "agencyInbox" in data:
            assert data["agencyInbox"]["nodes"][0]["reporter"] is None
    report = data["report"]
    assert report["status"] == "RESOLVED"
    assert report["onTime"] is True
    assert report["reporter"] is None
    assert [e["kind"] for e in report["timeline"]] == [
        "SUBMITTED", "ASSIGNED", "ACCEPTED", "RESULT_SUBMITTED", "PUBLISHED"]

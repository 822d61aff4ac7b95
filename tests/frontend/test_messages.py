"""Messages in Vietnamese (the default) or English: every message the code can show has a
Vietnamese translation in the catalogue, and the reader's language decides (Accept-Language
over HTTP, `language` in connection_init over WebSocket); the `code` never changes."""

from __future__ import annotations

import asyncio
import re
import string
from pathlib import Path

import httpx
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bench.world import World
from models.messages import LOCALE_DIR, negotiate_language
from tests.live.conftest import Live
from tests.support.api import Api
from tests.support.ws import WsClient

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = string.Formatter()
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id } errors { code message field } } }"""


def _code_messages() -> set[str]:
    method_map = [("models/**.py", "python"), ("schema/**.py", "python"),
                  ("resolvers/**.py", "python"), ("web/**.py", "python"),
                  ("media/**.py", "python"), ("realtime/**.py", "python")]
    keywords = {"_": None, "t": None}
    return {message[2] for message in extract_from_dir(
        ROOT, method_map, keywords=keywords) if isinstance(message[2], str)}


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in PLACEHOLDER.parse(template) if name}


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders():
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = {m.id: m for m in read_po(po) if m.id}
    in_code = _code_messages()
    assert len(in_code) > 150
    missing = sorted(in_code - catalogue.keys())
    assert missing == [], "run pybabel extract/update (README: Messages and languages)"
    for msgid in in_code:
        entry = catalogue[msgid]
        assert isinstance(entry.string, str), msgid
        assert entry.string, msgid
        assert not entry.fuzzy, msgid
        assert _names(entry.string) == _names(msgid), msgid
    assert sorted(catalogue.keys() - in_code) == [], "obsolete entries: pybabel update"


def test_the_reader_s_language_is_negotiated():
    assert negotiate_language(None) == "vi"
    assert negotiate_language("en-US,en;q=0.9") == "en"
    assert negotiate_language("fr-FR, en;q=0.5, vi;q=0.8") == "vi"
    assert negotiate_language("de, fr") == "vi"
    assert negotiate_language("en;q=0, vi;q=0.1") == "vi"


async def test_vietnamese_by_default_english_when_asked(api: Api, world: World):
    variables = {"input": {"description": "  "}}
    headers = {"Authorization": f"Bearer {world.citizen.token}"}

    async def error(language: str | None) -> dict[str, str]:
        sent = dict(headers, **({"Accept-Language": language} if language else {}))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app),
                                   base_url="http://test", headers=sent)
        async with client:
            body = (await client.post("/graphql", json={"query": SUBMIT,
                                                        "variables": variables})).json()
        found: dict[str, str] = body["data"]["submitReport"]["errors"][0]
        return found

    default, vietnamese, english = await error(None), await error("vi-VN"), await error("en")
    assert default == vietnamese
    assert vietnamese["message"] == "description không được để trống."
    assert english["message"] == "description must not be empty."
    assert vietnamese["code"] == english["code"] == "VALIDATION"
    assert vietnamese["field"] == english["field"] == "description"


async def test_refusals_at_the_edge_speak_the_reader_s_language_too(api: Api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app),
                                 base_url="http://test") as client:  # no Accept-Language
        refused = await client.post("/graphql", json={"query": "{ me { id } }"},
                                    headers={"Authorization": "Bearer nope"})
        assert refused.json()["errors"][0]["message"] == (
            "Mã đăng nhập không hợp lệ. Hãy đăng nhập lại.")
        page = "reports(first: 100) { nodes { comments(first: 100) { nodes { id } } } }"
        costly = await client.post("/graphql", json={
            "query": "{ " + " ".join(f"{alias}: {page}" for alias in "abcde") + " }"})
        assert re.match(r"Truy vấn này có thể trả về \d+ phần tử", costly.json()[
            "errors"][0]["message"])
        open311 = await client.get("/open311/v2/requests.yaml")
        assert "Định dạng không hỗ trợ" in open311.text


async def test_a_websocket_reads_its_language_from_connection_init(live: Live,
                                                                   live_world: World):
    for language, expected in (("en", "after is the cursor of an event already received."),
                               ("vi", "after là con trỏ của một sự kiện đã nhận.")):
        client = await WsClient.open(live.ws, init={"language": language})
        await client.acked()
        op = await client.subscribe("subscription($after: String) { publicFeed(after: $after)"
                                    " { seq } }", {"after": "nope"})
        answer = await client.next(op)
        assert answer["errors"][0]["message"] == expected, answer
        await client.close()
    await asyncio.sleep(0)

"""The /wall page in a real headless Chromium (Debian's package, driven by Playwright) against a
live server: what the API changes shows up on the page, and a dropped socket resumes with
`after` so nothing is missed. Screenshots go to test-artifacts/ for people to look at."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.world import World, gid
from tests.api.test_uploads import photo, uploaded
from tests.live.conftest import Live
from tests.support.servers import need

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root on a closed network: no sandbox, and none of Chromium's calls home.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SHOWN_WITHIN_MS = 2000

SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id code } errors { code message } } }"""
STEPS = {name: f"mutation($input: {kind}!) {{ {field}(input: $input) {{ errors {{ code }} }} }}"
         for name, kind, field in [
             ("assign", "AssignReportInput", "assignReport"),
             ("accept", "ReportIdInput", "acceptReport"),
             ("result", "SubmitResultInput", "submitResult"),
             ("publish", "PublishResultInput", "publishResult")]}

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM) or not _has_playwright():  # noqa: ASYNC240 (one stat)
        need("chromium (apt-get install chromium) and the playwright package")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


def _has_playwright() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


async def step(live: Live, name: str, token: str, **fields: Any) -> None:
    data = await live.api.gql(STEPS[name], {"input": fields}, token)
    assert next(iter(data.values()))["errors"] == [], (name, data)


async def submit(live: Live, world: World, description: str, **extra: Any) -> dict[str, Any]:
    data = await live.api.gql(SUBMIT, {"input": {
        "description": description, "categoryId": gid("Category", world.category.id),
        "location": {"latitude": 16.4637, "longitude": 107.5909,
                     "address": "12 đường Lê Lợi, phường Vĩnh Ninh"}, **extra}},
        world.citizen.token)
    assert data["submitReport"]["errors"] == []
    report: dict[str, Any] = data["submitReport"]["report"]
    return report


async def shown(page: Any, selector: str, since: float) -> float:
    """Milliseconds from `since` until the selector is on the page."""
    await page.wait_for_selector(selector, timeout=SHOWN_WITHIN_MS * 5)
    return (time.monotonic() - since) * 1000


async def test_the_wall_follows_a_report_live(live: Live, world: World, browser: Any):
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{live.http}/wall")
    await page.wait_for_selector('#connection[data-state="live"]')
    # The ranking and the headline figures arrive on separate subscriptions, in either order.
    await page.wait_for_selector("#ranking-period:not(:empty)")
    await page.wait_for_function(
        "() => document.querySelector('#fig-received').textContent === '0'", timeout=5000)

    media = await uploaded(live.api, world.citizen.token, photo())
    report = await submit(live, world, "Đèn đường không sáng trước số 12 Lê Lợi",
                          mediaIds=[media["id"]])
    card = f'[data-code="{report["code"]}"]'
    started = time.monotonic()
    await step(live, "assign", world.ioc.token, id=report["id"],
               agencyId=gid("Agency", world.agency_a.id))
    assert await shown(page, card, started) < SHOWN_WITHIN_MS
    text = await page.text_content(card)
    assert text is not None
    for expected in (world.category.name, "phường Vĩnh Ninh", world.agency_a.name,
                     "Đã chuyển đơn vị", "vừa xong", "Hạn "):
        assert expected in text, (expected, text)
    await page.wait_for_selector(f"{card} img")
    # The card shows at once; its photo arrives over a second request. A photo that never
    # loads (refused, broken) leaves naturalWidth at 0 and fails here after the timeout.
    await page.wait_for_function(
        "s => { const i = document.querySelector(s); return i.complete && i.naturalWidth > 0 }",
        arg=f"{card} img", timeout=5000)
    row = f'#ranking tr[data-agency="{world.agency_a.name}"] [data-role="handled"]'
    await page.wait_for_function(
        "s => document.querySelector(s)?.textContent === '0/1'", arg=row, timeout=5000)

    await step(live, "accept", world.staff_a.token, id=report["id"])
    await step(live, "result", world.staff_a.token, id=report["id"],
               text="Đã thay bóng đèn mới.")
    started = time.monotonic()
    await step(live, "publish", world.ioc.token, id=report["id"])
    assert await shown(page, f'{card}[data-status="RESOLVED"]', started) < SHOWN_WITHIN_MS
    await page.wait_for_function(
        "s => document.querySelector(s)?.textContent === '1/1'", arg=row,
        timeout=SHOWN_WITHIN_MS)
    assert "Đúng hạn" in (await page.text_content(card) or "")
    await page.wait_for_function("() => document.querySelector('#fig-processed')"
                                 ".textContent === '100%'", timeout=SHOWN_WITHIN_MS)
    assert await page.locator("#chart rect").count() == 30
    assert await page.text_content("#fig-satisfaction") == "–"  # nobody has rated yet

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "wall-1080p.png")
    phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    await phone.goto(f"{live.http}/wall")
    await phone.wait_for_selector(card)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways
    await phone.screenshot(path=ARTIFACTS / "wall-phone.png")
    assert problems == []


async def test_the_wall_reconnects_and_misses_nothing(live: Live, world: World, browser: Any):
    page = await browser.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sockets: list[Any] = []
    refuse = False
    attempted, released = asyncio.Event(), asyncio.Event()

    async def route(ws: Any) -> None:
        if refuse:
            await ws.close(code=1011, reason="down")  # the server is unreachable for now
            return
        attempted.set()
        await released.wait()  # the first socket waits while the test commits an event
        ws.connect_to_server()
        sockets.append(ws)

    await page.route_web_socket("**/graphql", route)
    await page.goto(f"{live.http}/wall")
    # The wall is empty and has read its first page; its socket is held back while a report
    # becomes public, so that its stream starts after the event. It resumes after the event
    # cursor it read before the page: the event is replayed, not lost.
    await asyncio.wait_for(attempted.wait(), 10)
    first = await submit(live, world, "Rác thải tập kết trái phép đầu kiệt 5")
    await step(live, "assign", world.ioc.token, id=first["id"],
               agencyId=gid("Agency", world.agency_a.id))
    released.set()
    await page.wait_for_selector('#connection[data-state="live"]')
    await page.wait_for_selector(f'[data-code="{first["code"]}"]')

    refuse = True
    await sockets[-1].close(code=1006, reason="network down")
    await page.wait_for_selector('#connection[data-state="retrying"]')
    missed = await submit(live, world, "Cây xanh gãy đổ chắn đường Hùng Vương")
    await step(live, "assign", world.ioc.token, id=missed["id"],
               agencyId=gid("Agency", world.agency_a.id))
    await page.wait_for_timeout(1500)  # a few refused attempts, backing off
    assert await page.query_selector(f'[data-code="{missed["code"]}"]') is None
    refuse = False

    await page.wait_for_selector('#connection[data-state="live"]', timeout=10000)
    await page.wait_for_selector(f'[data-code="{missed["code"]}"]', timeout=SHOWN_WITHIN_MS)
    assert len(sockets) == 2
    # The replay came from the cursor: the event cursor and the first page were read once,
    # before the drop.
    assert len(posts) == 2
    assert await page.locator(f'[data-code="{first["code"]}"]').count() == 1

"""In a real browser (Debian's Chromium, driven by Playwright): GraphiQL loads and runs a query
with every request off this server blocked, and a web app on another origin calls the API, its
preflight answered by the server's CORS rules."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.servers import free_port
from bench.world import World
from tests.live.conftest import Live
from tests.live.test_wall import browser  # noqa: F401  (fixture)
from web.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[str]:
    """A web app's own origin: another port on loopback, serving one page."""
    (tmp_path / "index.html").write_text("<!doctype html><title>Cổng thông tin</title>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def live_settings(database_url: str, tmp_path: Path, portal: str) -> Settings:
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    event_poll_seconds=0.5, media_dir=str(tmp_path / "media"),
                    allowed_origins=(portal,))


async def test_graphiql_works_with_no_network_but_this_server(live: Live, browser: Any):  # noqa: F811
    context = await browser.new_context()
    page = await context.new_page()
    elsewhere: list[str] = []

    async def only_this_server(route: Any) -> None:
        if route.request.url.startswith(live.http):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_this_server)
    await page.goto(f"{live.http}/graphql", wait_until="networkidle")
    await page.wait_for_selector(".graphiql-execute-button", timeout=15000)
    await page.click(".graphiql-execute-button")
    # A locator, not a script: the page's CSP forbids evaluating strings, Playwright's too.
    await page.locator(".result-window", has_text='"reports"').wait_for(timeout=15000)
    assert elsewhere == []
    await context.close()


async def test_a_web_app_elsewhere_calls_the_api(live: Live, browser: Any,  # noqa: F811
                                                 portal: str, live_world: World):
    page = await browser.new_page()
    await page.goto(portal)
    call = """async ([url, token]) => {
        const response = await fetch(url, {method: "POST", headers: {
          "content-type": "application/json", "authorization": "Bearer " + token,
          "accept-language": "en"}, body: JSON.stringify({query: "{ me { displayName } }"})});
        return [response.status, await response.json(), response.headers.get("x-request-id")];
    }"""
    status, body, request_id = await page.evaluate(call, [f"{live.http}/graphql",
                                                          live_world.citizen.token])
    assert status == 200
    assert body["data"]["me"]["displayName"] == live_world.citizen.name
    assert request_id  # an exposed header
    refused = await page.evaluate(call, [f"{live.http}/graphql", "expired-or-garbage"])
    assert refused[0] == 401  # readable: the refusal carries the CORS headers too
    assert refused[1]["errors"][0]["extensions"]["reason"] == "TOKEN_INVALID"
    await page.close()


async def test_an_origin_not_allowed_cannot_read_the_api(live: Live, browser: Any):  # noqa: F811
    page = await browser.new_page()
    await page.goto("data:text/html,<title>x</title>")
    outcome = await page.evaluate("""async (url) => {
        try { await fetch(url, {method: "POST", headers: {"content-type": "application/json"},
                                body: JSON.stringify({query: "{ serverTime }"})});
              return "read"; } catch (error) { return "blocked"; } }""", f"{live.http}/graphql")
    assert outcome == "blocked"
    await page.close()
    await asyncio.sleep(0)

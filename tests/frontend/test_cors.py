"""CORS from one setting, ALLOWED_ORIGINS, for HTTP as for WebSocket. (A browser's own preflight,
from a page on another origin, is in tests/frontend/test_browser.py.)"""

from __future__ import annotations

from tests.frontend.conftest import AppMaker, http

PORTAL = "https://phananh.hue.gov.vn"
ELSEWHERE = "https://evil.example"
QUERY = {"query": "{ serverTime }"}


async def test_a_preflight_from_an_allowed_origin_is_answered(make_app: AppMaker):
    async with make_app(allowed_origins=(PORTAL,)) as app, http(app) as client:
        preflight = await client.options("/graphql", headers={
            "Origin": PORTAL, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, accept-language"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == PORTAL
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "accept-language"} <= {
            h.strip() for h in allowed.split(",")}
        assert "POST" in preflight.headers["access-control-allow-methods"]
        # Bearer tokens, never cookies: credentials mode stays off.
        assert "access-control-allow-credentials" not in preflight.headers

        answer = await client.post("/graphql", json=QUERY, headers={"Origin": PORTAL})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == PORTAL
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert "x-request-id" in exposed
        assert "x-ratelimit-remaining" in exposed

        refused = await client.options("/graphql", headers={
            "Origin": ELSEWHERE, "Access-Control-Request-Method": "POST"})
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        other = await client.post("/graphql", json=QUERY, headers={"Origin": ELSEWHERE})
        assert "access-control-allow-origin" not in other.headers


async def test_any_origin_with_a_star(make_app: AppMaker):
    async with make_app(allowed_origins=("*",)) as app, http(app) as client:
        preflight = await client.options("/graphql", headers={
            "Origin": ELSEWHERE, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"


async def test_no_setting_no_cross_origin_calls(make_app: AppMaker):
    async with make_app(allowed_origins=()) as app, http(app) as client:
        preflight = await client.options("/graphql", headers={
            "Origin": PORTAL, "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers
        same_site = await client.post("/graphql", json=QUERY)
        assert same_site.status_code == 200

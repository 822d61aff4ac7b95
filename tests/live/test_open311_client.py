"""A real Open311 client from PyPI (`georeport`, which uses `requests`) against a running
server, in JSON and in XML (the client parses the XML with xmltodict)."""

from __future__ import annotations

import asyncio
from typing import Any

from georeport import GeoReport

from bench.world import World
from models.enums import Status
from tests.live.conftest import Live


async def call(client: GeoReport, method: str, *args: Any, **kw: Any) -> Any:
    # The client blocks; the server runs in this test's event loop.
    return await asyncio.to_thread(getattr(client, method), *args, **kw)


async def test_georeport_client_reads_services_and_requests(live: Live, world: World):
    resolved = await world.report(Status.RESOLVED)
    in_progress = await world.report(Status.IN_PROGRESS)
    await world.report(Status.PENDING_REVIEW)  # not public: never listed
    for fmt in ("json", "xml"):
        client = GeoReport(f"{live.http}/open311/v2", output_format=fmt)
        services = await call(client, "get_service_list")
        assert {s["service_code"] for s in services} >= {"VSMT", "DVCI", world.category.code}
        definition = await call(client, "get_service_definition", world.category.code)
        assert definition["service_code"] == world.category.code

        requests = await call(client, "get_service_requests")
        assert [r["service_request_id"] for r in requests] == [in_progress.code,
                                                               resolved.code]
        closed = await call(client, "get_service_requests", status="closed")
        # xmltodict gives a lone item as a dict, JSON a list of one.
        closed = [closed] if isinstance(closed, dict) else closed
        assert [r["service_request_id"] for r in closed] == [resolved.code]
        one = await call(client, "get_service_request", resolved.code)
        assert one["status"] == "closed"
        assert one["agency_responsible"] == world.agency_a.name
        assert one["status_notes"] == "Đã thu gom rác và vệ sinh khu vực."
        assert str(one["lat"]) == str(resolved.latitude)
        assert world.citizen.phone not in str(requests)

"""`GET /healthz`: 200 when the database (and Redis, if configured) is reachable."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from realtime.bus import EventBus

log = logging.getLogger("hien_truong")


async def healthz(request: Request) -> JSONResponse:
    state: Any = request.app.state
    checks: dict[str, str] = {}
    try:
        await state.db.db().execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        log.warning("health check: database unreachable", exc_info=True)
        checks["database"] = "unreachable"
    bus: EventBus = state.bus
    if not bus.url.startswith("memory://"):
        checks["broadcast"] = "ok" if bus.healthy else "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    if healthy:
        return JSONResponse({"status": "ok", **checks})
    # Without the bus the process still answers queries and mutations ("degraded"); without the
    # database it cannot do anything ("unavailable").
    status = "degraded" if checks["database"] == "ok" else "unavailable"
    return JSONResponse({"status": status, **checks}, status_code=503)

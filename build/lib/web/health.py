"""Health endpoints, for a load balancer and an orchestrator:

- `GET /livez`: the process answers (an orchestrator restarts it when this fails); nothing
  else is asked, so a database outage does not restart every process at once;
- `GET /readyz`: send traffic here? 200 when the database is reachable and has every
  migration of this code applied; 503 otherwise, and from the moment the process is shutting
  down (SIGTERM), so a load balancer stops sending before the connections close. Without the
  broadcast bus (Redis) a process still answers queries and mutations, and its subscribers
  still get every event from the database, only later (EVENT_POLL_SECONDS): ready, with
  `"broadcast": "degraded"`;
- `GET /healthz`: the first version, kept for compatibility: 200 when the database (and
  Redis, if configured) is reachable.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from models.db import pending_migrations
from realtime.bus import EventBus

log = logging.getLogger("hien_truong")


async def _database(state: Any) -> str:
    try:
        await state.db.db().execute_query("SELECT 1")
    except Exception:
        log.warning("health check: database unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def _broadcast(state: Any) -> str | None:
    bus: EventBus = state.bus
    if bus.url.startswith("memory://"):
        return None
    return "ok" if bus.healthy else "unreachable"


async def healthz(request: Request) -> JSONResponse:
    state: Any = request.app.state
    checks = {"database": await _database(state)}
    broadcast = _broadcast(state)
    if broadcast is not None:
        checks["broadcast"] = broadcast
    healthy = all(v == "ok" for v in checks.values())
    if healthy:
        return JSONResponse({"status": "ok", **checks})
    # Without the bus the process still answers queries and mutations ("degraded"); without the
    # database it cannot do anything ("unavailable").
    status = "degraded" if checks["database"] == "ok" else "unavailable"
    return JSONResponse({"status": status, **checks}, status_code=503)


async def livez(request: Request) -> JSONResponse:
    return JSONResponse({"status": "alive"})


async def readyz(request: Request) -> JSONResponse:
    state: Any = request.app.state
    body: dict[str, Any] = {}
    if getattr(state, "draining", False):
        return JSONResponse({"status": "draining"}, status_code=503)
    body["database"] = await _database(state)
    if body["database"] == "ok" and not getattr(state, "migrated", False):
        try:
            pending = await pending_migrations(state.db.db())
        except Exception:
            log.warning("readiness: could not read the applied migrations", exc_info=True)
            pending = ["unknown"]
        state.migrated = not pending  # once applied, they stay applied
        if pending:
            body["pendingMigrations"] = pending
    broadcast = _broadcast(state)
    if broadcast is not None:
        body["broadcast"] = "ok" if broadcast == "ok" else "degraded"
    replica = getattr(state, "replica", None)
    if replica is not None:  # informational: anonymous reads go to the primary meanwhile
        body["replica"] = ("unreachable" if replica.replayed < 0 else
                           "ok" if replica.fresh() else "behind")
    ready = body["database"] == "ok" and getattr(state, "migrated", False)
    return JSONResponse({"status": "ready" if ready else "unavailable", **body},
                        status_code=200 if ready else 503)

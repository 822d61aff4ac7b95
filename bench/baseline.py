"""The baseline for the public wall benchmark: a plain Starlette route returning the same JSON
as the GraphQL wall query, from the same database, with asyncpg and orjson, and nothing else
(no GraphQL, no ORM, no cache). Run by bench/__main__.py with uvicorn."""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.rules.lifecycle import PUBLIC_STATUSES

WALL_SQL = """
SELECT r.id, r.title, r.status, r.submitted_at, r.due_at, r.latitude, r.longitude, r.address,
       r.comment_count, r.support_count, r.satisfaction, c.name AS category, a.name AS agency,
       e.id AS seq, e.kind, e.at, e.to_status
FROM report r
LEFT JOIN category c ON c.id = r.category_id
LEFT JOIN agency a ON a.id = r.agency_id
LEFT JOIN LATERAL (SELECT id, kind, at, to_status FROM report_event
                   WHERE report_id = r.id ORDER BY id DESC LIMIT 1) e ON true
WHERE r.status = ANY($1::text[])
ORDER BY r.submitted_at DESC, r.id DESC LIMIT 50"""
MEDIA_SQL = "SELECT report_id, storage_key, kind FROM media WHERE report_id = ANY($1::int[])"
PUBLIC = [s.value for s in PUBLIC_STATUSES]


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def node(row: asyncpg.Record, media: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": gid("Report", row["id"]), "title": row["title"], "status": row["status"],
        "submittedAt": row["submitted_at"].isoformat(), "dueAt": row["due_at"].isoformat(),
        "category": {"name": row["category"]}, "agency": {"name": row["agency"]},
        "location": {"latitude": row["latitude"], "longitude": row["longitude"],
                     "address": row["address"]},
        "media": media, "commentCount": row["comment_count"],
        "supportCount": row["support_count"],
        "rating": {"satisfaction": row["satisfaction"]} if row["satisfaction"] else None,
        "lastEvent": {"seq": row["seq"], "kind": row["kind"], "at": row["at"].isoformat(),
                      "toStatus": row["to_status"]},
    }


async def wall(request: Request) -> Response:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        rows = await conn.fetch(WALL_SQL, PUBLIC)
        media: dict[int, list[dict[str, Any]]] = {}
        for m in await conn.fetch(MEDIA_SQL, [r["id"] for r in rows]):
            media.setdefault(m["report_id"], []).append(
                {"url": f"/media/{m['storage_key']}", "kind": m["kind"]})
    nodes = [node(r, media.get(r["id"], [])) for r in rows]
    return Response(orjson.dumps({"data": {"reports": {"nodes": nodes}}}),
                    media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2,
                                               max_size=10)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/wall", wall, methods=["GET", "POST"])], lifespan=lifespan)

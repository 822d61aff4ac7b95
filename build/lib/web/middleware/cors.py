"""CORS: which other origins' pages may call the API from a browser, over HTTP as over
WebSocket, from one setting (ALLOWED_ORIGINS; the GraphQL view checks WebSocket origins with
the same list).

Sign-in is a bearer token in the `Authorization` header, never a cookie, so credentials mode is
off: a page elsewhere can only act for someone whose token it holds, and `*` is safe to allow for
a public API. The headers a front end reads (rate limits, request id, ETag) are exposed."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOWED_HEADERS = [
    "Authorization", "Content-Type", "Accept", "Accept-Language", "If-None-Match",
    "X-Request-Id",
    # the CSRF preflight headers uploads require (web/graphql/uploads.py)
    "Apollo-Require-Preflight", "X-Apollo-Operation-Name", "GraphQL-Preflight",
    # what Apollo's clients send to identify themselves
    "Apollographql-Client-Name", "Apollographql-Client-Version",
]
EXPOSED_HEADERS = [
    "X-Request-Id", "Retry-After", "ETag", "WWW-Authenticate",
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
]
PREFLIGHT_MAX_AGE = 3600  # seconds a browser may reuse a preflight answer


def cors(allowed_origins: tuple[str, ...]) -> Middleware:
    return Middleware(
        CORSMiddleware, allow_origins=list(allowed_origins), allow_credentials=False,
        allow_methods=["GET", "POST", "OPTIONS"], allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS, max_age=PREFLIGHT_MAX_AGE,
    )

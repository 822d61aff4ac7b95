"""Where clients reach this server: PUBLIC_URL when set, else the scheme and host the request
came with (behind a proxy, uvicorn takes the scheme from X-Forwarded-Proto when the proxy is
trusted, FORWARDED_ALLOW_IPS; the proxy passes the Host)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

_HTTP_OF = {"ws": "http", "wss": "https"}


def base_url(connection: HTTPConnection, public_url: str) -> str:
    """Without a trailing slash: "https://phananh.hue.gov.vn"."""
    if public_url:
        return public_url
    url = connection.base_url
    scheme = _HTTP_OF.get(url.scheme, url.scheme)
    return str(url.replace(scheme=scheme)).rstrip("/")

"""Media URLs. Media of a public report has a plain, cacheable URL; any other media's URL is
signed for whoever was allowed to read it through the API (an `<img>` tag cannot send a bearer
token) and stops working within two hours."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime

VALID_SECONDS = 3600


def _signature(key: str, expires: int, secret: str) -> str:
    message = f"{key}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def media_url(key: str, *, public: bool, secret: str, now: datetime) -> str:
    if public:
        return f"/media/{key}"
    # Rounded up to the hour: the same URL all hour long, so clients and caches can reuse it.
    expires = math.ceil((now.timestamp() + VALID_SECONDS) / VALID_SECONDS) * VALID_SECONDS
    return f"/media/{key}?expires={expires}&signature={_signature(key, expires, secret)}"


def signed_for(key: str, expires: str | None, signature: str | None, *, secret: str,
               now: datetime) -> bool:
    if not expires or not signature or not expires.isdigit():
        return False
    if int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(signature, _signature(key, int(expires), secret))

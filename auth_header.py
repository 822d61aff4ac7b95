"""The bearer token of an `Authorization` header, for every HTTP entry point."""

from __future__ import annotations

import re

_BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)


def bearer_token(header: str | None) -> str | None:
    match = _BEARER.fullmatch(header.strip()) if header else None
    return match.group(1) if match else None

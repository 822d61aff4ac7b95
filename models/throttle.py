"""Rate limits for mutations: every rule in one table, counted with the `limits` library.

Counters live in Redis when one is configured (`RATE_LIMIT_STORAGE=async+redis://…`), so a
limit holds across server processes; otherwise in memory. If Redis is unreachable the counters
fall back to memory for that process (limits then hold per process, not fleet-wide) rather than
refusing every request or letting every request through.
"""

from __future__ import annotations

import collections
import inspect
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from limits.util import WindowStats

from models.errors import RateLimited
from models.messages import _

log = logging.getLogger(__name__)

# rule -> limit. Keys (user, IP, phone) are chosen where the rule is applied.
RULES: dict[str, str] = {
    "submitReport": "10/10minute",  # per user: a citizen reports, not a script
    "supportReport": "60/minute",  # per user
    "withdrawSupport": "60/minute",  # per user
    "rateReport": "10/hour",  # per user: a rating is changed a few times at most
    "contestResult": "5/hour",  # per user
    "uploadMedia": "60/hour",  # per user: six files for each of ten reports
    "addComment": "10/minute",  # per IP, on top of the one-per-60-s rule per user
    "register": "10/hour",  # per IP
    "renewSession": "30/hour",  # per user: a front end renews once a day or so
    # Failed sign-ins: per phone and address (guessing from one place), per address (one place
    # guessing many phones), and per phone from anywhere, slower (guessing from many places),
    # which a phone's owner signing in from an address that signed in recently is not held to:
    # a stranger who knows an operator's phone cannot keep the operator out.
    "login_failure_phone_ip": "5/15minute",
    "login_failure_ip": "30/15minute",
    "login_failure_phone": "20/hour",
    # Not a limit: remembers for 30 days that (phone, address) signed in successfully.
    "login_success": "1000/30day",
    # Every HTTP request and WebSocket handshake to /graphql, per IP, refused with HTTP 429
    # before execution. Generous because mobile carriers put many phones behind one address.
    "requests_ip": "1200/minute",
    # Per agency key: what an agency's system may change through GraphQL.
    "agencyKey": "600/minute",
    # Per user: each address given is sent a confirmation, so this bounds mail to strangers.
    "notificationEmail": "5/hour",
    "addPushSubscription": "30/hour",  # per user
}


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset_at: float  # epoch seconds


class Throttle:
    def __init__(self, storage_uri: str = "async+memory://",
                 overrides: dict[str, str] | None = None) -> None:
        self.storage: Storage = storage_from_string(storage_uri)  # type: ignore[assignment]
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self.fell_back = 0
        self.refused: collections.Counter[str] = collections.Counter()  # by rule (/metrics)
        specs = {**RULES, **(overrides or {})}
        unknown = set(specs) - set(RULES)
        if unknown:
            raise ValueError(f"unknown rate-limit rules: {sorted(unknown)}")
        # "0" (or an empty value) switches a rule off.
        self.items: dict[str, RateLimitItem] = {
            rule: parse(spec) for rule, spec in specs.items() if spec.strip() not in ("", "0")
        }

    async def close(self) -> None:
        """Release the Redis connections. limits keeps its client (coredis or redis-py) on
        `storage.bridge.storage` and offers no close of its own."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        pool = getattr(client, "connection_pool", None)
        for closer in (getattr(client, "aclose", None), getattr(pool, "disconnect", None)):
            if closer is not None:
                result = closer()
                if inspect.isawaitable(result):
                    await result

    async def _call(self, method: str, item: RateLimitItem, *keys: str) -> Any:
        try:
            return await getattr(self.limiter, method)(item, *keys)
        except Exception:
            self.fell_back += 1
            log.warning("rate-limit storage unreachable; counting in memory", exc_info=True)
            return await getattr(self.fallback, method)(item, *keys)

    def enabled(self, rule: str) -> bool:
        return rule in self.items

    async def window(self, rule: str, *keys: str) -> Window:
        item = self.items[rule]
        stats: WindowStats = await self._call("get_window_stats", item, rule, *keys)
        return Window(item.amount, int(stats.remaining), float(stats.reset_time))

    async def _refuse(self, rule: str, *keys: str) -> None:
        self.refused[rule] += 1
        window = await self.window(rule, *keys)
        retry = max(1, math.ceil(window.reset_at - time.time()))
        raise RateLimited(_("Too many attempts; try again in {retry} s."),
                          retry_after_seconds=retry, retry=retry)

    async def hit(self, rule: str, *keys: str) -> Window | None:
        """Count one; raise RateLimited (with retryAfterSeconds) when over the limit. None when
        the rule is switched off."""
        if rule not in self.items:
            return None
        if not await self._call("hit", self.items[rule], rule, *keys):
            await self._refuse(rule, *keys)
        return await self.window(rule, *keys)

    async def seen(self, rule: str, *keys: str) -> bool:
        """Whether anything was counted for these keys in the rule's window."""
        if rule not in self.items:
            return False
        return (await self.window(rule, *keys)).remaining < self.items[rule].amount

    async def check(self, rule: str, *keys: str) -> None:
        """Refuse if the limit is already used up, without counting."""
        if rule in self.items and not await self._call("test", self.items[rule], rule, *keys):
            await self._refuse(rule, *keys)

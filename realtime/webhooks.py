"""The webhook worker, in every process: sends the outbox's due deliveries
(models/actions/webhooks.py), signed as Standard Webhooks says (`standardwebhooks`), and
records each attempt. Several processes share the outbox safely: each delivery is claimed by
one of them for a lease before it is sent.

Safe by default: the URL's host is resolved first and a delivery to a private, loopback or
link-local address is refused (realtime/outbound.py `refusal`) unless WEBHOOKS_ALLOW_PRIVATE;
redirects are not followed; a receiver's answer is read up to 64 KB; secrets never reach a
log line."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from models.actions import outbox, webhooks
from models.deps import Deps
from models.orm.webhooks import WebhookDelivery, WebhookEndpoint
from models.rules.webhooks import MAX_RESPONSE_BYTES
from realtime.outbound import LEASE_MARGIN_SECONDS, OutboxWorker, refusal

BATCH = 20  # deliveries in flight per process


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookWorker(OutboxWorker):
    name = "webhooks"

    def __init__(self, deps: Deps, *, interval: float, timeout: float, allow_private: bool,
                 retry_scale: float = 1.0) -> None:
        super().__init__(deps, interval=interval, capacity=BATCH)
        self.timeout = timeout
        self.allow_private = allow_private
        self.retry_scale = retry_scale
        self.sent = self.failed = 0
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                         headers={"User-Agent": "hien-truong-webhooks"})

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def prune(self) -> int:
        return await outbox.prune(WebhookDelivery, self.deps.now())

    async def prepare(self) -> None:
        while await webhooks.prepare() == outbox.BATCH:
            pass

    async def claim(self, limit: int) -> int:
        claimed = await webhooks.claim_due(
            self.deps.now(), limit, timedelta(seconds=self.timeout + LEASE_MARGIN_SECONDS))
        for delivery, endpoint in claimed:
            self.spawn(self._deliver(delivery, endpoint))
        return len(claimed)

    async def _deliver(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> None:
        started = time.perf_counter()
        try:  # the whole attempt within the timeout, a trickling answer too: the lease holds
            async with asyncio.timeout(self.timeout):
                outcome = await self.send(delivery, endpoint)
        except TimeoutError:
            outcome = Outcome(False, None, f"no answer within {self.timeout:g} s",
                              int((time.perf_counter() - started) * 1000))
        self.sent += outcome.ok
        self.failed += not outcome.ok
        await webhooks.record(delivery, endpoint, self.deps.now(), ok=outcome.ok,
                              status_code=outcome.status_code, error=outcome.error,
                              duration_ms=outcome.duration_ms, retry_scale=self.retry_scale)

    async def send(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> Outcome:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        if not self.allow_private and (why := await refusal(endpoint.url)) is not None:
            return Outcome(False, None, why, took())
        now = datetime.now(UTC)  # the receiver checks it against its own clock
        signature = " ".join(Webhook(secret).sign(delivery.message_id, now, delivery.payload)
                             for secret in webhooks.signing_secrets(endpoint, self.deps.now()))
        headers = {"webhook-id": delivery.message_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signature, "content-type": "application/json"}
        assert self._client is not None
        try:
            async with self._client.stream("POST", endpoint.url, content=delivery.payload,
                                           headers=headers) as response:
                read = 0
                async for chunk in response.aiter_bytes():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break
                ok = 200 <= response.status_code < 300
                why = None if ok else f"HTTP {response.status_code}" + (
                    " (redirects are not followed)" if response.is_redirect else "")
                return Outcome(ok, response.status_code, why, took())
        except httpx.TimeoutException:
            return Outcome(False, None, f"no answer within {self.timeout:g} s", took())
        except httpx.HTTPError as failure:
            return Outcome(False, None, f"{type(failure).__name__}: {failure}"[:300], took())

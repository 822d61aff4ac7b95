"""Decisions about outbound webhooks, without I/O: when to try again, when to give up, which
addresses a delivery may never go to, which events an endpoint wants."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from datetime import timedelta

from models.enums import EventKind

# Standard Webhooks' suggested schedule, about a day in all: the attempt after the n-th failure
# waits RETRY_DELAYS[n - 1], with up to 20% jitter so that a recovering receiver is not hit by
# every sender's retries in the same second.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (
    5, 300, 1800, 7200, 18000, 36000, 36000))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An endpoint whose deliveries all failed for this long is disabled; the IOC sees why.
DISABLE_AFTER = timedelta(days=1)
MAX_RESPONSE_BYTES = 64 * 1024  # read of a receiver's answer, the rest is dropped


def next_delay(failures: int, scale: float = 1.0, rng: random.Random | None = None
               ) -> timedelta | None:
    """How long to wait after the `failures`-th failed attempt; None: give up. `scale` shortens
    the schedule (tests)."""
    if failures >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[failures - 1].total_seconds() * scale
    jitter = (rng or random).uniform(0, 0.2)
    return timedelta(seconds=base * (1 + jitter))


def forbidden_address(address: str) -> bool:
    """Private, loopback, link-local, multicast, reserved or unspecified: inside someone's
    network, where a registered URL must not make this server reach (SSRF)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def wants(kinds: Sequence[str], kind: EventKind) -> bool:
    return not kinds or kind.value in kinds

"""What one process keeps of rows that rarely change, so that a request need not read them:
the good sessions it has read lately and the agencies and categories (the directory).

Both are kept for a number of seconds of the domain clock and forgotten at once when this
process changes them; a change made by another process is seen when the copy here is that
old, the bound the response cache and the session checks of open subscriptions already have.

- Sessions (models/actions/sessions.py decides what they are worth; this only keeps them): a
  signed-in request began with a query for its token, 5–7% of a staff list's server time in
  py-spy.
- The directory: a page of reports asked for the names of their categories and agencies with
  one or two queries; they change a few times a year (models/actions/directory.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from models.rules.policy import Viewer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Aged(Generic[K, V]):
    """Values kept `seconds` of the domain clock from when they were read, the oldest read
    dropped first beyond `max_entries`; 0 seconds keeps nothing."""

    def __init__(self, seconds: float = 0.0, max_entries: int = 20_000) -> None:
        self.max_age = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self._kept: OrderedDict[K, tuple[datetime, V]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_age > timedelta(0)

    def _get(self, key: K, now: datetime) -> V | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        read_at, value = kept
        if not read_at <= now < read_at + self.max_age:  # old, or the clock went back
            del self._kept[key]
            return None
        return value

    def _put(self, key: K, value: V, now: datetime) -> None:
        if not self.enabled:
            return
        self._kept[key] = (now, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_entries:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


class _Signed(Protocol):
    """What a kept session must show: whose it is (signing out everywhere forgets by user)."""

    @property
    def viewer(self) -> Viewer: ...


S = TypeVar("S", bound=_Signed)


class SessionMemo(_Aged[str, S]):
    """Token hash → the session models/actions/sessions.py made of it (typed there: this
    module stays below the use cases)."""

    def get(self, digest: str, now: datetime) -> S | None:
        return self._get(digest, now)

    def put(self, digest: str, session: S, now: datetime) -> None:
        self._put(digest, session, now)

    def forget(self, digest: str) -> None:
        self._kept.pop(digest, None)

    def forget_user(self, user_id: int) -> None:
        """Every token of the account (signing out everywhere)."""
        for digest in [d for d, (_, s) in self._kept.items() if s.viewer.user_id == user_id]:
            del self._kept[digest]


class DirectoryMemo(_Aged[tuple[type, int], Any]):
    """Agencies and categories by id; the rows are shared by requests and never changed in
    place (models/actions/directory.py changes the stored row, then forgets them all)."""

    def get(self, table: type, pk: int, now: datetime) -> Any:
        return self._get((table, pk), now)

    def put(self, table: type, pk: int, row: Any, now: datetime) -> None:
        self._put((table, pk), row, now)

    def forget(self) -> None:
        self._kept.clear()

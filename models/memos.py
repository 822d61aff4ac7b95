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
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from models.rules.policy import Viewer


class _Signed(Protocol):
    """What a kept session must show: whose it is (signing out everywhere forgets by user)."""

    @property
    def viewer(self) -> Viewer: ...


S = TypeVar("S", bound=_Signed)


class SessionMemo(Generic[S]):
    """Token hash → the session models/actions/sessions.py made of it (typed there: this
    module stays below the use cases)."""

    def __init__(self, seconds: float = 0.0, max_entries: int = 20_000) -> None:
        self.max_age = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self._kept: OrderedDict[str, tuple[datetime, S]] = OrderedDict()

    def get(self, digest: str, now: datetime) -> S | None:
        """The session kept for this token hash, or None when there is none or it is old."""
        kept = self._kept.get(digest)
        if kept is None:
            return None
        read_at, session = kept
        if not read_at <= now < read_at + self.max_age:  # old, or the clock went back
            del self._kept[digest]
            return None
        return session

    def put(self, digest: str, session: S, now: datetime) -> None:
        if self.max_age <= timedelta(0):
            return
        self._kept[digest] = (now, session)
        self._kept.move_to_end(digest)
        while len(self._kept) > self.max_entries:
            self._kept.popitem(last=False)

    def forget(self, digest: str) -> None:
        self._kept.pop(digest, None)

    def forget_user(self, user_id: int) -> None:
        """Every token of the account (signing out everywhere)."""
        for digest in [d for d, (_, s) in self._kept.items() if s.viewer.user_id == user_id]:
            del self._kept[digest]

    def __len__(self) -> int:
        return len(self._kept)


class DirectoryMemo:
    """Agencies and categories by id; the rows are shared by requests and never changed in
    place (models/actions/directory.py changes the stored row, then forgets them all)."""

    def __init__(self, seconds: float = 0.0, max_entries: int = 20_000) -> None:
        self.max_age = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self._kept: dict[tuple[type, int], tuple[datetime, Any]] = {}

    @property
    def enabled(self) -> bool:
        return self.max_age > timedelta(0)

    def get(self, table: type, pk: int, now: datetime) -> Any:
        kept = self._kept.get((table, pk))
        if kept is None:
            return None
        read_at, row = kept
        if not read_at <= now < read_at + self.max_age:
            del self._kept[(table, pk)]
            return None
        return row

    def put(self, table: type, pk: int, row: Any, now: datetime) -> None:
        if not self.enabled:
            return
        if len(self._kept) >= self.max_entries:
            self._kept.clear()  # far more than a country's agencies: something is off; start over
        self._kept[(table, pk)] = (now, row)

    def forget(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

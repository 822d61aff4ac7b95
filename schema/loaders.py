"""Dataloaders: one per lookup, created per request so nothing stale is ever served, and one set
per batch of live events, shared by every subscriber the batch reaches. Agencies and
categories, which change a few times a year, come from the process's directory memo
(models/memos.py) when a request has one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TypeVar, cast
from weakref import WeakKeyDictionary

from strawberry.dataloader import DataLoader
from tortoise.functions import Count
from tortoise.models import Model

from models.enums import ExtensionStatus
from models.memos import DirectoryMemo
from models.orm.accounts import User
from models.orm.directory import Agency, Category
from models.orm.participation import Comment, Rating, Support
from models.orm.reports import ExtensionRequest, Media, Report, ReportEvent
from models.orm.rows import where_in
from models.queries.comments import first_comments
from models.queries.duplicates import Hint, similar_nearby
from models.queries.reports import last_events, latest_events
from realtime.hub import Batch

M = TypeVar("M", bound=Model)
K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


def now_or_later(loader: DataLoader[K, V], key: K, convert: Callable[[V], R]) -> R:
    """The value at once when this request (or event batch) already loaded it, as list
    resolvers do for their whole page; otherwise an awaitable, which graphql-core awaits.
    A plain value costs graphql-core far less than a coroutine per field per item, and that
    difference is most of what a 50-item page costs to execute."""
    future = loader.cache_map.get(key)
    if future is not None and future.done() and not future.cancelled() \
            and future.exception() is None:
        return convert(future.result())

    async def later() -> R:
        return convert(await loader.load(key))

    return cast(R, later())  # typed as the value: that is what the field resolves to


def _by_id(model: type[M]) -> DataLoader[int, M | None]:
    async def load(ids: list[int]) -> Sequence[M | None]:
        rows = {row.pk: row for row in await where_in(model, "id", ids)}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _kept_by_id(model: type[M], directory: DirectoryMemo,
                clock: Callable[[], datetime]) -> DataLoader[int, M | None]:
    """`_by_id` through the directory memo: only ids it does not hold are read."""
    async def load(ids: list[int]) -> Sequence[M | None]:
        now = clock()
        found: dict[int, M] = {}
        for i in ids:
            if (row := directory.get(model, i, now)) is not None:
                found[i] = row
        if missing := [i for i in ids if i not in found]:
            for row in await where_in(model, "id", missing):
                found[row.pk] = row
                directory.put(model, row.pk, row, now)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _grouped(model: type[M], key: str, **conditions: object) -> DataLoader[int, list[M]]:
    async def load(ids: list[int]) -> Sequence[list[M]]:
        groups: dict[int, list[M]] = defaultdict(list)
        rows = (await model.filter(**{f"{key}__in": ids}, **conditions).order_by("id")
                if conditions else await where_in(model, key, ids))
        for row in rows:
            groups[getattr(row, key)].append(row)
        return [groups[i] for i in ids]

    return DataLoader(load_fn=load)


def _latest_rating() -> DataLoader[int, Rating | None]:
    async def load(ids: list[int]) -> Sequence[Rating | None]:
        latest: dict[int, Rating] = {}
        for rating in await where_in(Rating, "report_id", ids, order_by="cycle"):
            latest[rating.report_id] = rating
        return [latest.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _comment_totals() -> DataLoader[int, int]:
    async def load(ids: list[int]) -> Sequence[int]:
        rows = await Comment.filter(report_id__in=ids).annotate(n=Count("id")).group_by(
            "report_id"
        ).values_list("report_id", "n")
        counts = {report_id: int(n) for report_id, n in rows}
        return [counts.get(i, 0) for i in ids]

    return DataLoader(load_fn=load)


def supported_by(user_id: int | None) -> DataLoader[int, bool]:
    async def load(ids: list[int]) -> Sequence[bool]:
        if user_id is None:
            return [False] * len(ids)
        rows = await Support.filter(report_id__in=ids, user_id=user_id).values("report_id")
        mine = {row["report_id"] for row in rows}
        return [i in mine for i in ids]

    return DataLoader(load_fn=load)


def _first_comments(first: int) -> DataLoader[int, list[Comment]]:
    async def load(ids: list[int]) -> Sequence[list[Comment]]:
        grouped = await first_comments(ids, first)
        return [grouped[i] for i in ids]

    return DataLoader(load_fn=load)


def _last_event() -> DataLoader[int, ReportEvent | None]:
    async def load(ids: list[int]) -> Sequence[ReportEvent | None]:
        latest = await last_events(ids)
        return [latest.get(i) for i in ids]

    return DataLoader(load_fn=load)


class Loaders:
    """Viewer-independent lookups, so a batch of live events can share one set across every
    subscriber of the process. Each loader is made when first used: a WebSocket connection
    holds a set for hours and most of them are never asked for."""

    def __init__(self, directory: DirectoryMemo | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._directory = directory if directory is not None and directory.enabled else None
        self._clock = clock
        # First pages of comments, one loader per page size asked for in this request.
        self._first_comments: dict[int, DataLoader[int, list[Comment]]] = {}
        self._similar: dict[datetime, DataLoader[Report, list[Hint]]] = {}

    @cached_property
    def category_by_id(self) -> DataLoader[int, Category | None]:
        return self._directory_loader(Category)

    @cached_property
    def agency_by_id(self) -> DataLoader[int, Agency | None]:
        return self._directory_loader(Agency)

    def _directory_loader(self, model: type[M]) -> DataLoader[int, M | None]:
        if self._directory is None or self._clock is None:
            return _by_id(model)
        return _kept_by_id(model, self._directory, self._clock)

    @cached_property
    def user_by_id(self) -> DataLoader[int, User | None]:
        return _by_id(User)

    @cached_property
    def report_by_id(self) -> DataLoader[int, Report | None]:
        return _by_id(Report)

    @cached_property
    def extension_request_by_id(self) -> DataLoader[int, ExtensionRequest | None]:
        return _by_id(ExtensionRequest)

    @cached_property
    def latest_events_by_report_id(self) -> DataLoader[int, list[ReportEvent]]:
        """A timeline without arguments: its latest events (at most 100)."""
        async def load(ids: list[int]) -> Sequence[list[ReportEvent]]:
            grouped = await latest_events(ids)
            return [grouped[i] for i in ids]

        return DataLoader(load_fn=load)

    @cached_property
    def last_event_by_report_id(self) -> DataLoader[int, ReportEvent | None]:
        return _last_event()

    @cached_property
    def media_by_report_id(self) -> DataLoader[int, list[Media]]:
        return _grouped(Media, "report_id")

    @cached_property
    def extension_requests_by_report_id(self) -> DataLoader[int, list[ExtensionRequest]]:
        return _grouped(ExtensionRequest, "report_id")

    @cached_property
    def pending_extension_by_report_id(self) -> DataLoader[int, list[ExtensionRequest]]:
        return _grouped(ExtensionRequest, "report_id", status=ExtensionStatus.PENDING)

    @cached_property
    def comment_by_id(self) -> DataLoader[int, Comment | None]:
        return _by_id(Comment)

    @cached_property
    def comment_total_by_report_id(self) -> DataLoader[int, int]:
        return _comment_totals()

    @cached_property
    def latest_rating_by_report_id(self) -> DataLoader[int, Rating | None]:
        return _latest_rating()

    def first_comments(self, first: int) -> DataLoader[int, list[Comment]]:
        if first not in self._first_comments:
            self._first_comments[first] = _first_comments(first)
        return self._first_comments[first]

    def similar_nearby(self, now: datetime) -> DataLoader[Report, list[Hint]]:
        """Duplicate hints for every report of a page, in one query (keyed by the minute: the
        30-day window does not need to be more precise than that)."""
        minute = now.replace(second=0, microsecond=0)
        if minute not in self._similar:
            async def load(rows: list[Report]) -> Sequence[list[Hint]]:
                found = await similar_nearby(rows, minute)
                return [found[r.id] for r in rows]

            self._similar[minute] = DataLoader(load_fn=load, cache_key_fn=lambda r: r.id)
        return self._similar[minute]


_BATCHES: WeakKeyDictionary[Batch, Loaders] = WeakKeyDictionary()


def for_batch(batch: Batch) -> Loaders:
    """The loaders of a batch of live events, its reports already in: every subscriber of the
    process renders the batch's events from one set (gone with the batch)."""
    loaders = _BATCHES.get(batch)
    if loaders is None:
        loaders = _BATCHES[batch] = Loaders()
        for report in batch.reports.values():
            loaders.report_by_id.prime(report.id, report)
    return loaders

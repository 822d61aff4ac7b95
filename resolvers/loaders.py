"""Dataloaders: one per lookup, created per request so nothing stale is ever served."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.agency import Agency, Category
from models.enums import ExtensionStatus
from models.report import ExtensionRequest, Media, Report, ReportEvent
from models.user import User

M = TypeVar("M", bound=Model)


def _by_id(model: type[M]) -> DataLoader[int, M | None]:
    async def load(ids: list[int]) -> Sequence[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=ids)}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _grouped(model: type[M], key: str, **conditions: object) -> DataLoader[int, list[M]]:
    async def load(ids: list[int]) -> Sequence[list[M]]:
        groups: dict[int, list[M]] = defaultdict(list)
        rows = await model.filter(**{f"{key}__in": ids}, **conditions).order_by("id")
        for row in rows:
            groups[getattr(row, key)].append(row)
        return [groups[i] for i in ids]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self) -> None:
        self.category_by_id = _by_id(Category)
        self.agency_by_id = _by_id(Agency)
        self.user_by_id = _by_id(User)
        self.report_by_id = _by_id(Report)
        self.extension_request_by_id = _by_id(ExtensionRequest)
        self.events_by_report_id = _grouped(ReportEvent, "report_id")
        self.media_by_report_id = _grouped(Media, "report_id")
        self.extension_requests_by_report_id = _grouped(ExtensionRequest, "report_id")
        self.pending_extension_by_report_id = _grouped(
            ExtensionRequest, "report_id", status=ExtensionStatus.PENDING
        )

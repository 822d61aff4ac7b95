"""Reports, their public timeline, extension requests and attached media."""

from __future__ import annotations

import re
from datetime import date, datetime

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import (
    Channel,
    EventKind,
    ExtensionStatus,
    MediaKind,
    Role,
    Satisfaction,
    Status,
)
from models.orm.accounts import User
from models.orm.directory import Agency, Category
from models.orm.rows import Stored
from models.rules.calendar import local_date
from models.rules.policy import ReportFacts

_CODE = re.compile(r"PA-(\d{4})-(\d{6,})")


def report_code(report_id: int, submitted_at: datetime) -> str:
    """The human-readable code, e.g. PA-2026-000123: the year of submission (Huế time) and the
    number."""
    return f"PA-{local_date(submitted_at).year}-{report_id:06d}"


def parse_report_code(code: str) -> int | None:
    """The number in a code; whether its year matches is the caller's check (`Report.code`)."""
    match = _CODE.fullmatch(code.strip().upper())
    return int(match.group(2)) if match else None


class Report(Stored):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField()  # public text; the IOC may edit it when assigning
    original_description = fields.TextField()  # as the reporter wrote it: personal data
    search_text = fields.TextField()  # folded title + text + address, for diacritic-blind search
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "models.Category", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    category_id: int | None
    agency: fields.ForeignKeyNullableRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    agency_id: int | None
    reporter: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", on_delete=fields.RESTRICT, related_name=False
    )
    reporter_id: int
    channel = fields.CharEnumField(Channel, max_length=16, default=Channel.APP)
    contact_name = fields.CharField(max_length=100, null=True)  # caller, when the IOC enters it
    contact_phone = fields.CharField(max_length=16, null=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    address = fields.CharField(max_length=300, null=True)
    # Derived from latitude/longitude when they are set (models/geo.py): the grid index that
    # finds nearby reports, and the unit vector that measures exact distances in SQL.
    geo_cell = fields.BigIntField(null=True)
    ux = fields.FloatField(null=True)
    uy = fields.FloatField(null=True)
    uz = fields.FloatField(null=True)
    status = fields.CharEnumField(Status, max_length=20)
    submitted_at: datetime = fields.DatetimeField()
    due_at: datetime = fields.DatetimeField()
    extended = fields.BooleanField(default=False)  # an extension was approved in this cycle
    resolved_at = fields.DatetimeField(null=True)
    on_time = fields.BooleanField(null=True)  # frozen at publication
    result_text = fields.TextField(null=True)
    result_submitted_at = fields.DatetimeField(null=True)
    contested = fields.BooleanField(default=False)
    reopen_count = fields.IntField(default=0)
    working_days = fields.IntField(null=True)  # submission to publication, frozen then
    # Denormalised so lists and rankings need no per-report subqueries; kept in step by the
    # use cases, in the same transaction as the rows they summarise.
    satisfaction = fields.CharEnumField(Satisfaction, max_length=16, null=True)  # latest rating
    support_count = fields.IntField(default=0)
    comment_count = fields.IntField(default=0)  # visible comments
    # The reopen cycle in which each reminder was raised: at most one of each per cycle.
    near_reminded_cycle = fields.IntField(null=True)
    overdue_reminded_cycle = fields.IntField(null=True)
    duplicate_of: fields.ForeignKeyNullableRelation[Report] = fields.ForeignKeyField(
        "models.Report", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    duplicate_of_id: int | None
    idempotency_key = fields.CharField(max_length=64, null=True)
    request_hash = fields.CharField(max_length=64, null=True)  # of the request that made it
    version = fields.IntField(default=0)  # optimistic lock: every change bumps it
    updated_at = fields.DatetimeField(auto_now=True)

    @property
    def code(self) -> str:
        return report_code(self.id, self.submitted_at)

    @property
    def facts(self) -> ReportFacts:
        """What the policy needs to decide who may see or do what."""
        return ReportFacts(self.status, self.reporter_id, self.agency_id)

    class Meta:
        table = "report"
        unique_together = (("reporter", "idempotency_key"),)
        indexes = (
            Index(fields=("status", "submitted_at", "id")),
            Index(fields=("submitted_at", "id")),
            Index(fields=("agency_id", "status", "due_at")),
            Index(fields=("reporter_id", "submitted_at")),
            Index(fields=("support_count", "id")),
            Index(fields=("geo_cell",)),
            Index(fields=("contested", "status")),  # the review queue's contests
        )


class ReportEvent(Stored):
    """One timeline entry. Its id is the global, increasing `seq` of the event stream."""

    id = fields.BigIntField(primary_key=True)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "models.Report", on_delete=fields.CASCADE, related_name=False
    )
    report_id: int
    at: datetime = fields.DatetimeField()
    kind = fields.CharEnumField(EventKind, max_length=24)
    from_status = fields.CharEnumField(Status, max_length=20, null=True)
    to_status = fields.CharEnumField(Status, max_length=20, null=True)
    note = fields.TextField(null=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", null=True, on_delete=fields.SET_NULL, related_name=False
    )
    actor_id: int | None
    actor_role = fields.CharEnumField(Role, max_length=16, null=True)
    agency: fields.ForeignKeyNullableRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    agency_id: int | None
    comment: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Comment", null=True, on_delete=fields.SET_NULL, related_name=False
    )
    comment_id: int | None

    class Meta:
        table = "report_event"
        indexes = (Index(fields=("report_id", "id")),)


class ExtensionRequest(Stored):
    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "models.Report", on_delete=fields.CASCADE, related_name=False
    )
    report_id: int
    agency: fields.ForeignKeyRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", on_delete=fields.RESTRICT, related_name=False
    )
    agency_id: int
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", on_delete=fields.RESTRICT, related_name=False
    )
    requested_by_id: int
    until: date = fields.DateField()
    reason = fields.TextField()
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.PENDING)
    created_at: datetime = fields.DatetimeField()
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    decision_note: str | None = fields.TextField(null=True)

    class Meta:
        table = "extension_request"
        indexes = (Index(fields=("status", "report_id")),)


class Media(Stored):
    """A stored photo or video. Evidence of a report, or of an agency's result."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", on_delete=fields.RESTRICT, related_name=False
    )
    owner_id: int
    kind = fields.CharEnumField(MediaKind, max_length=8)
    storage_key = fields.CharField(max_length=200, unique=True)
    thumbnail_key = fields.CharField(max_length=200, unique=True, null=True)
    content_type = fields.CharField(max_length=64)
    size_bytes = fields.BigIntField(default=0)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    report: fields.ForeignKeyNullableRelation[Report] = fields.ForeignKeyField(
        "models.Report", null=True, on_delete=fields.CASCADE, related_name=False
    )
    report_id: int | None
    is_result = fields.BooleanField(default=False)
    created_at: datetime = fields.DatetimeField()

    class Meta:
        table = "media"
        # The second index finds unattached uploads past their 24 hours.
        indexes = (Index(fields=("report_id", "id")), Index(fields=("report_id", "created_at")))

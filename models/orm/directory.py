"""Agencies that handle reports, and report categories."""

from __future__ import annotations

from tortoise import fields

from models.enums import AgencyKind, AgencyLevel
from models.orm.rows import Stored


class Agency(Stored):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(AgencyKind, max_length=16)
    level = fields.CharEnumField(AgencyLevel, max_length=16)
    parent: fields.ForeignKeyNullableRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", null=True, on_delete=fields.RESTRICT, related_name="children"
    )
    parent_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "agency"


class Category(Stored):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    # Who usually handles it (a utility company or a government office): Open311's `group`.
    agency_kind = fields.CharEnumField(AgencyKind, max_length=16, default=AgencyKind.GOVERNMENT,
                                       db_default=AgencyKind.GOVERNMENT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "category"

"""What the public adds to a report: comments, ratings of the result, "me too" support."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import Role, Satisfaction
from models.orm.rows import Stored


class Comment(Stored):
    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Report", on_delete=fields.CASCADE, related_name=False
    )
    report_id: int
    author: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.User", on_delete=fields.RESTRICT, related_name=False
    )
    author_id: int
    author_role = fields.CharEnumField(Role, max_length=16)
    # Staff speak for their agency: frozen here so a later move does not rewrite history.
    author_agency: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Agency", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    author_agency_id: int | None
    parent: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Comment", null=True, on_delete=fields.RESTRICT, related_name=False
    )
    parent_id: int | None
    body = fields.TextField()
    created_at: datetime = fields.DatetimeField()
    hidden = fields.BooleanField(default=False)
    hidden_reason: str | None = fields.TextField(null=True)
    hidden_at = fields.DatetimeField(null=True)

    class Meta:
        table = "comment"
        indexes = (Index(fields=("report_id", "id")),)


# No semicolons in model docstrings: they become table comments, and Tortoise splits its SQL
# scripts on semicolons.
class Rating(Stored):
    """One rating per report and cycle: rating again in the same cycle replaces it."""

    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Report", on_delete=fields.CASCADE, related_name=False
    )
    report_id: int
    cycle = fields.IntField()  # the report's reopenCount when rated
    satisfaction = fields.CharEnumField(Satisfaction, max_length=16)
    note: str | None = fields.TextField(null=True)
    rated_at: datetime = fields.DatetimeField()

    class Meta:
        table = "rating"
        unique_together = (("report", "cycle"),)


class Support(Stored):
    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Report", on_delete=fields.CASCADE, related_name=False
    )
    report_id: int
    user: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.User", on_delete=fields.CASCADE, related_name=False
    )
    user_id: int
    created_at: datetime = fields.DatetimeField()

    class Meta:
        table = "support"
        unique_together = (("report", "user"),)

"""Daily aggregates behind the rankings and statistics, so that a figure costs the same at a
thousand reports or ten million: one row per local day of submission, agency (as assigned now),
category and status, with the counts the contract's definitions need. Maintained in the same
transaction as every change of a report (models/actions/figures.py) and rebuilt from the reports
by `python server.py rebuild-figures`."""

from __future__ import annotations

from tortoise import fields

from models.enums import Status
from models.orm.rows import Stored

# The counts of a row, in the order the upsert and the rebuild write them.
COLUMNS = ("reports", "on_time", "late", "satisfied", "acceptable", "unsatisfied", "working_days")


class DailyFigures(Stored):
    id = fields.IntField(primary_key=True)
    day = fields.DateField()  # Huế's calendar day of submittedAt
    # Plain integers, not foreign keys: 0 stands for "none" so that the unique key, which the
    # upsert relies on, never holds a NULL (NULLs never conflict).
    agency_id = fields.IntField()
    category_id = fields.IntField()
    status = fields.CharEnumField(Status, max_length=20)
    reports = fields.IntField(default=0)
    on_time = fields.IntField(default=0)  # on_time frozen True, whatever the status now
    late = fields.IntField(default=0)  # on_time frozen False
    satisfied = fields.IntField(default=0)
    acceptable = fields.IntField(default=0)
    unsatisfied = fields.IntField(default=0)
    working_days = fields.IntField(default=0)  # summed over the reports that have a count

    class Meta:
        table = "daily_figures"
        unique_together = (("day", "agency_id", "category_id", "status"),)

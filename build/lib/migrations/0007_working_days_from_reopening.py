"""A reopened report's working days count from its reopening, not from its submission (the
contract's definition of `averageWorkingDays`): recomputed for reports resolved again after a
reopening. Holidays are Vietnam's official calendar; an admin's extra days off (settings) are not
known here, so a deployment that set some should recompute those few reports by hand."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models.rules.calendar import local_date, vietnam


async def from_reopening(apps, schema_editor):
    report = apps.get_model("models.Report")
    event = apps.get_model("models.ReportEvent")
    conn = schema_editor.client
    calendar = vietnam()
    rows = await report.filter(status="RESOLVED", reopen_count__gt=0).using_db(conn).values(
        "id", "resolved_at")
    for row in rows:
        reopened = await event.filter(report_id=row["id"], kind="REOPENED").using_db(
            conn).order_by("-id").first()
        if reopened is None or row["resolved_at"] is None:
            continue
        days = calendar.working_days_between(local_date(reopened.at),
                                             local_date(row["resolved_at"]))
        await report.filter(id=row["id"]).using_db(conn).update(working_days=days)


async def nothing(apps, schema_editor):
    """The old count is not worth restoring."""


class Migration(migrations.Migration):
    dependencies = [('models', '0006_utc_on_sqlite')]

    initial = False

    operations = [ops.RunPython(from_reopening, nothing)]

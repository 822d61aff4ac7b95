"""Media thumbnails and sizes; the place index of reports (models/geo.py), filled in for
reports that already have a location."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from models.rules.geo import located

BATCH = 2000


async def fill_places(apps, schema_editor):
    report = apps.get_model("models.Report")
    conn = schema_editor.client
    last = 0
    while True:
        rows = await (report.filter(id__gt=last, latitude__not_isnull=True,
                                    longitude__not_isnull=True)
                      .order_by("id").limit(BATCH).using_db(conn)
                      .values("id", "latitude", "longitude"))
        if not rows:
            return
        for row in rows:
            await report.filter(id=row["id"]).using_db(conn).update(
                **located(row["latitude"], row["longitude"]))
        last = rows[-1]["id"]


async def forget_places(apps, schema_editor):
    """The columns are dropped by the reversed AddField operations."""

class Migration(migrations.Migration):
    dependencies = [('models', '0003_feedback_and_reminders')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Media',
            name='size_bytes',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Media',
            name='thumbnail_key',
            field=fields.CharField(null=True, unique=True, max_length=200),
        ),
        ops.AddIndex(
            model_name='Media',
            index=Index(fields=['report_id', 'created_at']),
        ),
        ops.AddField(
            model_name='Report',
            name='geo_cell',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Report',
            name='ux',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Report',
            name='uy',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Report',
            name='uz',
            field=fields.FloatField(null=True),
        ),
        ops.AddIndex(
            model_name='Report',
            index=Index(fields=['geo_cell']),
        ),
        ops.RunPython(fill_places, forget_places),
    ]

"""Daily aggregates behind agencyRankings and stats (models/orm/figures.py), filled from the
reports already there."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.actions.figures import rebuild
from models.enums import Status


async def fill(apps, schema_editor):
    await rebuild(apps.get_model("models.Report"), schema_editor.client)


async def nothing(apps, schema_editor):
    """The table goes with the migration."""


class Migration(migrations.Migration):
    dependencies = [('models', '0009_sessions_and_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyFigures',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('agency_id', fields.IntField()),
                ('category_id', fields.IntField()),
                ('status', fields.CharEnumField(enum_type=Status, description=None,
                                                max_length=20)),
                ('reports', fields.IntField(default=0)),
                ('on_time', fields.IntField(default=0)),
                ('late', fields.IntField(default=0)),
                ('satisfied', fields.IntField(default=0)),
                ('acceptable', fields.IntField(default=0)),
                ('unsatisfied', fields.IntField(default=0)),
                ('working_days', fields.IntField(default=0)),
            ],
            options={'table': 'daily_figures', 'app': 'models',
                     'unique_together': (('day', 'agency_id', 'category_id', 'status'),),
                     'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(fill, nothing),
    ]

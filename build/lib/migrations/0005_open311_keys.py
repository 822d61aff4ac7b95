"""Partners' Open311 keys; each category's usual kind of agency (Open311's service group), the
utility services (DVCI: power, water) going to companies."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import AgencyKind, Channel
from tortoise.fields.base import OnDelete
from tortoise import fields

UTILITY_CATEGORIES = ["DVCI"]


class DescriptionOnly(ops.AlterField):
    """A new enum value changes only the column's comment (it stays VARCHAR(16)); Tortoise's
    SQLite alter_field rebuilds the table and loses its unique constraints, so the database is
    left alone and only the migration state moves."""

    async def database_forward(self, *args, **kwargs):
        return None

    async def database_backward(self, *args, **kwargs):
        return None


async def utilities_to_companies(apps, schema_editor):
    category = apps.get_model("models.Category")
    await category.filter(code__in=UTILITY_CATEGORIES).using_db(schema_editor.client).update(
        agency_kind=AgencyKind.BUSINESS)


async def nothing(apps, schema_editor):
    """The column goes with the reversed AddField."""


class Migration(migrations.Migration):
    dependencies = [('models', '0004_media_and_places')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': "A partner's Open311 key, issued by an admin for one citizen account."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Category',
            name='agency_kind',
            field=fields.CharEnumField(default=AgencyKind.GOVERNMENT, db_default=AgencyKind.GOVERNMENT, description='GOVERNMENT: GOVERNMENT\nBUSINESS: BUSINESS', enum_type=AgencyKind, max_length=16),
        ),
        DescriptionOnly(
            model_name='Report',
            name='channel',
            field=fields.CharEnumField(default=Channel.APP, description='APP: APP\nWEB: WEB\nHOTLINE: HOTLINE\nEMAIL: EMAIL\nSOCIAL: SOCIAL\nOPEN311: OPEN311', enum_type=Channel, max_length=16),
        ),
        ops.RunPython(utilities_to_companies, nothing),
    ]

"""The outbox cursors (models/orm/outbox.py), citizens' notifications (models/orm/notifications.py),
and where each webhook endpoint starts. The cursors start at the newest event: what happened
before this version ran is not sent to anyone."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


async def start_cursors(apps, schema_editor):
    event = apps.get_model("models.ReportEvent")
    cursor = apps.get_model("models.OutboxCursor")
    newest = await event.all().using_db(schema_editor.client).order_by("-id").first()
    for name in ("webhooks", "notifications"):
        await cursor.create(name=name, last_event_id=newest.id if newest else 0,
                            using_db=schema_editor.client)


async def drop_cursors(apps, schema_editor):
    cursor = apps.get_model("models.OutboxCursor")
    await cursor.all().using_db(schema_editor.client).delete()


class Migration(migrations.Migration):
    dependencies = [('models', '0012_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=100)),
                ('user_id', fields.IntField()),
                ('event_id', fields.BigIntField(null=True)),
                ('kind', fields.CharField(max_length=30)),
                ('channel', fields.CharField(max_length=10)),
                ('target_id', fields.IntField(null=True)),
                ('payload', fields.TextField(unique=False)),
                ('status', fields.CharField(default='PENDING', max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('user_id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kinds', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('channels', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('email_verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('quiet_start', fields.SmallIntField(null=True)),
                ('quiet_end', fields.SmallIntField(null=True)),
                ('language', fields.CharField(default='vi', max_length=5)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'models', 'pk_attr': 'user_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxCursor',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=30)),
                ('last_event_id', fields.BigIntField(default=0)),
            ],
            options={'table': 'outbox_cursor', 'app': 'models', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField(db_index=True)),
                ('endpoint', fields.CharField(unique=True, max_length=1000)),
                ('p256dh', fields.CharField(max_length=200)),
                ('auth', fields.CharField(max_length=100)),
                ('label', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_subscription', 'app': 'models', 'pk_attr': 'id', 'table_description': "A browser's PushSubscription (endpoint and keys), as the Push API hands it out."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='WebhookEndpoint',
            name='from_event_id',
            field=fields.BigIntField(default=0),
        ),
        ops.RunPython(start_cursors, drop_cursors),
    ]

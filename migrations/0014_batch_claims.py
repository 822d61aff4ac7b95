"""A claim tag on outbox rows, so that one UPDATE claims a batch (actions/outbox.py `claim`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_outbox_and_notifications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notification',
            name='claim',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='WebhookDelivery',
            name='claim',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]

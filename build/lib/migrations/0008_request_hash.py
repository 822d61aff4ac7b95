"""The fingerprint of the request that made a report with an idempotency key: a retry must
repeat it, the same key with another payload is a CONFLICT."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_working_days_from_reopening')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Report',
            name='request_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]

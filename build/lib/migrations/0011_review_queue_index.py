"""An index for the review queue's contested reports: with it, each part of the queue's
condition has an index and PostgreSQL combines them (a bitmap OR) instead of walking every
report in submission order (models/queries/reports.py: review_queue)."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0010_daily_figures')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Report',
            index=Index(fields=['contested', 'status']),
        ),
    ]

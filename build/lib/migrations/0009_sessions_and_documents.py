"""Trusted GraphQL documents (PERSISTED_QUERIES=trusted); when a token was replaced by a renewal."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_request_hash')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('client', fields.CharField(max_length=100)),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'trusted_document', 'app': 'models', 'pk_attr': 'hash'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuthToken',
            name='renewed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import Role, Satisfaction
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_standard_categories')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Comment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('author_role', fields.CharEnumField(description='CITIZEN: CITIZEN\nIOC_OPERATOR: IOC_OPERATOR\nAGENCY_STAFF: AGENCY_STAFF\nADMIN: ADMIN', enum_type=Role, max_length=16)),
                ('author_agency', fields.ForeignKeyField('models.Agency', source_field='author_agency_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('parent', fields.ForeignKeyField('models.Comment', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('hidden', fields.BooleanField(default=False)),
                ('hidden_reason', fields.TextField(null=True, unique=False)),
                ('hidden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comment', 'app': 'models', 'indexes': [Index(fields=['report_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('cycle', fields.IntField()),
                ('satisfaction', fields.CharEnumField(description='SATISFIED: SATISFIED\nACCEPTABLE: ACCEPTABLE\nUNSATISFIED: UNSATISFIED', enum_type=Satisfaction, max_length=16)),
                ('note', fields.TextField(null=True, unique=False)),
                ('rated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating', 'app': 'models', 'unique_together': (('report', 'cycle'),), 'pk_attr': 'id', 'table_description': 'One rating per report and cycle: rating again in the same cycle replaces it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Support',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support', 'app': 'models', 'unique_together': (('report', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Report',
            name='comment_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Report',
            name='near_reminded_cycle',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Report',
            name='overdue_reminded_cycle',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Report',
            name='satisfaction',
            field=fields.CharEnumField(null=True, description='SATISFIED: SATISFIED\nACCEPTABLE: ACCEPTABLE\nUNSATISFIED: UNSATISFIED', enum_type=Satisfaction, max_length=16),
        ),
        ops.AddField(
            model_name='Report',
            name='support_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Report',
            name='working_days',
            field=fields.IntField(null=True),
        ),
        ops.AddIndex(
            model_name='Report',
            index=Index(fields=['support_count', 'id']),
        ),
        ops.AddField(
            model_name='ReportEvent',
            name='comment',
            field=fields.ForeignKeyField('models.Comment', source_field='comment_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='last_comment_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

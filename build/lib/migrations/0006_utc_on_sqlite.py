"""SQLite only: every stored date-time rewritten in UTC (models/db.py now writes them so).
Deadlines were stored with Huế's offset (23:59:59+07:00) beside instants in UTC, and SQLite
compares them as text: overdue filters and local-day periods were off by seven hours."""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops

DATETIMES = {
    "report": ["submitted_at", "due_at", "resolved_at", "result_submitted_at", "updated_at"],
    "report_event": ["at"],
    "extension_request": ["created_at", "decided_at"],
    "media": ["created_at"],
    "comment": ["created_at", "hidden_at"],
    "rating": ["rated_at"],
    "support": ["created_at"],
    "user_account": ["created_at", "last_comment_at"],
    "auth_token": ["created_at", "expires_at", "revoked_at"],
    "api_key": ["created_at", "revoked_at"],
    "agency": ["created_at"],
    "category": ["created_at"],
}


def in_utc(text: str) -> str:
    value = datetime.fromisoformat(text)
    return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(" ")


async def to_utc(apps, schema_editor):
    conn = schema_editor.client
    if conn.capabilities.dialect != "sqlite":
        return  # PostgreSQL keeps instants (timestamptz): nothing to rewrite
    for table, columns in DATETIMES.items():
        for column in columns:
            rows = await conn.execute_query_dict(
                f'SELECT rowid AS r, "{column}" AS v FROM "{table}" '
                f"WHERE \"{column}\" IS NOT NULL AND \"{column}\" NOT LIKE '%+00:00'")
            for row in rows:
                await conn.execute_query(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                                         [in_utc(row["v"]), row["r"]])


async def nothing(apps, schema_editor):
    """UTC text is valid for the old code too."""


class Migration(migrations.Migration):
    dependencies = [('models', '0005_open311_keys')]

    initial = False

    operations = [ops.RunPython(to_utc, nothing)]

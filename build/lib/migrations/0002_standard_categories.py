"""The report categories the province publishes statistics for, present from the first start."""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops

CATEGORIES = [
    ("TTXD", "Trật tự xây dựng"),
    ("VSMT", "Vệ sinh môi trường"),
    ("HTGT", "Hạ tầng giao thông"),
    ("HTDT", "Hạ tầng đô thị"),
    ("ANTT", "An ninh trật tự xã hội"),
    ("DLDV", "Chất lượng dịch vụ du lịch"),
    ("TTHC", "Thủ tục hành chính / thái độ cán bộ"),
    ("DVCI", "Dịch vụ công ích"),
]


async def add_categories(apps, schema_editor):
    category = apps.get_model("models.Category")
    now = datetime.now(UTC)
    for code, name in CATEGORIES:
        if not await category.filter(code=code).using_db(schema_editor.client).exists():
            await category.create(code=code, name=name, created_at=now,
                                  using_db=schema_editor.client)


async def remove_categories(apps, schema_editor):
    category = apps.get_model("models.Category")
    codes = [code for code, _ in CATEGORIES]
    await category.filter(code__in=codes).using_db(schema_editor.client).delete()


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(add_categories, remove_categories)]

"""Migrations (on SQLite and a real PostgreSQL), the command line and the demo data."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

from tortoise.migrations.autodetector import MigrationAutodetector

from bench.world import World
from models.db import migrate, tortoise_config
from models.enums import AgencyLevel, Status
from models.orm.accounts import User
from models.orm.directory import Agency, Category
from models.orm.participation import Comment, Rating, Support
from models.orm.reports import Report, ReportEvent
from tests.support.api import Api
from tests.support.clock import FakeClock
from web.demo.seed import seed
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


async def test_migrations_match_the_models(app: object, database_url: str):
    """A model change without its migration would fail here (and on PostgreSQL)."""
    from tortoise.context import get_current_context

    ctx = get_current_context()
    assert ctx is not None
    assert ctx.apps is not None
    config = tortoise_config(database_url)["apps"]
    detector = MigrationAutodetector(ctx.apps, config)
    assert await detector.changes() == [], "run: tortoise -c models.db.TORTOISE_ORM makemigrations"


SCHEMA_SQL = {
    # Every table, index and trigger with the statement that makes it.
    "sqlite": "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
              "ORDER BY type, name",
    "postgres": "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "UNION ALL SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes "
                "WHERE schemaname = 'public' ORDER BY 1, 2",
}


async def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int, int]:
    """The applied migrations, the schema, and how many reports and categories (the ones a
    data migration adds) there are."""
    from tortoise.context import get_current_context

    ctx = get_current_context()
    assert ctx is not None
    conn = ctx.db()
    _, applied = await conn.execute_query(
        'SELECT "app", "name" FROM "tortoise_migrations" ORDER BY "app", "name"')
    _, schema = await conn.execute_query(SCHEMA_SQL[conn.capabilities.dialect])
    return ([tuple(r) for r in applied], [tuple(r) for r in schema],
            await Report.all().count(), await Category.all().count())


async def test_migrating_again_is_a_no_op(app: object, database_url: str, world: World):
    await world.report(Status.ASSIGNED)
    applied, schema, reports, categories = await snapshot()
    assert [name for app_name, name in applied if app_name == "models"] == sorted(
        path.stem for path in (ROOT / "migrations").glob("0*.py"))
    assert len(schema) > 20
    await migrate(database_url)
    await migrate(database_url)
    assert await snapshot() == (applied, schema, reports, categories)


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "server.py"), *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_cli_migrate_and_create_user(tmp_path: Path):
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    assert run_cli("migrate", database_url=url).returncode == 0
    done = run_cli("create-user", "--phone", "0905 111 222", "--password", "mật khẩu IOC 1",
                   "--name", "Trực ban IOC", "--role", "IOC_OPERATOR", database_url=url)
    assert done.returncode == 0, done.stderr
    assert "created IOC_OPERATOR +84905111222" in done.stdout
    again = run_cli("create-user", "--phone", "0905111222", "--password", "mật khẩu IOC 1",
                    "--name", "Trùng", "--role", "IOC_OPERATOR", database_url=url)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    bad = run_cli("create-user", "--phone", "0905111333", "--password", "mật khẩu IOC 1",
                  "--name", "Cán bộ", "--role", "AGENCY_STAFF", "--agency", "NOPE",
                  database_url=url)
    assert bad.returncode == 2
    assert "NOPE" in bad.stderr


def test_cli_refuses_the_default_secret_outside_development(tmp_path: Path):
    env = {**os.environ, "APP_ENV": "production", "DATABASE_URL": f"sqlite://{tmp_path}/x.db"}
    env.pop("SECRET_KEY", None)
    done = subprocess.run([sys.executable, str(ROOT / "server.py"), "migrate"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


async def test_demo_data_is_consistent(app: object, settings: Settings, api: Api):
    summary = await seed(settings, reports=120)
    assert "seeded" in summary
    assert await seed(settings, reports=120) == "demo data already present; nothing done"
    for status in Status:
        assert await Report.filter(status=status).exists(), status
    # Every report's status is where its timeline leads.
    events = await ReportEvent.all().order_by("id").values("report_id", "to_status")
    last: dict[int, str] = {}
    for e in events:
        if e["to_status"] is not None:
            last[e["report_id"]] = e["to_status"]
    for report_id, status in await Report.all().values_list("id", "status"):
        assert last[report_id] == status, report_id
    # The demo accounts listed in the README sign in.
    login = """mutation($p: String!, $w: String!) { login(input: {phone: $p, password: $w}) {
      user { role } errors { code } } }"""
    for phone, password, role in [("0900000001", "demo-admin-2026", "ADMIN"),
                                  ("0900000002", "demo-ioc-2026", "IOC_OPERATOR"),
                                  ("0900000003", "demo-agency-2026", "AGENCY_STAFF"),
                                  ("0900000010", "demo-citizen-2026", "CITIZEN")]:
        data = await api.gql(login, {"p": phone, "w": password})
        assert data["login"]["user"] == {"role": role}, phone
    assert await User.filter(role="CITIZEN").count() >= 40
    # Enough public feedback for the rankings and statistics to mean something.
    assert await Comment.all().count() > 10
    assert await Rating.all().count() > 20
    assert await Support.all().count() > 10
    assert await Report.filter(reopen_count__gt=0).exists() or await Report.filter(
        contested=True).exists()
    # Huế as organised since 1 July 2025: wards and communes under the city, no district.
    agencies = await Agency.all()
    assert not [a.name for a in agencies if a.level is AgencyLevel.DISTRICT]
    assert not [a.name for a in agencies if re.search(r"\b(quận|huyện|thị xã)\b", a.name)]
    assert not [a.name for a in agencies if a.parent_id is not None]
    wards = [a.name for a in agencies if a.level is AgencyLevel.COMMUNE]
    assert any(n.startswith("UBND phường ") for n in wards)
    assert any(n.startswith("UBND xã ") for n in wards)
    assert await Report.filter(agency_id__in=[a.id for a in agencies
                                              if a.level is AgencyLevel.COMMUNE]).exists()


def test_cli_remind_raises_each_reminder_once(tmp_path: Path):
    url = f"sqlite://{tmp_path / 'remind.sqlite3'}"
    seeded = run_cli("seed-demo", "--reports", "40", database_url=url)
    assert seeded.returncode == 0, seeded.stderr
    first = run_cli("remind", database_url=url)
    assert first.returncode == 0, first.stderr
    near, overdue = map(int, re.findall(r"(\d+) deadline near, (\d+) overdue", first.stdout)[0])
    assert near + overdue > 0, first.stdout  # the demo has reports near or past their deadline
    again = run_cli("remind", database_url=url)
    assert "0 deadline near, 0 overdue" in again.stdout


async def test_sqlite_dates_stored_with_an_offset_are_rewritten_in_utc(app: object, backend: str,
                                                                      world: World):
    """Migration 0006: on SQLite, a deadline stored as text with Huế's offset sorted after a
    later instant in UTC; rewritten, text order is time order again (PostgreSQL: untouched)."""
    import importlib
    from types import SimpleNamespace

    from tortoise.context import get_current_context

    utc_migration = importlib.import_module("migrations.0006_utc_on_sqlite")
    report = await world.report(Status.ASSIGNED)
    ctx = get_current_context()
    assert ctx is not None
    conn = ctx.db()
    if backend != "sqlite":
        await utc_migration.to_utc(None, SimpleNamespace(client=conn))  # a no-op there
        return
    await conn.execute_query("UPDATE report SET due_at = '2026-12-03 23:59:59+07:00', "
                             "submitted_at = '2026-12-03 20:00:00+00:00' WHERE id = ?",
                             [report.id])
    late = "SELECT count(*) AS n FROM report WHERE due_at < submitted_at"
    assert (await conn.execute_query_dict(late))[0]["n"] == 0  # text order: wrong
    await utc_migration.to_utc(None, SimpleNamespace(client=conn))
    _, rows = await conn.execute_query("SELECT due_at FROM report WHERE id = ?", [report.id])
    assert rows[0][0] == "2026-12-03 16:59:59+00:00"
    assert (await conn.execute_query_dict(late))[0]["n"] == 1  # 16:59:59 UTC < 20:00 UTC


async def test_working_days_of_reopened_reports_are_counted_from_the_reopening(
    app: object, world: World, clock: FakeClock
):
    """Migration 0007 recomputes what an older version counted from the submission."""
    import importlib
    from types import SimpleNamespace

    from tortoise.context import get_current_context

    from models.actions import handling, participation, review

    report = await world.report(Status.RESOLVED)
    d, ioc, staff = world.deps, world.ioc.viewer, world.staff_a.viewer
    await participation.contest_result(d, world.citizen.viewer, report.id, "Chưa xong.")
    clock.advance(days=14)  # reopened two weeks (ten working days) after the submission
    await review.reopen_report(d, ioc, report.id, "Làm lại.")
    await handling.accept_report(d, staff, report.id)
    await handling.submit_result(d, staff, report.id, "Xong hẳn.")
    clock.advance(days=1)
    again = await review.publish_result(d, ioc, report.id)
    assert again.working_days == 1  # Monday 7 December to Tuesday 8 December
    await Report.filter(id=report.id).update(working_days=11)  # as counted from submission
    ctx = get_current_context()
    assert ctx is not None
    migration = importlib.import_module("migrations.0007_working_days_from_reopening")
    models = {"models.Report": Report, "models.ReportEvent": ReportEvent}
    apps = SimpleNamespace(get_model=models.__getitem__)
    await migration.from_reopening(apps, SimpleNamespace(client=ctx.db()))
    assert (await Report.get(id=report.id)).working_days == 1


async def test_daily_figures_are_filled_by_the_migration_and_rebuilt_on_demand(
    app: object, world: World, clock: FakeClock, api: Api
):
    """Migration 0010 fills the daily aggregates from reports written before it; the
    rebuild-figures command does the same after a bulk import, and both give exactly what the
    changes themselves kept."""
    import importlib
    from types import SimpleNamespace

    from tortoise.context import get_current_context

    from models.actions import figures
    from models.orm.figures import DailyFigures

    for status in (Status.RESOLVED, Status.ASSIGNED, Status.REJECTED, Status.PENDING_REVIEW):
        await world.report(status)
    kept = await figures.stored()
    assert kept == await figures.computed()
    assert sum(values[0] for values in kept.values()) == await Report.all().count()
    stats = "{ stats { received processed } }"
    before = (await api.gql(stats))["stats"]
    assert before["received"] == 3  # the rejected report is left out

    await DailyFigures.all().delete()  # as a database written before migration 0010 is
    assert (await api.gql(stats))["stats"]["received"] == 0
    ctx = get_current_context()
    assert ctx is not None
    migration = importlib.import_module("migrations.0010_daily_figures")
    apps = SimpleNamespace(get_model={"models.Report": Report}.__getitem__)
    await migration.fill(apps, SimpleNamespace(client=ctx.db()))
    assert await figures.stored() == kept
    assert (await api.gql(stats))["stats"] == before


def test_cli_rebuild_figures(tmp_path: Path):
    import sqlite3

    path = tmp_path / "cli.sqlite3"
    url = f"sqlite://{path}"
    assert run_cli("seed-demo", "--reports", "30", database_url=url).returncode == 0
    query = ("SELECT day, agency_id, category_id, status, reports, on_time, late, satisfied, "
             "acceptable, unsatisfied, working_days FROM daily_figures WHERE reports > 0 "
             "ORDER BY 1, 2, 3, 4")
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        kept = db.execute(query).fetchall()
        db.execute("DELETE FROM daily_figures")
    assert sum(row[4] for row in kept) >= 30
    done = run_cli("rebuild-figures", database_url=url)
    assert done.returncode == 0, done.stderr
    assert f"{len(kept)} rows" in done.stdout
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute(query).fetchall() == kept

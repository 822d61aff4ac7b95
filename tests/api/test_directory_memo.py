"""Agencies and categories kept by the process (models/memos.py DirectoryMemo): a page of
reports reads their names once per memo age, an admin's change on this process shows at once,
one made elsewhere once the copy is as old as DIRECTORY_CACHE_SECONDS."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.world import World, gid
from models.enums import Status
from models.orm.directory import Agency, Category
from tests.api.test_accounts import UPDATE_AGENCY
from tests.support.api import Api, count_queries
from tests.support.clock import FakeClock
from web.settings import Settings

PAGE = """{ reports(first: 10) { nodes { id category { name } agency { name } } } }"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Pages completed in Python: a public page PostgreSQL writes (projected lists) joins the
    # directory in its one statement instead (tests/api/test_projected_lists.py).
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    directory_cache_seconds=60, media_dir=str(tmp_path / "media"),
                    projected_lists=False)


def _directory_reads(statements: list[str]) -> int:
    return sum('FROM "agency"' in s or 'FROM "category"' in s for s in statements)


async def _names(api: Api) -> set[tuple[str, str]]:
    nodes = (await api.gql(PAGE))["reports"]["nodes"]
    assert nodes
    return {(n["category"]["name"], n["agency"]["name"]) for n in nodes}


async def test_a_page_reads_the_directory_once_per_memo_age(api: Api, world: World,
                                                             clock: FakeClock):
    for _ in range(3):
        await world.report(Status.ASSIGNED)
    with count_queries() as sent:
        first = await _names(api)
    assert _directory_reads(sent) == 2  # categories, agencies
    with count_queries() as sent:
        assert await _names(api) == first
    assert _directory_reads(sent) == 0
    clock.advance(seconds=60)
    with count_queries() as sent:
        assert await _names(api) == first
    assert _directory_reads(sent) == 2


async def test_changes_here_show_at_once_and_elsewhere_within_the_age(api: Api, world: World,
                                                                       clock: FakeClock):
    await world.report(Status.ASSIGNED)
    assert await _names(api) == {(world.category.name, world.agency_a.name)}
    data = await api.gql(UPDATE_AGENCY, {"input": {"id": gid("Agency", world.agency_a.id),
                                                   "name": "UBND phường Thuận Hóa"}},
                         world.admin.token)
    assert data["updateAgency"]["errors"] == []
    assert await _names(api) == {(world.category.name, "UBND phường Thuận Hóa")}
    # Another process renames the category (straight in the database here).
    await Category.filter(id=world.category.id).update(name="Môi trường đô thị")
    assert await _names(api) == {(world.category.name, "UBND phường Thuận Hóa")}
    clock.advance(seconds=60)
    assert await _names(api) == {("Môi trường đô thị", "UBND phường Thuận Hóa")}
    assert await Agency.filter(name="UBND phường Thuận Hóa").count() == 1

"""Agency and Category types."""

from __future__ import annotations

from typing import Self

import strawberry

from models.orm.directory import Agency as AgencyRow
from models.orm.directory import Category as CategoryRow
from schema.context import Info
from schema.enums import AgencyKind, AgencyLevel
from schema.relay import Node, to_global_id


@strawberry.type
class Category(Node):
    code: str
    name: str
    agency_kind: AgencyKind = strawberry.field(
        description="Who usually handles it (a utility company or a government office).")

    @classmethod
    def from_row(cls, row: CategoryRow) -> Self:
        return cls(id=to_global_id("Category", row.id), code=row.code, name=row.name,
                   agency_kind=row.agency_kind)

    @classmethod
    def maybe(cls, row: CategoryRow | None) -> Self | None:
        return cls.from_row(row) if row else None


@strawberry.type
class Agency(Node):
    code: str
    name: str
    kind: AgencyKind
    level: AgencyLevel
    parent_id: strawberry.Private[int | None]

    @strawberry.field
    async def parent(self, info: Info) -> Agency | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.agency_by_id.load(self.parent_id)
        return Agency.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: AgencyRow) -> Self:
        return cls(
            id=to_global_id("Agency", row.id), code=row.code, name=row.name, kind=row.kind,
            level=row.level, parent_id=row.parent_id,
        )

    @classmethod
    def maybe(cls, row: AgencyRow | None) -> Self | None:
        return cls.from_row(row) if row else None


async def load_agency(info: Info, agency_id: int | None) -> Agency | None:
    if agency_id is None:
        return None
    row = await info.context.loaders.agency_by_id.load(agency_id)
    return Agency.from_row(row) if row else None


async def load_category(info: Info, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    row = await info.context.loaders.category_by_id.load(category_id)
    return Category.from_row(row) if row else None

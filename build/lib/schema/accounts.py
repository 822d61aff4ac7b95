"""User (the signed-in account) and Person (a reporter's personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.orm.accounts import ApiKey as ApiKeyRow
from models.orm.accounts import User as UserRow
from schema.context import Info
from schema.directory import Agency, load_agency
from schema.enums import Role
from schema.relay import Node, to_global_id


@strawberry.type(description="A reporter's personal data: only the reporter and the IOC see it.")
class Person:
    display_name: str | None
    phone: str | None


@strawberry.type(description="An account. Phone numbers are shown only to their owner and the IOC.")
class User(Node):
    display_name: str
    phone: str
    role: Role
    agency_id: strawberry.Private[int | None]

    @strawberry.field
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info, self.agency_id)

    @classmethod
    def from_row(cls, row: UserRow) -> Self:
        return cls(
            id=to_global_id("User", row.id), display_name=row.display_name, phone=row.phone,
            role=row.role, agency_id=row.agency_id,
        )


@strawberry.type(description="A machine's key (an Open311 partner's or an agency system's). "
                 "The key itself is shown once, when issued.")
class ApiKey(Node):
    name: str
    user: User
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow, user: UserRow) -> Self:
        return cls(id=to_global_id("ApiKey", row.id), name=row.name, user=User.from_row(user),
                   created_at=row.created_at, revoked_at=row.revoked_at)

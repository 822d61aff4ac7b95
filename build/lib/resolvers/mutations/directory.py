"""Agencies and categories (models/actions/directory.py)."""

from __future__ import annotations

import strawberry

from models.actions import directory
from resolvers.mutations.base import mutation
from schema import inputs, payloads
from schema.context import Info
from schema.directory import Agency, Category
from schema.relay import decode_id


@strawberry.type
class DirectoryMutation:
    @mutation()
    async def create_agency(
        self, info: Info, input: inputs.CreateAgencyInput
    ) -> payloads.CreateAgencyPayload:
        parent = decode_id(input.parent_id, "Agency", "parentId") if input.parent_id else None
        row = await directory.create_agency(
            info.context.deps, info.context.viewer, code=input.code, name=input.name,
            kind=input.kind, level=input.level, parent_id=parent,
        )
        return payloads.CreateAgencyPayload(agency=Agency.from_row(row))

    @mutation()
    async def update_agency(
        self, info: Info, input: inputs.UpdateAgencyInput
    ) -> payloads.UpdateAgencyPayload:
        parent = input.parent_id
        row = await directory.update_agency(
            info.context.deps, info.context.viewer, decode_id(input.id, "Agency"), name=input.name,
            kind=input.kind, level=input.level,
            parent_id=decode_id(parent, "Agency", "parentId") if parent else None,
            clear_parent=parent is None,
        )
        return payloads.UpdateAgencyPayload(agency=Agency.from_row(row))

    @mutation()
    async def create_category(
        self, info: Info, input: inputs.CreateCategoryInput
    ) -> payloads.CreateCategoryPayload:
        row = await directory.create_category(
            info.context.deps, info.context.viewer, code=input.code, name=input.name,
            agency_kind=input.agency_kind,
        )
        return payloads.CreateCategoryPayload(category=Category.from_row(row))

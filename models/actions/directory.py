"""Agencies and categories: managed by admins, read by everyone."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from models.deps import Deps
from models.enums import AgencyKind, AgencyLevel, Role
from models.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from models.messages import _
from models.orm.directory import Agency, Category
from models.rules.policy import Viewer
from models.rules.text import clean

_CODE = re.compile(r"[A-Z0-9][A-Z0-9_.-]{1,31}")
# Room for a whole country (3,321 wards and communes since 2025, departments, companies) while
# keeping the public lists bounded: `agencies`, `categories` return them whole.
MAX_AGENCIES = 10_000
MAX_CATEGORIES = 500


def require_admin(viewer: Viewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    if viewer.role is not Role.ADMIN:
        raise Forbidden(_("Only an admin can do this."))


def clean_code(code: str | None) -> str:
    value = (code or "").strip().upper()
    if not _CODE.fullmatch(value):
        raise Invalid(_("Code must be 2-32 letters, digits, '-', '_' or '.'."), field="code")
    return value


def check_level(level: AgencyLevel) -> None:
    """The district level (quận, thị xã, huyện) was abolished on 1 July 2025: agencies of it
    remain only in historical data."""
    if level is AgencyLevel.DISTRICT:
        raise Invalid(_("There is no district level any more (since 1 July 2025): wards and "
                      "communes are COMMUNE, city departments and companies PROVINCE."),
                      field="level")


def clean_name(name: str | None) -> str:
    value = clean(name, field="name", max_length=200, min_length=2)
    assert value is not None
    return value


async def _check_parent(agency_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    if not await Agency.exists(id=parent_id):
        raise NotFound(_("No such parent agency."), field="parentId")
    # Walk up from the new parent: reaching the agency itself would make a cycle.
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == agency_id:
            raise Invalid(_("An agency cannot be its own ancestor."), field="parentId")
        seen.add(current)
        parent = await Agency.get_or_none(id=current).only("id", "parent_id")
        current = parent.parent_id if parent else None


async def create_agency(
    deps: Deps, viewer: Viewer, *, code: str, name: str, kind: AgencyKind, level: AgencyLevel,
    parent_id: int | None = None,
) -> Agency:
    require_admin(viewer)
    code, name = clean_code(code), clean_name(name)
    check_level(level)
    await _check_parent(None, parent_id)
    if await Agency.all().count() >= MAX_AGENCIES:
        raise Invalid(_("There can be at most {count} agencies."), field="code",
                      count=MAX_AGENCIES)
    try:
        agency = await Agency.create(
            code=code, name=name, kind=kind, level=level, parent_id=parent_id
        )
    except IntegrityError:
        raise Conflict(_("An agency with this code already exists."), field="code") from None
    deps.directory.forget()
    deps.changed()  # the public list of agencies
    return agency


async def update_agency(
    deps: Deps, viewer: Viewer, agency_id: int, *, name: str | None = None,
    kind: AgencyKind | None = None, level: AgencyLevel | None = None,
    parent_id: int | None = None, clear_parent: bool = False,
) -> Agency:
    require_admin(viewer)
    agency = await Agency.get_or_none(id=agency_id)
    if agency is None:
        raise NotFound(_("No such agency."), field="id")
    if name is not None:
        agency.name = clean_name(name)
    if kind is not None:
        agency.kind = kind
    if level is not None and level is not agency.level:
        check_level(level)
        agency.level = level
    if clear_parent:
        agency.parent_id = None
    elif parent_id is not None:
        await _check_parent(agency.id, parent_id)
        agency.parent_id = parent_id
    await agency.save()
    deps.directory.forget()
    deps.changed()  # its name is on public lists, rankings and reports
    return agency


async def create_category(deps: Deps, viewer: Viewer, *, code: str, name: str,
                          agency_kind: AgencyKind = AgencyKind.GOVERNMENT) -> Category:
    require_admin(viewer)
    code, name = clean_code(code), clean_name(name)
    if await Category.all().count() >= MAX_CATEGORIES:
        raise Invalid(_("There can be at most {count} categories."), field="code",
                      count=MAX_CATEGORIES)
    try:
        category = await Category.create(code=code, name=name, agency_kind=agency_kind)
    except IntegrityError:
        raise Conflict(_("A category with this code already exists."), field="code") from None
    deps.directory.forget()
    deps.changed()
    return category

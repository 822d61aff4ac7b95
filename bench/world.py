"""Factories: a small world of accounts, agencies and reports, built through the real use cases,
for the load benchmark and the tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from models.actions import accounts, handling, review, submission
from models.deps import Deps
from models.enums import AgencyKind, AgencyLevel, Role, Status
from models.orm.directory import Agency, Category
from models.orm.reports import Report
from models.rules.policy import Viewer
from schema.relay import to_global_id

_phones = itertools.count(1)


@dataclass
class Person:
    id: int
    token: str
    viewer: Viewer
    phone: str
    name: str


async def make_person(deps: Deps, role: Role, agency: Agency | None = None,
                      name: str | None = None) -> Person:
    phone = f"0912{next(_phones):06d}"
    display = name or f"{role.value.title()} {phone[-4:]}"
    user = await accounts.create_user(
        phone=phone, password="mật khẩu an toàn", display_name=display, role=role,
        agency_id=agency.id if agency else None,
    )
    token = (await accounts.login(phone, "mật khẩu an toàn", deps)).token
    viewer = Viewer(user_id=user.id, role=role, agency_id=user.agency_id, display_name=display)
    return Person(user.id, token, viewer, user.phone, display)


_codes = itertools.count(1)


async def make_agency(name: str = "Sở Xây dựng", kind: AgencyKind = AgencyKind.GOVERNMENT,
                      level: AgencyLevel = AgencyLevel.PROVINCE) -> Agency:
    return await Agency.create(code=f"AG{next(_codes)}", name=name, kind=kind, level=level)


@dataclass
class World:
    deps: Deps
    admin: Person
    ioc: Person
    citizen: Person
    other_citizen: Person
    staff_a: Person
    staff_b: Person
    agency_a: Agency
    agency_b: Agency
    category: Category

    async def report(
        self, status: Status = Status.PENDING_REVIEW, *, by: Person | None = None,
        description: str = "Rác thải tập kết trái phép ở đầu kiệt 12 đường Lê Lợi",
        title: str | None = None,
        place: tuple[float, float] | None = (16.4637, 107.5909),
        category_id: int | None = None,
    ) -> Report:
        """A report walked through the real lifecycle up to `status`."""
        d, ioc, staff = self.deps, self.ioc.viewer, self.staff_a.viewer
        reporter = by or self.citizen
        r = await submission.submit_report(d, reporter.viewer, submission.NewReport(
            description=description, title=title, category_id=category_id or self.category.id,
            location=(submission.Location(*place, "đường Lê Lợi, phường Vĩnh Ninh")
                      if place else None),
        ))
        if status is Status.PENDING_REVIEW:
            return r
        if status is Status.REJECTED:
            return await review.reject_report(d, ioc, r.id, "Không thuộc phạm vi tiếp nhận.")
        if status is Status.MERGED:
            target = await self.report(Status.ASSIGNED)
            return await review.merge_report(d, ioc, r.id, target.id)
        r = await review.assign_report(d, ioc, r.id, self.agency_a.id)
        if status is Status.ASSIGNED:
            return r
        r = await handling.accept_report(d, staff, r.id)
        if status is Status.IN_PROGRESS:
            return r
        r = await handling.submit_result(d, staff, r.id, "Đã thu gom rác và vệ sinh khu vực.")
        if status is Status.RESULT_SUBMITTED:
            return r
        return await review.publish_result(d, ioc, r.id)


async def make_world(deps: Deps) -> World:
    agency_a = await make_agency("Công ty Cổ phần Môi trường và Công trình đô thị Huế",
                                 AgencyKind.BUSINESS)
    agency_b = await make_agency("UBND phường Vĩnh Ninh", level=AgencyLevel.COMMUNE)
    category = await Category.create(code=f"C{next(_codes)}", name="Vệ sinh môi trường")
    return World(
        deps=deps,
        admin=await make_person(deps, Role.ADMIN),
        ioc=await make_person(deps, Role.IOC_OPERATOR),
        citizen=await make_person(deps, Role.CITIZEN, name="Nguyễn Thị Bí Mật"),
        other_citizen=await make_person(deps, Role.CITIZEN),
        staff_a=await make_person(deps, Role.AGENCY_STAFF, agency_a),
        staff_b=await make_person(deps, Role.AGENCY_STAFF, agency_b),
        agency_a=agency_a,
        agency_b=agency_b,
        category=category,
    )


def gid(type_name: str, pk: int) -> str:
    return str(to_global_id(type_name, pk))


"""`python server.py seed-demo`: a realistic, reproducible Huế data set, built through the same
use cases as the API (so every report's timeline matches its status)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.actions import accounts, handling, participation, review, submission
from models.deps import Deps
from models.enums import Channel, Role, Satisfaction, Status
from models.orm.accounts import User
from models.orm.directory import Agency, Category
from models.orm.reports import Report
from models.rules import calendar
from models.rules.policy import Viewer
from web.demo.data import (
    AGENCIES,
    DEMO_ACCOUNTS,
    GIVEN,
    MIDDLE,
    RESULTS,
    STREETS,
    SURNAMES,
    TEMPLATES,
    WARDS,
)
from web.settings import Settings

HUE_CENTER = (16.4637, 107.5909)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def _viewer(user: User) -> Viewer:
    return Viewer(user_id=user.id, role=user.role, agency_id=user.agency_id,
                  display_name=user.display_name)


async def _directory() -> tuple[dict[str, Agency], dict[str, Category]]:
    agencies: dict[str, Agency] = {}
    for code, name, kind, level, parent in AGENCIES:
        parent_id = agencies[parent].id if parent else None
        agencies[code] = await Agency.create(
            code=code, name=name, kind=kind, level=level, parent_id=parent_id
        )
    # The standard categories come with the migrations (0002).
    categories = {c.code: c for c in await Category.all()}
    return agencies, categories


async def _accounts(agencies: dict[str, Agency], rng: random.Random) -> dict[str, User]:
    users: dict[str, User] = {}
    for phone, password, name, role, agency in DEMO_ACCOUNTS:
        users[phone] = await accounts.create_user(
            phone=phone, password=password, display_name=name, role=role,
            agency_id=agencies[agency].id if agency else None,
        )
    # One staff account for every other agency, so any agency can act on its reports.
    for i, code in enumerate(sorted(agencies)):
        if not any(a == code for *_, a in DEMO_ACCOUNTS):
            users[f"staff:{code}"] = await accounts.create_user(
                phone=f"0911{i:06d}", password=f"staff-{code.lower()}-2026",
                display_name=f"Cán bộ {agencies[code].name}", role=Role.AGENCY_STAFF,
                agency_id=agencies[code].id,
            )
    for i in range(40):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        users[f"citizen:{i}"] = await accounts.create_user(
            phone=f"0935{i:06d}", password=f"citizen-{i}-secret", display_name=name,
            role=Role.CITIZEN,
        )
    return users


def _pick_fate(rng: random.Random, age_days: float) -> Status:
    if age_days < 2:
        return rng.choice([Status.PENDING_REVIEW, Status.PENDING_REVIEW, Status.ASSIGNED])
    roll = rng.random()
    if roll < 0.05:
        return Status.REJECTED
    if roll < 0.09:
        return Status.MERGED
    if age_days > 25:
        return Status.RESOLVED
    return rng.choice([Status.PENDING_REVIEW, Status.ASSIGNED, Status.IN_PROGRESS,
                       Status.IN_PROGRESS, Status.RESULT_SUBMITTED, Status.RESOLVED,
                       Status.RESOLVED])


# Roughly the shares Huế publishes: 57% satisfied, 19% acceptable, 25% unsatisfied.
SATISFACTION = [Satisfaction.SATISFIED] * 57 + [Satisfaction.ACCEPTABLE] * 19 + [
    Satisfaction.UNSATISFIED] * 25
COMMENTS = ["Khu vực nhà tôi cũng bị tình trạng này.", "Mong cơ quan chức năng sớm xử lý.",
            "Cảm ơn đơn vị đã xử lý nhanh.", "Tình trạng này kéo dài nhiều ngày rồi.",
            "Đề nghị kiểm tra thêm khu vực lân cận."]
REPLIES = ["Đơn vị đã tiếp nhận và đang bố trí lực lượng xử lý.",
           "Cảm ơn bạn đã phản ánh, đơn vị sẽ kiểm tra hiện trường trong hôm nay."]


async def _feedback(
    deps: Deps, rng: random.Random, report: Report, reporter: Viewer | None, ioc: Viewer,
    advance: Callable[[float], object],
) -> None:
    """The reporter rates most results; a few unhappy ones contest, and some are reopened."""
    if reporter is None or rng.random() > 0.75:
        return
    advance(rng.uniform(1, 48))
    satisfaction = rng.choice(SATISFACTION)
    await participation.rate_report(deps, reporter, report.id, satisfaction, None)
    if satisfaction is Satisfaction.UNSATISFIED and rng.random() < 0.3:
        advance(rng.uniform(1, 24))
        await participation.contest_result(deps, reporter, report.id,
                                      "Kết quả chưa đúng thực tế, đề nghị kiểm tra lại.")
        roll = rng.random()
        advance(rng.uniform(2, 48))
        if roll < 0.4:
            await review.reopen_report(deps, ioc, report.id,
                                         "Kiểm tra lại: người dân phản ánh chưa xử lý xong.")
        elif roll < 0.7:
            await review.dismiss_contest(deps, ioc, report.id,
                                           "Đã đối chiếu hình ảnh, kết quả xử lý đạt yêu cầu.")


async def _comments_and_support(
    deps: Deps, rng: random.Random, clock: Clock, now: datetime, public: list[Report],
    citizens: list[User], staff_of: dict[int | None, User],
) -> None:
    """Comments in one increasing sequence of times (so nobody trips the 60 s rule), replies
    from the agency, and "me too" support from other citizens."""
    when = min(r.submitted_at for r in public) if public else now
    for report in public:
        if rng.random() > 0.3:
            continue
        fresh = await Report.get(id=report.id)
        for _ in range(rng.randint(1, 3)):
            when = max(when + timedelta(seconds=61), fresh.submitted_at + timedelta(days=1))
            if when >= now:
                return
            clock.now = when
            author = rng.choice([c for c in citizens if c.id != fresh.reporter_id])
            comment = await participation.add_comment(deps, _viewer(author), fresh.id,
                                                      rng.choice(COMMENTS))
            if fresh.agency_id in staff_of and rng.random() < 0.5:
                when += timedelta(seconds=61)
                clock.now = when
                await participation.add_comment(deps, _viewer(staff_of[fresh.agency_id]),
                                                fresh.id, rng.choice(REPLIES), comment.id)
    clock.now = now - timedelta(minutes=1)
    for report in public:
        for supporter in rng.sample(citizens, rng.choice([0, 0, 1, 2, 3, 5])):
            if supporter.id != report.reporter_id:
                await participation.support_report(deps, _viewer(supporter), report.id)


async def seed(settings: Settings, reports: int = 200, now: datetime | None = None) -> str:
    if await Agency.exists():
        return "demo data already present; nothing done"
    accounts.use_cheap_password_hashing()  # demo accounts only: seeding stays fast
    rng = random.Random(2026)
    now = now or datetime.now(UTC)
    clock = Clock(now)
    deps = Deps(
        calendar=calendar.vietnam(settings.extra_days_off, settings.extra_working_days),
        clock=clock, secret_key=settings.secret_key,
    )
    agencies, categories = await _directory()
    users = await _accounts(agencies, rng)
    ioc = _viewer(users["0900000002"])
    citizens = [u for k, u in users.items() if k.startswith("citizen:") or k == "0900000010"]
    staff_of = {u.agency_id: u for u in users.values() if u.role is Role.AGENCY_STAFF}

    # Two thirds spread over five months (mostly resolved), a third from the last three weeks.
    starts = sorted(
        now - timedelta(days=rng.uniform(0.2, 20) if i % 3 == 0 else rng.uniform(20, 150))
        for i in range(reports)
    )
    public: list[Report] = []
    for start in starts:
        clock.now = start
        cat_code = rng.choice(list(TEMPLATES))
        agency_codes, templates = TEMPLATES[cat_code]
        title, text = rng.choice(templates)
        street = rng.choice(STREETS)
        reporter = rng.choice(citizens)
        lat = HUE_CENTER[0] + rng.uniform(-0.04, 0.04)
        lon = HUE_CENTER[1] + rng.uniform(-0.05, 0.05)
        by_phone = rng.random() < 0.1
        author = ioc if by_phone else _viewer(reporter)
        report = await submission.submit_report(deps, author, submission.NewReport(
            title=title,
            description=text.format(n=rng.randint(1, 250), street=street),
            category_id=categories[cat_code].id if rng.random() < 0.9 else None,
            location=submission.Location(lat, lon, f"đường {street}, phường {rng.choice(WARDS)}"),
            channel=Channel.HOTLINE if by_phone else rng.choice([Channel.APP, Channel.WEB]),
            contact=submission.Contact(reporter.display_name, reporter.phone) if by_phone else None,
        ))
        fate = _pick_fate(rng, (now - start).total_seconds() / 86400)

        def advance(hours: float) -> bool:
            clock.now = min(clock.now + timedelta(hours=hours), now - timedelta(minutes=1))
            return True

        if fate is Status.PENDING_REVIEW:
            continue
        advance(rng.uniform(0.5, 20))
        if fate is Status.REJECTED:
            await review.reject_report(deps, ioc, report.id,
                                         "Nội dung phản ánh không thuộc phạm vi tiếp nhận.")
            continue
        if fate is Status.MERGED and public:
            await review.merge_report(deps, ioc, report.id, rng.choice(public[-20:]).id)
            continue
        agency = agencies[rng.choice(agency_codes)]
        await review.assign_report(deps, ioc, report.id, agency.id,
                                     category_id=categories[cat_code].id)
        public.append(report)
        staff = _viewer(staff_of[agency.id])
        if fate is Status.ASSIGNED:
            continue
        advance(rng.uniform(1, 30))
        await handling.accept_report(deps, staff, report.id)
        if rng.random() < 0.12:
            advance(rng.uniform(24, 72))
            due = calendar.local_date(report.due_at)
            _, req = await handling.request_extension(
                deps, staff, report.id, due + timedelta(days=7),
                "Cần thêm thời gian phối hợp với các đơn vị liên quan.",
            )
            advance(rng.uniform(2, 24))
            await review.decide_extension(deps, ioc, req.id, True, "Đồng ý gia hạn.")
        if fate is Status.IN_PROGRESS:
            continue
        advance(rng.uniform(24, 24 * 14))
        await handling.submit_result(deps, staff, report.id, rng.choice(RESULTS))
        if fate is Status.RESULT_SUBMITTED:
            continue
        advance(rng.uniform(1, 30))
        await review.publish_result(deps, ioc, report.id)
        await _feedback(deps, rng, report, _viewer(reporter) if not by_phone else None, ioc,
                        advance)

    await _comments_and_support(deps, rng, clock, now, public, citizens, staff_of)

    counts = {s.value: await Report.filter(status=s).count() for s in Status}
    summary = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    return (f"seeded {len(agencies)} agencies, {len(categories)} categories, {len(users)} "
            f"accounts, {reports} reports ({summary})")

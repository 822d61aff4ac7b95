"""A reproducible synthetic city for the benchmarks, written straight into PostgreSQL with COPY.

Shaped like the real service: 227 agencies, 50,000 citizens, reports over the last two years with
about 97% processed, half of them on time and half late after an extension, satisfaction about
57% / 19% / 25%, a timeline for each report, comments and "me too" support. The same `seed` and
`scale` always give the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from models.rules import geo
from models.rules.calendar import due_at, vietnam
from models.rules.text import search_text

BENCH_PASSWORD = "bench-password-2026"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

WARDS = [
    "Vĩnh Ninh",
    "Phú Hội",
    "Phú Nhuận",
    "Thuận Hòa",
    "Đông Ba",
    "Tây Lộc",
    "Kim Long",
    "Hương Sơ",
    "An Cựu",
    "Xuân Phú",
    "Thủy Xuân",
    "Trường An",
    "Phước Vĩnh",
    "Vỹ Dạ",
    "Thuận Lộc",
    "Hương Long",
    "An Đông",
    "An Tây",
    "Phú Thượng",
    "Thủy Vân",
]
DEPARTMENTS = [
    "Sở Xây dựng",
    "Sở Giao thông vận tải",
    "Sở Tài nguyên và Môi trường",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Công Thương",
    "Sở Văn hóa và Thể thao",
    "Sở Du lịch",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Công an tỉnh",
    "Sở Lao động - Thương binh và Xã hội",
]
COMPANIES = [
    "Công ty Cổ phần Môi trường và Công trình đô thị Huế",
    "Công ty Điện lực Thừa Thiên Huế",
    "Công ty Cổ phần Cấp nước Thừa Thiên Huế",
    "Viễn thông Thừa Thiên Huế",
]
STREETS = [
    "đường Lê Lợi",
    "đường Hùng Vương",
    "đường Trần Hưng Đạo",
    "đường Nguyễn Huệ",
    "đường Điện Biên Phủ",
    "đường Bà Triệu",
    "đường Phan Đình Phùng",
    "kiệt 12 Đặng Huy Trứ",
    "đường Lý Thường Kiệt",
    "đường Nguyễn Trãi",
]
PROBLEMS = [
    "Rác thải tập kết trái phép",
    "Đèn đường không sáng",
    "Ổ gà lớn giữa đường",
    "Nước thải chảy tràn ra đường",
    "Lấn chiếm vỉa hè buôn bán",
    "Cây xanh có nguy cơ gãy đổ",
    "Xây dựng không phép",
    "Mất nước sinh hoạt nhiều ngày",
    "Tiếng ồn karaoke về đêm",
    "Biển báo giao thông bị che khuất",
]


@dataclass(frozen=True)
class City:
    reports: int
    agencies: int
    citizens: int
    staff_phone: str  # staff of the busiest agency, for signed-in benchmarks
    ioc_phone: str
    citizen_phone: str
    busiest_agency_id: int


GEO_COLUMNS = ("geo_cell", "ux", "uy", "uz")


def phone(n: int) -> str:
    return f"+8497{n:07d}"


async def build(
    conn: asyncpg.Connection,
    *,
    reports: int = 100_000,
    citizens: int = 50_000,
    agencies: int = 227,
    seed: int = 1,
) -> City:
    """Fill an empty, migrated database."""
    from argon2 import PasswordHasher, profiles

    rng = random.Random(seed)
    calendar = vietnam()
    # Bench accounts only: argon2 at its cheapest, as the demo data does.
    password = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(BENCH_PASSWORD)
    categories = [r["id"] for r in await conn.fetch("SELECT id FROM category ORDER BY id")]
    created = NOW - timedelta(days=800)

    agency_rows = []
    for i in range(agencies):
        if i < len(DEPARTMENTS):
            name, kind, level = DEPARTMENTS[i], "GOVERNMENT", "PROVINCE"
        elif i < len(DEPARTMENTS) + len(COMPANIES):
            name, kind, level = COMPANIES[i - len(DEPARTMENTS)], "BUSINESS", "PROVINCE"
        else:
            ward = WARDS[i % len(WARDS)]
            name, kind, level = f"UBND phường {ward} ({i})", "GOVERNMENT", "COMMUNE"
        agency_rows.append((i + 1, f"B{i + 1:03d}", name, kind, level, created, None))
    await conn.copy_records_to_table(
        "agency",
        records=agency_rows,
        columns=["id", "code", "name", "kind", "level", "created_at", "parent_id"],
    )

    users: list[tuple[Any, ...]] = [
        (1, "+84900000001", password, "Quản trị", "ADMIN", True, created, None, None),
        (2, "+84900000002", password, "Trung tâm IOC", "IOC_OPERATOR", True, created, None, None),
    ]
    for a in range(agencies):
        users.append(
            (
                3 + a,
                f"+84910{a:06d}",
                password,
                f"Cán bộ {a + 1}",
                "AGENCY_STAFF",
                True,
                created,
                None,
                a + 1,
            )
        )
    first_citizen = 3 + agencies
    for c in range(citizens):
        users.append(
            (
                first_citizen + c,
                phone(c),
                password,
                f"Người dân {c + 1}",
                "CITIZEN",
                True,
                created,
                None,
                None,
            )
        )
    await conn.copy_records_to_table(
        "user_account",
        records=users,
        columns=[
            "id",
            "phone",
            "password_hash",
            "display_name",
            "role",
            "is_active",
            "created_at",
            "last_comment_at",
            "agency_id",
        ],
    )

    # Busy agencies get most of the work, as in life (a few departments and companies).
    weights = [40 if i < 16 else 1 for i in range(agencies)]
    report_rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    ratings: list[tuple[Any, ...]] = []
    supports: list[tuple[Any, ...]] = []
    due_cache: dict[Any, datetime] = {}
    span = 730 * 86400
    starts = sorted(NOW - timedelta(seconds=rng.randrange(span)) for _ in range(reports))
    event_id = comment_id = 0

    def event(
        report: int,
        at: datetime,
        kind: str,
        before: str | None,
        after: str | None,
        role: str | None,
        actor: int | None,
        agency: int | None,
    ) -> None:
        nonlocal event_id
        event_id += 1
        events.append((event_id, at, kind, before, after, None, role, actor, agency, None, report))

    for rid, submitted in enumerate(starts, start=1):
        reporter = first_citizen + rng.randrange(citizens)
        agency = rng.choices(range(1, agencies + 1), weights)[0]
        staff = 2 + agency
        category = rng.choice(categories)
        title = f"{rng.choice(PROBLEMS)} trên {rng.choice(STREETS)}"
        description = f"{title}, phường {rng.choice(WARDS)}. Đề nghị xử lý sớm."
        address = f"{rng.choice(STREETS)}, phường {rng.choice(WARDS)}, Huế"
        day = submitted.date()
        if day not in due_cache:
            due_cache[day] = due_at(submitted, calendar)
        due = due_cache[day]
        age = (NOW - submitted).days
        roll = rng.random()
        status = (
            "RESOLVED"
            if age > 10 or roll < 0.5
            else rng.choice(["PENDING_REVIEW", "ASSIGNED", "IN_PROGRESS", "RESULT_SUBMITTED"])
        )
        if status == "RESOLVED" and rng.random() < 0.03:
            status = "REJECTED"
        on_time = extended = None
        resolved_at = result_at = satisfaction = working_days = None
        result_text = None
        t = submitted
        event(rid, t, "SUBMITTED", None, "PENDING_REVIEW", "CITIZEN", reporter, None)
        if status == "REJECTED":
            t += timedelta(hours=3)
            event(rid, t, "REJECTED", "PENDING_REVIEW", "REJECTED", "IOC_OPERATOR", 2, None)
            resolved_at = t
        elif status != "PENDING_REVIEW":
            t += timedelta(hours=2)
            event(rid, t, "ASSIGNED", "PENDING_REVIEW", "ASSIGNED", "IOC_OPERATOR", 2, agency)
            if status != "ASSIGNED":
                t += timedelta(hours=5)
                event(rid, t, "ACCEPTED", "ASSIGNED", "IN_PROGRESS", "AGENCY_STAFF", staff, agency)
            if status in ("RESULT_SUBMITTED", "RESOLVED"):
                late = status == "RESOLVED" and rng.random() < 0.5
                extended = late
                if late:
                    event(
                        rid,
                        t + timedelta(days=2),
                        "EXTENSION_DECIDED",
                        None,
                        None,
                        "IOC_OPERATOR",
                        2,
                        agency,
                    )
                t = (
                    (due + timedelta(days=rng.randint(1, 6)))
                    if late
                    else (submitted + (due - submitted) * rng.uniform(0.2, 0.95))
                )
                result_text = "Đã xử lý xong, khu vực đã được vệ sinh."
                result_at = t
                event(
                    rid,
                    t,
                    "RESULT_SUBMITTED",
                    "IN_PROGRESS",
                    "RESULT_SUBMITTED",
                    "AGENCY_STAFF",
                    staff,
                    agency,
                )
            if status == "RESOLVED":
                t += timedelta(hours=4)
                resolved_at = t
                on_time = not extended
                working_days = rng.randint(2, 7) if on_time else rng.randint(8, 14)
                event(
                    rid, t, "PUBLISHED", "RESULT_SUBMITTED", "RESOLVED", "IOC_OPERATOR", 2, agency
                )
                if rng.random() < 0.6:
                    satisfaction = rng.choices(
                        ["SATISFIED", "ACCEPTABLE", "UNSATISFIED"], [57, 19, 25]
                    )[0]
                    ratings.append(
                        (len(ratings) + 1, 0, satisfaction, None, t + timedelta(hours=6), rid)
                    )
                    event(
                        rid, t + timedelta(hours=6), "RATED", None, None, "CITIZEN", reporter, None
                    )
        public = status not in ("PENDING_REVIEW", "REJECTED")
        n_comments = rng.choice([0, 0, 0, 1, 2]) if public else 0
        for _ in range(n_comments):
            comment_id += 1
            author = first_citizen + rng.randrange(citizens)
            at = submitted + timedelta(hours=rng.randint(3, 48))
            comments.append(
                (
                    comment_id,
                    "CITIZEN",
                    "Tôi cũng gặp tình trạng này.",
                    at,
                    False,
                    None,
                    None,
                    author,
                    None,
                    None,
                    rid,
                )
            )
            events.append(
                (
                    event_id + 1,
                    at,
                    "COMMENTED",
                    None,
                    None,
                    None,
                    "CITIZEN",
                    author,
                    None,
                    comment_id,
                    rid,
                )
            )
            event_id += 1
        n_support = rng.choice([0, 0, 1, 3]) if public else 0
        for s in range(n_support):
            supports.append(
                (
                    len(supports) + 1,
                    submitted + timedelta(hours=5),
                    rid,
                    first_citizen + (reporter + s + 1) % citizens,
                )
            )
        lat = 16.40 + rng.random() * 0.12
        lon = 107.53 + rng.random() * 0.12
        place = geo.located(lat, lon)
        report_rows.append(
            (
                rid,
                title,
                description,
                description,
                search_text(title, description, address),
                "APP",
                None,
                None,
                lat,
                lon,
                *(place[c] for c in GEO_COLUMNS),
                address,
                status,
                submitted,
                due,
                bool(extended),
                resolved_at,
                on_time,
                result_text,
                result_at,
                False,
                0,
                working_days,
                satisfaction,
                n_support,
                n_comments,
                None,
                None,
                None,
                1,
                t,
                agency if status not in ("PENDING_REVIEW", "REJECTED") else None,
                category,
                None,
                reporter,
            )
        )
    await conn.copy_records_to_table(
        "report",
        records=report_rows,
        columns=[
            "id",
            "title",
            "description",
            "original_description",
            "search_text",
            "channel",
            "contact_name",
            "contact_phone",
            "latitude",
            "longitude",
            *GEO_COLUMNS,
            "address",
            "status",
            "submitted_at",
            "due_at",
            "extended",
            "resolved_at",
            "on_time",
            "result_text",
            "result_submitted_at",
            "contested",
            "reopen_count",
            "working_days",
            "satisfaction",
            "support_count",
            "comment_count",
            "near_reminded_cycle",
            "overdue_reminded_cycle",
            "idempotency_key",
            "version",
            "updated_at",
            "agency_id",
            "category_id",
            "duplicate_of_id",
            "reporter_id",
        ],
    )
    await conn.copy_records_to_table(
        "comment",
        records=comments,
        columns=[
            "id",
            "author_role",
            "body",
            "created_at",
            "hidden",
            "hidden_reason",
            "hidden_at",
            "author_id",
            "author_agency_id",
            "parent_id",
            "report_id",
        ],
    )
    events.sort(key=lambda e: (e[1], e[0]))  # seq follows time, as it does when live
    events = [(i, *e[1:]) for i, e in enumerate(events, start=1)]
    await conn.copy_records_to_table(
        "report_event",
        records=events,
        columns=[
            "id",
            "at",
            "kind",
            "from_status",
            "to_status",
            "note",
            "actor_role",
            "actor_id",
            "agency_id",
            "comment_id",
            "report_id",
        ],
    )
    await conn.copy_records_to_table(
        "rating",
        records=ratings,
        columns=["id", "cycle", "satisfaction", "note", "rated_at", "report_id"],
    )
    await conn.copy_records_to_table(
        "support", records=supports, columns=["id", "created_at", "report_id", "user_id"]
    )
    for table in (
        "agency",
        "user_account",
        "report",
        "report_event",
        "comment",
        "rating",
        "support",
    ):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    await conn.execute("ANALYZE")
    busiest = await conn.fetchval(
        "SELECT agency_id FROM report WHERE agency_id IS NOT NULL GROUP BY agency_id "
        "ORDER BY count(*) DESC LIMIT 1"
    )
    return City(
        reports=reports,
        agencies=agencies,
        citizens=citizens,
        staff_phone=f"+84910{busiest - 1:06d}",
        ioc_phone="+84900000002",
        citizen_phone=phone(0),
        busiest_agency_id=busiest,
    )

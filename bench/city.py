"""A reproducible synthetic city for the benchmarks, written straight into PostgreSQL with COPY.

Shaped like the real service: 227 agencies, 50,000 citizens, reports over the last two years with
about 97% processed, half of them on time and half late after an extension, satisfaction about
57% / 19% / 25%, a timeline for each report, comments and "me too" support. The same `seed` and
`scale` always give the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
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
DEPARTMENTS = [  # a city's departments as merged in 2025, and its police
    "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Công Thương",
    "Sở Nội vụ",
    "Sở Tài chính",
    "Sở Khoa học và Công nghệ",
    "Sở Tư pháp",
    "Công an thành phố",
    "Thanh tra thành phố",
]
COMPANIES = [
    "Công ty Cổ phần Môi trường và Công trình đô thị Huế",
    "Công ty Điện lực Huế",
    "Công ty Cổ phần Cấp nước Huế",
    "VNPT Huế",
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
IOC = 2  # the IOC operator's user id
COLUMNS = {
    "agency": ["id", "code", "name", "kind", "level", "created_at", "parent_id"],
    "user_account": ["id", "phone", "password_hash", "display_name", "role", "is_active",
                     "created_at", "last_comment_at", "agency_id"],
    "report": ["id", "title", "description", "original_description", "search_text", "channel",
               "contact_name", "contact_phone", "latitude", "longitude", *GEO_COLUMNS, "address",
               "status", "submitted_at", "due_at", "extended", "resolved_at", "on_time",
               "result_text", "result_submitted_at", "contested", "reopen_count", "working_days",
               "satisfaction", "support_count", "comment_count", "near_reminded_cycle",
               "overdue_reminded_cycle", "idempotency_key", "version", "updated_at", "agency_id",
               "category_id", "duplicate_of_id", "reporter_id"],
    "comment": ["id", "author_role", "body", "created_at", "hidden", "hidden_reason",
                "hidden_at", "author_id", "author_agency_id", "parent_id", "report_id"],
    "report_event": ["id", "at", "kind", "from_status", "to_status", "note", "actor_role",
                     "actor_id", "agency_id", "comment_id", "report_id"],
    "rating": ["id", "cycle", "satisfaction", "note", "rated_at", "report_id"],
    "support": ["id", "created_at", "report_id", "user_id"],
}


def phone(n: int) -> str:
    return f"+8497{n:07d}"


def agency_rows(agencies: int, created: datetime) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(agencies):
        if i < len(DEPARTMENTS):
            name, kind, level = DEPARTMENTS[i], "GOVERNMENT", "PROVINCE"
        elif i < len(DEPARTMENTS) + len(COMPANIES):
            name, kind, level = COMPANIES[i - len(DEPARTMENTS)], "BUSINESS", "PROVINCE"
        else:
            ward = WARDS[i % len(WARDS)]
            name, kind, level = f"UBND phường {ward} ({i})", "GOVERNMENT", "COMMUNE"
        rows.append((i + 1, f"B{i + 1:03d}", name, kind, level, created, None))
    return rows


def user_rows(agencies: int, citizens: int, password: str,
              created: datetime) -> list[tuple[Any, ...]]:
    """Admin 1, IOC 2, one staff account per agency, then the citizens."""
    users: list[tuple[Any, ...]] = [
        (1, "+84900000001", password, "Quản trị", "ADMIN", True, created, None, None),
        (IOC, "+84900000002", password, "Trung tâm IOC", "IOC_OPERATOR", True, created, None,
         None),
    ]
    for a in range(agencies):
        users.append((3 + a, f"+84910{a:06d}", password, f"Cán bộ {a + 1}", "AGENCY_STAFF",
                      True, created, None, a + 1))
    for c in range(citizens):
        users.append((3 + agencies + c, phone(c), password, f"Người dân {c + 1}", "CITIZEN",
                      True, created, None, None))
    return users


@dataclass
class Rows:
    """Everything written besides agencies and accounts, collected before one COPY per table."""

    reports: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    comments: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)
    supports: list[tuple[Any, ...]] = field(default_factory=list)

    def event(self, report: int, at: datetime, kind: str, before: str | None, after: str | None,
              role: str | None, actor: int | None, agency: int | None,
              comment: int | None = None) -> None:
        self.events.append((len(self.events) + 1, at, kind, before, after, None, role, actor,
                            agency, comment, report))


@dataclass
class Life:
    """How one report's life went: its status now and what was frozen on the way."""

    status: str
    t: datetime  # the time of its last step
    extended: bool | None = None
    on_time: bool | None = None
    resolved_at: datetime | None = None
    result_at: datetime | None = None
    result_text: str | None = None
    satisfaction: str | None = None
    working_days: int | None = None


def live(rows: Rows, rng: random.Random, rid: int, submitted: datetime, due: datetime,
         reporter: int, agency: int) -> Life:
    """Walk one report through the lifecycle, writing its timeline (and rating)."""
    staff = 2 + agency
    age = (NOW - submitted).days
    roll = rng.random()
    status = (
        "RESOLVED"
        if age > 10 or roll < 0.5
        else rng.choice(["PENDING_REVIEW", "ASSIGNED", "IN_PROGRESS", "RESULT_SUBMITTED"])
    )
    if status == "RESOLVED" and rng.random() < 0.03:
        status = "REJECTED"
    life = Life(status, submitted)
    rows.event(rid, life.t, "SUBMITTED", None, "PENDING_REVIEW", "CITIZEN", reporter, None)
    if status == "REJECTED":
        life.t += timedelta(hours=3)
        rows.event(rid, life.t, "REJECTED", "PENDING_REVIEW", "REJECTED", "IOC_OPERATOR", IOC,
                   None)
        life.resolved_at = life.t
        return life
    if status == "PENDING_REVIEW":
        return life
    life.t += timedelta(hours=2)
    rows.event(rid, life.t, "ASSIGNED", "PENDING_REVIEW", "ASSIGNED", "IOC_OPERATOR", IOC, agency)
    if status != "ASSIGNED":
        life.t += timedelta(hours=5)
        rows.event(rid, life.t, "ACCEPTED", "ASSIGNED", "IN_PROGRESS", "AGENCY_STAFF", staff,
                   agency)
    if status in ("RESULT_SUBMITTED", "RESOLVED"):
        late = status == "RESOLVED" and rng.random() < 0.5
        life.extended = late
        if late:
            rows.event(rid, life.t + timedelta(days=2), "EXTENSION_DECIDED", None, None,
                       "IOC_OPERATOR", IOC, agency)
        life.t = ((due + timedelta(days=rng.randint(1, 6))) if late
                  else (submitted + (due - submitted) * rng.uniform(0.2, 0.95)))
        life.result_text = "Đã xử lý xong, khu vực đã được vệ sinh."
        life.result_at = life.t
        rows.event(rid, life.t, "RESULT_SUBMITTED", "IN_PROGRESS", "RESULT_SUBMITTED",
                   "AGENCY_STAFF", staff, agency)
    if status == "RESOLVED":
        publish(rows, rng, rid, life, reporter, agency)
    return life


def publish(rows: Rows, rng: random.Random, rid: int, life: Life, reporter: int,
            agency: int) -> None:
    life.t += timedelta(hours=4)
    life.resolved_at = life.t
    life.on_time = not life.extended
    life.working_days = rng.randint(2, 7) if life.on_time else rng.randint(8, 14)
    rows.event(rid, life.t, "PUBLISHED", "RESULT_SUBMITTED", "RESOLVED", "IOC_OPERATOR", IOC,
               agency)
    if rng.random() < 0.6:
        life.satisfaction = rng.choices(["SATISFIED", "ACCEPTABLE", "UNSATISFIED"],
                                        [57, 19, 25])[0]
        rated = life.t + timedelta(hours=6)
        rows.ratings.append((len(rows.ratings) + 1, 0, life.satisfaction, None, rated, rid))
        rows.event(rid, rated, "RATED", None, None, "CITIZEN", reporter, None)


def participate(rows: Rows, rng: random.Random, rid: int, submitted: datetime, reporter: int,
                first_citizen: int, citizens: int) -> tuple[int, int]:
    """Comments and "me too" support on a public report: how many of each."""
    n_comments = rng.choice([0, 0, 0, 1, 2])
    for _ in range(n_comments):
        comment = len(rows.comments) + 1
        author = first_citizen + rng.randrange(citizens)
        at = submitted + timedelta(hours=rng.randint(3, 48))
        rows.comments.append((comment, "CITIZEN", "Tôi cũng gặp tình trạng này.", at, False,
                              None, None, author, None, None, rid))
        rows.event(rid, at, "COMMENTED", None, None, "CITIZEN", author, None, comment)
    n_support = rng.choice([0, 0, 1, 3])
    for s in range(n_support):
        rows.supports.append((len(rows.supports) + 1, submitted + timedelta(hours=5), rid,
                              first_citizen + (reporter + s + 1) % citizens))
    return n_comments, n_support


async def copy(conn: asyncpg.Connection, table: str, records: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(table, records=records, columns=COLUMNS[table])


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
    await copy(conn, "agency", agency_rows(agencies, created))
    await copy(conn, "user_account", user_rows(agencies, citizens, password, created))

    # Busy agencies get most of the work, as in life (a few departments and companies).
    weights = [40 if i < 16 else 1 for i in range(agencies)]
    first_citizen = 3 + agencies
    rows = Rows()
    due_cache: dict[Any, datetime] = {}
    starts = sorted(NOW - timedelta(seconds=rng.randrange(730 * 86400)) for _ in range(reports))
    for rid, submitted in enumerate(starts, start=1):
        reporter = first_citizen + rng.randrange(citizens)
        agency = rng.choices(range(1, agencies + 1), weights)[0]
        category = rng.choice(categories)
        title = f"{rng.choice(PROBLEMS)} trên {rng.choice(STREETS)}"
        description = f"{title}, phường {rng.choice(WARDS)}. Đề nghị xử lý sớm."
        address = f"{rng.choice(STREETS)}, phường {rng.choice(WARDS)}, Huế"
        if submitted.date() not in due_cache:
            due_cache[submitted.date()] = due_at(submitted, calendar)
        due = due_cache[submitted.date()]
        life = live(rows, rng, rid, submitted, due, reporter, agency)
        public = life.status not in ("PENDING_REVIEW", "REJECTED")
        n_comments = n_support = 0
        if public:
            n_comments, n_support = participate(rows, rng, rid, submitted, reporter,
                                                first_citizen, citizens)
        lat = 16.40 + rng.random() * 0.12
        lon = 107.53 + rng.random() * 0.12
        place = geo.located(lat, lon)
        rows.reports.append((
            rid, title, description, description, search_text(title, description, address),
            "APP", None, None, lat, lon, *(place[c] for c in GEO_COLUMNS), address, life.status,
            submitted, due, bool(life.extended), life.resolved_at, life.on_time,
            life.result_text, life.result_at, False, 0, life.working_days, life.satisfaction,
            n_support, n_comments, None, None, None, 1, life.t, agency if public else None,
            category, None, reporter,
        ))
    await copy(conn, "report", rows.reports)
    await copy(conn, "comment", rows.comments)
    # seq follows time, as it does when live
    events = sorted(rows.events, key=lambda e: (e[1], e[0]))
    await copy(conn, "report_event", [(i, *e[1:]) for i, e in enumerate(events, start=1)])
    await copy(conn, "rating", rows.ratings)
    await copy(conn, "support", rows.supports)
    for table in COLUMNS:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    # The history is imported, not lived: the outboxes (webhooks, notifications) start after
    # it, as they do on a database built another way (models/actions/outbox.py). Left at 0,
    # every server walked the whole history during the benchmarks (650,000 events at 100,000
    # reports: about a tenth of a server's samples in py-spy during the uncached wall).
    await conn.execute(
        "UPDATE outbox_cursor SET last_event_id = (SELECT coalesce(max(id), 0) FROM report_event)")
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

"""A page of reports written as JSON by PostgreSQL itself, in one statement (the PostGraphile
way): the ordinary way reads four statements' rows into instances and builds every field in
Python, about 100 µs of a server's time per report.

The statement wraps the page's own query (`pagination.page_query`: the same scope, filter,
order and cursor as `paginate`), so which reports a page holds is decided once, by the same
code; this module only writes their fields. What JSON to ask for, and for whom, is decided in
schema/projected_lists.py; tests/api/test_projected_lists.py holds both against the ordinary
execution."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from models.enums import Status
from models.orm.reports import Report
from models.queries.pagination import PageArgs, SortKey, ordering, page_query
from models.rules.calendar import TZ
from models.rules.lifecycle import OPEN_STATUSES
from models.rules.policy import ReportFacts

MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
BASE_URL = "(:base_url:)"  # where the request's base URL goes (a parameter, never inlined)
NOW = "(:now:)"  # and the request's clock
# rfc3339 writes Huế's offset, +07:00 for every instant since 1975 (none is older here).
_OFFSET = datetime(2026, 1, 1, tzinfo=TZ).isoformat()[-6:]


def literal(text: str) -> str:
    """A string literal; the texts are the code's own (enum values, names), never input."""
    return "'" + text.replace("'", "''") + "'"


def instant(expr: str) -> str:
    """As `calendar.rfc3339` writes it: local time to the second, with the offset."""
    return (f"(to_char({expr} AT TIME ZONE {literal(TZ.key)}, "
            f"'YYYY-MM-DD\"T\"HH24:MI:SS') || {literal(_OFFSET)})")


def enum(expr: str, names: Mapping[str, str]) -> str:
    """A stored enum value as the API's name for it (an unknown value: null); most are
    stored under their names, and a CASE of twenty texts costs per row."""
    if all(value == name for value, name in names.items()):
        return expr
    cases = " ".join(f"WHEN {literal(value)} THEN {literal(name)}"
                     for value, name in names.items())
    return f"(CASE {expr} {cases} END)"


def global_id(type_name: str, expr: str) -> str:
    """As `relay.to_global_id`: URL-safe base64 of "Type:id" (PostgreSQL breaks long base64
    into lines: the line breaks are dropped)."""
    return (f"translate(encode(convert_to({literal(type_name + ':')} || {expr}, 'UTF8'), "
            "'base64'), E'+/\\n', '-_')")


def report_code(alias: str) -> str:
    """As `orm.reports.report_code`: PA-<local year>-<id, at least six digits>."""
    number = f'{alias}."id"::text'
    return (f"('PA-' || to_char({alias}.\"submitted_at\" AT TIME ZONE {literal(TZ.key)}, "
            f"'YYYY') || '-' || lpad({number}, greatest(6, length({number})), '0'))")


def overdue(alias: str) -> str:
    """As `lifecycle.is_overdue`: still waiting for someone, and past its deadline."""
    waiting = ", ".join(literal(status.value) for status in sorted(OPEN_STATUSES))
    return f'({alias}."status" IN ({waiting}) AND {NOW} > {alias}."due_at")'


def media_url(expr: str) -> str:
    """A public medium's URL (`media.urls.media_url` with public=True) on the base URL."""
    return f"(CASE WHEN {expr} IS NULL THEN NULL ELSE {BASE_URL} || '/media/' || {expr} END)"


def json_object(pairs: Sequence[tuple[str, str]]) -> str | None:
    if len(pairs) > MAX_PAIRS:
        return None
    return "json_build_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"


def one(table: str, alias: str, where: str, value: str, order: str | None = None) -> str:
    """The first row's value of a related table (null when there is none)."""
    tail = f" ORDER BY {order} LIMIT 1" if order else ""
    return f'(SELECT {value} FROM "{table}" {alias} WHERE {where}{tail})'


def joined(alias: str, value: str) -> str:
    """The value of a row joined to the page's, null when there is none."""
    return f'(CASE WHEN {alias}."id" IS NULL THEN NULL ELSE {value} END)'


def many(table: str, alias: str, where: str, value: str, order: str) -> str:
    """The related rows' values as a JSON array, in `order` (an empty array when none)."""
    return (f"(SELECT coalesce(json_agg({value} ORDER BY {order}), '[]'::json) "
            f'FROM "{table}" {alias} WHERE {where})')


@dataclass(frozen=True, slots=True)
class Bound:
    """What a request gives a kept statement besides the page's own parameters."""

    base_url: str
    now: datetime


_TOKENS = ((BASE_URL, "base_url", "text"), (NOW, "now", "timestamptz"))


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    facts: ReportFacts  # for the policy's last word on each row (schema/projected_lists.py)
    json: str


def _outer_order(orderings: Sequence[str]) -> str:
    terms = []
    for term in orderings:
        column, direction = (term[1:], "DESC") if term.startswith("-") else (term, "ASC")
        terms.append(f'p."{column}" {direction}')
    return ", ".join(terms)


MEMO_SIZE = 512  # statements kept, by the shape of the request that made them
_statements: dict[Hashable, tuple[str, tuple[Any, ...], tuple[str, ...]]] = {}
_STATUS = {status.value: status for status in Status}


async def page_json(read: Callable[[], Awaitable[QuerySet[Report]]], key: SortKey,
                    args: PageArgs, node: str, joins: Sequence[str], bound: Bound,
                    shape: Hashable | None = None) -> list[Row] | None:
    """The page `paginate(await read(), key, args)` would read, each report as the JSON
    `node` writes over alias `p` (and the `joins` to it); None off PostgreSQL, or for a page
    read backwards.

    Composing the page's query with the ORM costs more than a tenth of such a request
    (`python -m bench --only wall`), and the public reads the same few pages over and over:
    the statement is kept by `shape`, which the caller gives only when everything the query
    depends on (the viewer's scope, the filter, the order, the page's arguments) is in it,
    and nothing else (the clock: the `overdue` filter) is."""
    if args.backward:
        return None
    db = Report._choose_db()
    if db.capabilities.dialect != "postgres":
        return None
    memo = None if shape is None else (shape, node, tuple(joins))
    found = _statements.get(memo) if memo is not None else None
    if found is None:
        page, size = page_query(await read(), key, args)
        page._choose_db_if_not_chosen()
        page._make_query()
        inner, composed = page.query.get_parameterized_sql()
        written, names = node, []
        for token, name, kind in _TOKENS:
            if token in written:
                names.append(name)
                written = written.replace(token, f"${len(composed) + len(names)}::{kind}")
        sql = (f'SELECT p."id", p."status", p."reporter_id", p."agency_id", {written}::text '
               f"FROM ({inner}) p {' '.join(joins)} "
               f"ORDER BY {_outer_order(ordering(key, args))} LIMIT {size}")
        found = (sql, tuple(composed), tuple(names))
        if memo is not None:
            if len(_statements) >= MEMO_SIZE:
                _statements.clear()
            _statements[memo] = found
    sql, params, taken = found
    _, rows = await db.execute_query(sql, [*params, *(getattr(bound, n) for n in taken)])
    return [Row(r[0], ReportFacts(_STATUS[r[1]], r[2], r[3]), r[4]) for r in rows]

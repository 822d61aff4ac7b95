"""GET requests' query string: service_request_id, service_code, start_date, end_date, status
(GeoReport v2), and page / page_size (an extension many servers have)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.datastructures import QueryParams

from models.messages import t
from models.rules.calendar import TZ
from web.exports.params import comma_list
from web.open311.formats import Open311Error
from web.open311.mapping import CLOSED, OPEN

MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 1000
MAX_IDS = 100


@dataclass(frozen=True)
class RequestQuery:
    codes: list[str]  # service_request_id: when given, every other filter is ignored
    service_codes: list[str]
    start: datetime
    end: datetime
    statuses: list[str]
    page: int
    page_size: int


def _instant(params: QueryParams, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, t("{name} must be a W3C date and time, such as "
                                  "2026-11-01T00:00:00+07:00.", name=name)) from None
    return value if value.tzinfo else value.replace(tzinfo=TZ)  # no offset: Huế time


def _positive(params: QueryParams, name: str, default: int, highest: int) -> int:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return default
    if not raw.strip().isdigit() or not 1 <= int(raw) <= highest:
        raise Open311Error(400, t("{name} must be a whole number from 1 to {highest}.",
                                  name=name, highest=highest))
    return int(raw)


def request_query(params: QueryParams, now: datetime) -> RequestQuery:
    start, end = _instant(params, "start_date"), _instant(params, "end_date")
    # The specification's defaults: the most recent 90 days, and never a longer range.
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, t("end_date must not be before start_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, t("start_date to end_date may not span more than 90 days."))
    statuses = [s.lower() for s in comma_list(params, "status")]
    unknown = [s for s in statuses if s not in (OPEN, CLOSED)]
    if unknown:
        raise Open311Error(400, t("status is open or closed, not {value}.", value=unknown[0]))
    codes = comma_list(params, "service_request_id")
    if len(codes) > MAX_IDS:
        raise Open311Error(400, t("At most {max_ids} service_request_id at once.", max_ids=MAX_IDS))
    return RequestQuery(
        codes=codes, service_codes=[c.upper() for c in comma_list(params, "service_code")],
        start=start, end=end, statuses=statuses,
        page=_positive(params, "page", 1, 1_000_000),
        page_size=_positive(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )

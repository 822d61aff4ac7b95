"""The GeoReport v2 endpoints. Reads show what an anonymous visitor may see (plus, with a valid
`api_key`, the partner's own reports); a POST files a report for the key's account through the
same `submit_report` as GraphQL, so the same checks, limits and timeline event apply."""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from models.actions import submission
from models.deps import Deps
from models.enums import Channel, Role
from models.errors import DomainError, ErrorCode, RateLimited
from models.messages import t
from models.orm.directory import Agency, Category
from models.orm.reports import Media, Report, parse_report_code
from models.queries.reports import visible_report, visible_to
from models.rules.policy import ANONYMOUS, Viewer
from web.auth import Authenticator
from web.open311 import mapping
from web.open311.formats import Open311Error, check_format, error, render
from web.open311.params import request_query
from web.urls import base_url

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_FORM_FIELDS = 50
# Domain refusals keep their meaning: bad input 400, not allowed 403, missing 404.
STATUS_OF = {ErrorCode.UNAUTHENTICATED: 403, ErrorCode.FORBIDDEN: 403,
             ErrorCode.NOT_FOUND: 404, ErrorCode.RATE_LIMITED: 429}

Handler = Callable[[Request, str], Awaitable[Response]]


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Format checking and Open311-shaped errors for every endpoint."""
    async def run(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "json")
        try:
            return await handler(request, check_format(fmt))
        except Open311Error as failure:
            return error(fmt, failure)
        except HTTPException as failure:  # a form Starlette could not parse
            return error(fmt, Open311Error(failure.status_code, str(failure.detail)))
        except DomainError as failure:
            response = error(fmt, Open311Error(STATUS_OF.get(failure.code, 400), failure.message))
            if isinstance(failure, RateLimited):
                response.headers["Retry-After"] = str(failure.retry_after_seconds or 1)
            return response

    return run


async def _viewer(request: Request, key: str | None, *, required: bool) -> Viewer:
    if not key:
        if required:
            raise Open311Error(403, t("api_key is required: ask the IOC's administrator for one."))
        return ANONYMOUS
    auth: Authenticator = request.app.state.auth
    viewer = await auth.api_key(key)
    if viewer is None:
        raise Open311Error(403, t("api_key is not valid (unknown or revoked)."))
    return viewer


async def discovery(request: Request, fmt: str) -> Response:
    base = base_url(request, request.app.state.settings.public_url) + PREFIX
    return render(fmt, "discovery", {
        "changeset": "2026-11-23T00:00:00+07:00",
        "contact": "Trung tâm Giám sát, điều hành đô thị thông minh (IOC)",
        "key_service": "API keys are issued to partners by the IOC's administrator.",
        "endpoints": [{
            "specification": SPECIFICATION, "url": base, "changeset": "2026-11-23T00:00:00+07:00",
            "type": "production", "formats": ["text/xml", "application/json"],
        }],
    })


async def service_list(request: Request, fmt: str) -> Response:
    return render(fmt, "services",
                  [mapping.service(c) for c in await Category.all().order_by("code")])


async def service_definition(request: Request, fmt: str) -> Response:
    category = await Category.get_or_none(code=request.path_params["code"].upper())
    if category is None:
        raise Open311Error(404, t("No such service_code."))
    return render(fmt, "service_definition", mapping.definition(category))


async def _as_requests(request: Request, rows: Sequence[Report], deps: Deps
                       ) -> list[dict[str, Any]]:
    """Three queries for any number of reports: categories, their agencies, their photos."""
    if not rows:
        return []
    categories = {c.id: c for c in await Category.all()}
    agency_ids = {r.agency_id for r in rows if r.agency_id}
    agencies = {a.id: a for a in await Agency.filter(id__in=agency_ids)} if agency_ids else {}
    photos = mapping.first_photos(await Media.filter(
        report_id__in=[r.id for r in rows], is_result=False))
    base = base_url(request, request.app.state.settings.public_url)
    return [mapping.request(r, categories=categories, agencies=agencies,
                            photo=photos.get(r.id), base_url=base, deps=deps) for r in rows]


async def request_list(request: Request, fmt: str) -> Response:
    deps = _deps(request)
    viewer = await _viewer(request, request.query_params.get("api_key"), required=False)
    q = request_query(request.query_params, deps.now())
    qs = Report.filter(visible_to(viewer))
    if q.codes:
        ids = [i for i in (parse_report_code(c) for c in q.codes) if i is not None]
        qs = qs.filter(id__in=ids)
    else:
        qs = qs.filter(submitted_at__gte=q.start, submitted_at__lte=q.end)
        if q.service_codes:
            known = dict(await Category.filter(code__in=q.service_codes).values_list("code", "id"))
            unknown = [c for c in q.service_codes if c not in known]
            if unknown:
                raise Open311Error(400, t("Unknown service_code: {code}.", code=unknown[0]))
            qs = qs.filter(category_id__in=list(known.values()))
        if q.statuses:
            qs = qs.filter(status__in=mapping.statuses_for(q.statuses))
    rows = await (qs.order_by("-submitted_at", "-id")
                  .offset((q.page - 1) * q.page_size).limit(q.page_size))
    if q.codes:  # a number from another year is not that report
        asked = {c.strip().upper() for c in q.codes}
        rows = [r for r in rows if r.code in asked]
    return render(fmt, "service_requests", await _as_requests(request, rows, deps))


async def request_one(request: Request, fmt: str) -> Response:
    deps = _deps(request)
    viewer = await _viewer(request, request.query_params.get("api_key"), required=False)
    code = request.path_params["code"].strip().upper()
    number = parse_report_code(code)
    report = await visible_report(viewer, number) if number is not None else None
    if report is None or report.code != code:
        raise Open311Error(404, t("No such service request."))
    return render(fmt, "service_requests", await _as_requests(request, [report], deps))


def _number(raw: str | None, name: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, t("{name} must be a number in degrees.", name=name)) from None
    if not math.isfinite(value):
        raise Open311Error(400, t("{name} must be a number in degrees.", name=name))
    return value


async def create_request(request: Request, fmt: str) -> Response:
    deps = _deps(request)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise Open311Error(400, t("Send the fields form-encoded "
                                "(application/x-www-form-urlencoded)."))
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    viewer = await _viewer(request, fields.get("api_key"), required=True)
    if viewer.role is not Role.CITIZEN:  # issue_api_key allows no other role; a demoted account
        raise Open311Error(403, t("This api_key's account may not file reports."))
    code = (fields.get("service_code") or "").strip().upper()
    if not code:
        raise Open311Error(400, t("service_code is required."))
    category = await Category.get_or_none(code=code)
    if category is None:
        raise Open311Error(400, t("Unknown service_code: {code}.", code=code))
    if fields.get("media_url"):
        # Fetching a URL from a partner's request would let anyone make the server call out.
        raise Open311Error(400, t("media_url is not accepted: attach photos through the GraphQL "
                                "uploadMedia mutation, or leave them out."))
    lat, lon = _number(fields.get("lat"), "lat"), _number(fields.get("long"), "long")
    if lat is None or lon is None:
        raise Open311Error(400, t("lat and long are required: every report here has a place."))
    description = (fields.get("description") or "").strip()
    if not description:
        raise Open311Error(400, t("description is required."))
    await deps.throttle.hit("submitReport", str(viewer.user_id))
    token = "o311-" + secrets.token_urlsafe(16)
    report = await submission.submit_report(deps, viewer, submission.NewReport(
        description=description, category_id=category.id,
        location=submission.Location(lat, lon, fields.get("address_string") or None),
        idempotency_key=token, channel=Channel.OPEN311,
    ))
    return render(fmt, "service_requests", [{
        "service_request_id": report.code,
        "token": token,
        "service_notice": "Trung tâm IOC sẽ xác minh phản ánh trước khi chuyển đơn vị xử lý.",
        "account_id": None,
    }])


async def unknown(request: Request, fmt: str) -> Response:
    raise Open311Error(404, t("No such endpoint: see discovery.json."))


async def token_lookup(request: Request, fmt: str) -> Response:
    token = request.path_params["token"]
    report = (await Report.filter(idempotency_key=token, channel=Channel.OPEN311).first()
              if token.startswith("o311-") and len(token) <= 64 else None)
    if report is None:
        raise Open311Error(404, t("No such token."))
    return render(fmt, "service_requests",
                  [{"service_request_id": report.code, "token": token}])


def open311_mount() -> Mount:
    return Mount(PREFIX, routes=[
        Route("/discovery.{fmt}", endpoint(discovery)),
        Route("/services.{fmt}", endpoint(service_list)),
        Route("/services/{code}.{fmt}", endpoint(service_definition)),
        Route("/requests.{fmt}", endpoint(request_list), methods=["GET"]),
        Route("/requests.{fmt}", endpoint(create_request), methods=["POST"]),
        Route("/requests/{code}.{fmt}", endpoint(request_one)),
        Route("/tokens/{token}.{fmt}", endpoint(token_lookup)),
        Route("/{rest:path}", endpoint(unknown), methods=["GET", "POST"]),
    ])

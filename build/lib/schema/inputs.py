"""Mutation and filter inputs, exactly as the contract names them."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.file_uploads import Upload

from schema.enums import AgencyKind, AgencyLevel, Channel, ReportStatus, Role, Satisfaction


@strawberry.input
class LocationInput:
    latitude: float
    longitude: float
    address: str | None = None


@strawberry.input
class ContactInput:
    name: str | None = None
    phone: str | None = None


@strawberry.input
class BBoxInput:
    south: float
    west: float
    north: float
    east: float


@strawberry.input
class NearInput:
    latitude: float
    longitude: float
    radius_meters: float = strawberry.field(description="1 to 50,000.")


@strawberry.input
class ReportFilter:
    statuses: list[ReportStatus] | None = None
    category_ids: list[strawberry.ID] | None = None
    agency_ids: list[strawberry.ID] | None = None
    text: str | None = strawberry.field(
        default=None, description="Words to find; ignores case and diacritics."
    )
    bbox: BBoxInput | None = None
    near: NearInput | None = strawberry.field(
        default=None, description="Within radiusMeters of the point; nearest first unless "
        "orderBy says otherwise, with distanceMeters on each report."
    )
    submitted_after: datetime | None = None
    submitted_before: datetime | None = None
    overdue: bool | None = None


@strawberry.input
class RegisterInput:
    phone: str
    password: str
    display_name: str


@strawberry.input
class LoginInput:
    phone: str
    password: str


@strawberry.input
class LogoutInput:
    all_sessions: bool = strawberry.field(
        default=False, description="Revoke every token of this account, on every device."
    )


@strawberry.input
class UploadMediaInput:
    file: Upload = strawberry.field(description="One photo (JPEG, PNG, WebP, HEIC) or video "
                                    "(MP4, MOV, WebM), sent as a GraphQL multipart request.")


@strawberry.input
class SubmitReportInput:
    description: str
    title: str | None = None
    category_id: strawberry.ID | None = None
    location: LocationInput | None = None
    media_ids: list[strawberry.ID] | None = None
    idempotency_key: str | None = None
    channel: Channel | None = None
    contact: ContactInput | None = None


@strawberry.input
class RejectReportInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class MergeReportInput:
    id: strawberry.ID
    into_id: strawberry.ID


@strawberry.input
class AssignReportInput:
    id: strawberry.ID
    agency_id: strawberry.ID
    category_id: strawberry.ID | None = None
    title: str | None = None
    description: str | None = None


@strawberry.input
class ReportIdInput:
    id: strawberry.ID


@strawberry.input
class DeclineReportInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class RequestExtensionInput:
    id: strawberry.ID
    until: date
    reason: str


@strawberry.input
class DecideExtensionInput:
    request_id: strawberry.ID
    approve: bool
    note: str | None = None


@strawberry.input
class SubmitResultInput:
    id: strawberry.ID
    text: str
    media_ids: list[strawberry.ID] | None = None


@strawberry.input
class ReturnResultInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class PublishResultInput:
    id: strawberry.ID
    text: str | None = None


@strawberry.input
class CreateStaffAccountInput:
    phone: str
    password: str
    display_name: str
    role: Role
    agency_id: strawberry.ID | None = None


@strawberry.input
class CreateAgencyInput:
    code: str
    name: str
    kind: AgencyKind
    level: AgencyLevel
    parent_id: strawberry.ID | None = None


@strawberry.input
class UpdateAgencyInput:
    id: strawberry.ID
    name: str | None = None
    kind: AgencyKind | None = None
    level: AgencyLevel | None = None
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null detaches the agency from its parent."
    )


@strawberry.input
class CreateCategoryInput:
    code: str
    name: str
    agency_kind: AgencyKind = strawberry.field(
        default=AgencyKind.GOVERNMENT,
        description="Who usually handles it; Open311 shows it as the service's group.")


@strawberry.input
class AddCommentInput:
    report_id: strawberry.ID
    body: str
    parent_id: strawberry.ID | None = None


@strawberry.input
class HideCommentInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class RateReportInput:
    id: strawberry.ID
    satisfaction: Satisfaction
    note: str | None = None


@strawberry.input
class ContestResultInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class ReopenReportInput:
    id: strawberry.ID
    reason: str
    agency_id: strawberry.ID | None = None


@strawberry.input
class DismissContestInput:
    id: strawberry.ID
    note: str


@strawberry.input(description="Admin: a key for a partner's Open311 tool, tied to a citizen "
                              "account whose reports it files.")
class IssueApiKeyInput:
    user_id: strawberry.ID
    name: str = strawberry.field(description="Who the partner is, e.g. the tool's name.")


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID

"""Mutation payloads: `<Name>Payload { <object>, errors: [UserError!]! }`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.accounts import ApiKey, User
from schema.declared import max_items
from schema.directory import Agency, Category
from schema.errors import UserError
from schema.media import Media
from schema.participation import Comment
from schema.reports import ExtensionRequest, Report


def errors_field() -> list[UserError]:
    """A mutation fails with one expected error (the use case raises it); ten bound the list."""
    errors: list[UserError] = strawberry.field(default_factory=list, metadata=max_items(10))
    return errors


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    expires_at: datetime | None = strawberry.field(
        default=None, description="When this token stops working: renew the session "
        "(renewSession) before then.")
    errors: list[UserError] = errors_field()


@strawberry.type(name="RegisterPayload")
class RegisterPayload(AuthPayload):
    pass


@strawberry.type(name="LoginPayload")
class LoginPayload(AuthPayload):
    pass


@strawberry.type(name="RenewSessionPayload")
class RenewSessionPayload(AuthPayload):
    pass


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[UserError] = errors_field()


@strawberry.type
class ReportPayload:
    report: Report | None = None
    errors: list[UserError] = errors_field()


# One named payload per report mutation, as the contract says; they share one shape.
@strawberry.type
class SubmitReportPayload(ReportPayload):
    pass


@strawberry.type
class RejectReportPayload(ReportPayload):
    pass


@strawberry.type
class MergeReportPayload(ReportPayload):
    pass


@strawberry.type
class AssignReportPayload(ReportPayload):
    pass


@strawberry.type
class AcceptReportPayload(ReportPayload):
    pass


@strawberry.type
class DeclineReportPayload(ReportPayload):
    pass


@strawberry.type
class SubmitResultPayload(ReportPayload):
    pass


@strawberry.type
class ReturnResultPayload(ReportPayload):
    pass


@strawberry.type
class PublishResultPayload(ReportPayload):
    pass


@strawberry.type
class ExtensionPayload:
    extension_request: ExtensionRequest | None = None
    report: Report | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class RequestExtensionPayload(ExtensionPayload):
    pass


@strawberry.type
class DecideExtensionPayload(ExtensionPayload):
    pass


@strawberry.type
class CreateStaffAccountPayload:
    user: User | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class AgencyPayload:
    agency: Agency | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class CreateAgencyPayload(AgencyPayload):
    pass


@strawberry.type
class UpdateAgencyPayload(AgencyPayload):
    pass


@strawberry.type
class CreateCategoryPayload:
    category: Category | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class CommentPayload:
    comment: Comment | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class AddCommentPayload(CommentPayload):
    pass


@strawberry.type
class HideCommentPayload(CommentPayload):
    pass


@strawberry.type
class RateReportPayload(ReportPayload):
    pass


@strawberry.type
class ContestResultPayload(ReportPayload):
    pass


@strawberry.type
class ReopenReportPayload(ReportPayload):
    pass


@strawberry.type
class DismissContestPayload(ReportPayload):
    pass


@strawberry.type
class SupportReportPayload(ReportPayload):
    pass


@strawberry.type
class WithdrawSupportPayload(ReportPayload):
    pass


@strawberry.type
class UploadMediaPayload:
    media: Media | None = None
    errors: list[UserError] = errors_field()


@strawberry.type
class IssueApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(
        default=None, description="The key, shown this once: give it to the partner.")
    errors: list[UserError] = errors_field()


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = errors_field()

"""Mutation payloads: `<Name>Payload { <object>, errors: [UserError!]! }`."""

from __future__ import annotations

import strawberry

from schema.accounts import ApiKey, User
from schema.directory import Agency, Category
from schema.errors import UserError
from schema.participation import Comment
from schema.reports import ExtensionRequest, Media, Report


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(name="RegisterPayload")
class RegisterPayload(AuthPayload):
    pass


@strawberry.type(name="LoginPayload")
class LoginPayload(AuthPayload):
    pass


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportPayload:
    report: Report | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


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
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RequestExtensionPayload(ExtensionPayload):
    pass


@strawberry.type
class DecideExtensionPayload(ExtensionPayload):
    pass


@strawberry.type
class CreateStaffAccountPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AgencyPayload:
    agency: Agency | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateAgencyPayload(AgencyPayload):
    pass


@strawberry.type
class UpdateAgencyPayload(AgencyPayload):
    pass


@strawberry.type
class CreateCategoryPayload:
    category: Category | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CommentPayload:
    comment: Comment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


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
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IssueApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(
        default=None, description="The key, shown this once: give it to the partner.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

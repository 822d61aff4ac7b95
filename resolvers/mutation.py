"""Mutation root: each field decodes its input, calls one use case, and returns a payload.

Expected failures (DomainError) become `errors` in the payload and nothing is half-written,
because every use case runs in one transaction.
"""

from __future__ import annotations

from typing import Any

import strawberry

from models.actions import accounts, directory, handling, partners, review, submission
from models.errors import Invalid
from resolvers.context import Info
from resolvers.feedback import FeedbackMutation
from resolvers.guard import client_ip, guard, limit, report_result
from schema import inputs, payloads
from schema.account import ApiKey, User
from schema.directory import Agency, Category
from schema.relay import decode_id, decode_ids
from schema.report import ExtensionRequest, Media, Report


@strawberry.type
class CoreMutation:
    # --- accounts -------------------------------------------------------------------------------

    @strawberry.mutation
    async def register(self, info: Info, input: inputs.RegisterInput) -> payloads.RegisterPayload:
        async def work() -> dict[str, Any]:
            await limit(info, "register", client_ip(info))
            await accounts.register(input.phone, input.password, input.display_name)
            token, user = await accounts.login(input.phone, input.password, info.context.deps,
                                               client_ip(info))
            return {"token": token, "user": User.from_row(user)}

        return await guard(payloads.RegisterPayload, work)

    @strawberry.mutation
    async def login(self, info: Info, input: inputs.LoginInput) -> payloads.LoginPayload:
        async def work() -> dict[str, Any]:
            token, user = await accounts.login(input.phone, input.password, info.context.deps,
                                               client_ip(info))
            return {"token": token, "user": User.from_row(user)}

        return await guard(payloads.LoginPayload, work)

    @strawberry.mutation(description="Revoke this request's token (or all of the user's tokens).")
    async def logout(
        self, info: Info, input: inputs.LogoutInput | None = None
    ) -> payloads.LogoutPayload:
        async def work() -> dict[str, Any]:
            everywhere = bool(input and input.all_sessions)
            c = info.context
            return {"ok": await accounts.logout(c.token, c.deps, all_sessions=everywhere)}

        return await guard(payloads.LogoutPayload, work)

    @strawberry.mutation
    async def create_staff_account(
        self, info: Info, input: inputs.CreateStaffAccountInput
    ) -> payloads.CreateStaffAccountPayload:
        async def work() -> dict[str, Any]:
            agency_id = (
                decode_id(input.agency_id, "Agency", "agencyId") if input.agency_id else None
            )
            user = await accounts.create_staff_account(
                info.context.viewer, phone=input.phone, password=input.password,
                display_name=input.display_name, role=input.role, agency_id=agency_id,
            )
            return {"user": User.from_row(user)}

        return await guard(payloads.CreateStaffAccountPayload, work)

    @strawberry.mutation(description="Admin: issue an Open311 key to a partner.")
    async def issue_api_key(
        self, info: Info, input: inputs.IssueApiKeyInput
    ) -> payloads.IssueApiKeyPayload:
        async def work() -> dict[str, Any]:
            key, row = await partners.issue_api_key(
                info.context.deps, info.context.viewer, decode_id(input.user_id, "User", "userId"),
                input.name)
            return {"api_key": ApiKey.from_row(row, row.user), "key": key}

        return await guard(payloads.IssueApiKeyPayload, work)

    @strawberry.mutation(description="Admin: revoke an Open311 key; it stops working at once.")
    async def revoke_api_key(
        self, info: Info, input: inputs.RevokeApiKeyInput
    ) -> payloads.RevokeApiKeyPayload:
        async def work() -> dict[str, Any]:
            row = await partners.revoke_api_key(
                info.context.deps, info.context.viewer, decode_id(input.id, "ApiKey", "id"))
            return {"api_key": ApiKey.from_row(row, row.user)}

        return await guard(payloads.RevokeApiKeyPayload, work)

    # --- directory ------------------------------------------------------------------------------

    @strawberry.mutation
    async def create_agency(
        self, info: Info, input: inputs.CreateAgencyInput
    ) -> payloads.CreateAgencyPayload:
        async def work() -> dict[str, Any]:
            parent = decode_id(input.parent_id, "Agency", "parentId") if input.parent_id else None
            row = await directory.create_agency(
                info.context.viewer, code=input.code, name=input.name, kind=input.kind,
                level=input.level, parent_id=parent,
            )
            return {"agency": Agency.from_row(row)}

        return await guard(payloads.CreateAgencyPayload, work)

    @strawberry.mutation
    async def update_agency(
        self, info: Info, input: inputs.UpdateAgencyInput
    ) -> payloads.UpdateAgencyPayload:
        async def work() -> dict[str, Any]:
            agency_id = decode_id(input.id, "Agency")
            parent = input.parent_id
            row = await directory.update_agency(
                info.context.viewer, agency_id, name=input.name, kind=input.kind,
                level=input.level,
                parent_id=decode_id(parent, "Agency", "parentId") if parent else None,
                clear_parent=parent is None,
            )
            return {"agency": Agency.from_row(row)}

        return await guard(payloads.UpdateAgencyPayload, work)

    @strawberry.mutation
    async def create_category(
        self, info: Info, input: inputs.CreateCategoryInput
    ) -> payloads.CreateCategoryPayload:
        async def work() -> dict[str, Any]:
            row = await directory.create_category(
                info.context.viewer, code=input.code, name=input.name,
                agency_kind=input.agency_kind,
            )
            return {"category": Category.from_row(row)}

        return await guard(payloads.CreateCategoryPayload, work)

    # --- media ----------------------------------------------------------------------------------

    @strawberry.mutation(description="Upload one photo or video (signed in; multipart request "
                         "with an Apollo-Require-Preflight header), then pass its id in "
                         "submitReport/submitResult mediaIds within 24 hours.")
    async def upload_media(
        self, info: Info, input: inputs.UploadMediaInput
    ) -> payloads.UploadMediaPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            if c.media is None:
                raise Invalid("Uploads are not enabled on this server.", field="file")
            row = await c.media.upload(c.deps, c.viewer, input.file)
            return {"media": Media.from_row(row, public=False, deps=c.deps)}

        return await guard(payloads.UploadMediaPayload, work)

    # --- report lifecycle -----------------------------------------------------------------------

    @strawberry.mutation
    async def submit_report(
        self, info: Info, input: inputs.SubmitReportInput
    ) -> payloads.SubmitReportPayload:
        async def work() -> dict[str, Any]:
            if info.context.viewer.user_id is not None:
                await limit(info, "submitReport", str(info.context.viewer.user_id))
            loc = input.location
            new = submission.NewReport(
                description=input.description,
                title=input.title,
                category_id=(
                    decode_id(input.category_id, "Category", "categoryId")
                    if input.category_id else None
                ),
                location=(
                    submission.Location(loc.latitude, loc.longitude, loc.address) if loc else None
                ),
                media_ids=decode_ids(input.media_ids, "Media", "mediaIds"),
                idempotency_key=input.idempotency_key,
                channel=input.channel,
                contact=(
                    submission.Contact(input.contact.name, input.contact.phone)
                    if input.contact else None
                ),
            )
            c = info.context
            return report_result(await submission.submit_report(c.deps, c.viewer, new))

        return await guard(payloads.SubmitReportPayload, work)

    @strawberry.mutation
    async def reject_report(
        self, info: Info, input: inputs.RejectReportInput
    ) -> payloads.RejectReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.reject_report(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.reason
            ))

        return await guard(payloads.RejectReportPayload, work)

    @strawberry.mutation
    async def merge_report(
        self, info: Info, input: inputs.MergeReportInput
    ) -> payloads.MergeReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.merge_report(
                c.deps, c.viewer, decode_id(input.id, "Report"),
                decode_id(input.into_id, "Report", "intoId"),
            ))

        return await guard(payloads.MergeReportPayload, work)

    @strawberry.mutation
    async def assign_report(
        self, info: Info, input: inputs.AssignReportInput
    ) -> payloads.AssignReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.assign_report(
                c.deps, c.viewer, decode_id(input.id, "Report"),
                decode_id(input.agency_id, "Agency", "agencyId"),
                category_id=(
                    decode_id(input.category_id, "Category", "categoryId")
                    if input.category_id else None
                ),
                title=input.title, description=input.description,
            ))

        return await guard(payloads.AssignReportPayload, work)

    @strawberry.mutation
    async def accept_report(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.AcceptReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(
                await handling.accept_report(c.deps, c.viewer, decode_id(input.id, "Report"))
            )

        return await guard(payloads.AcceptReportPayload, work)

    @strawberry.mutation
    async def decline_report(
        self, info: Info, input: inputs.DeclineReportInput
    ) -> payloads.DeclineReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await handling.decline_report(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.reason
            ))

        return await guard(payloads.DeclineReportPayload, work)

    @strawberry.mutation
    async def request_extension(
        self, info: Info, input: inputs.RequestExtensionInput
    ) -> payloads.RequestExtensionPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            report, req = await handling.request_extension(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.until, input.reason
            )
            return {"report": Report.from_row(report),
                    "extension_request": ExtensionRequest.from_row(req)}

        return await guard(payloads.RequestExtensionPayload, work)

    @strawberry.mutation
    async def decide_extension(
        self, info: Info, input: inputs.DecideExtensionInput
    ) -> payloads.DecideExtensionPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            report, req = await review.decide_extension(
                c.deps, c.viewer, decode_id(input.request_id, "ExtensionRequest", "requestId"),
                input.approve, input.note,
            )
            return {"report": Report.from_row(report),
                    "extension_request": ExtensionRequest.from_row(req)}

        return await guard(payloads.DecideExtensionPayload, work)

    @strawberry.mutation
    async def submit_result(
        self, info: Info, input: inputs.SubmitResultInput
    ) -> payloads.SubmitResultPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await handling.submit_result(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.text,
                decode_ids(input.media_ids, "Media", "mediaIds"),
            ))

        return await guard(payloads.SubmitResultPayload, work)

    @strawberry.mutation
    async def return_result(
        self, info: Info, input: inputs.ReturnResultInput
    ) -> payloads.ReturnResultPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.return_result(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.reason
            ))

        return await guard(payloads.ReturnResultPayload, work)

    @strawberry.mutation
    async def publish_result(
        self, info: Info, input: inputs.PublishResultInput
    ) -> payloads.PublishResultPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.publish_result(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.text
            ))

        return await guard(payloads.PublishResultPayload, work)



@strawberry.type
class Mutation(CoreMutation, FeedbackMutation):
    pass

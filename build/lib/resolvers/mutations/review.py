"""The IOC's decisions (models/actions/review.py)."""

from __future__ import annotations

import strawberry

from models.actions import review
from resolvers.mutations.base import mutation
from schema import inputs, payloads
from schema.context import Info
from schema.relay import decode_id
from schema.reports import ExtensionRequest, Report


@strawberry.type
class ReviewMutation:
    @mutation()
    async def reject_report(
        self, info: Info, input: inputs.RejectReportInput
    ) -> payloads.RejectReportPayload:
        c = info.context
        row = await review.reject_report(c.deps, c.viewer, decode_id(input.id, "Report"),
                                         input.reason)
        return payloads.RejectReportPayload(report=Report.from_row(row))

    @mutation()
    async def merge_report(
        self, info: Info, input: inputs.MergeReportInput
    ) -> payloads.MergeReportPayload:
        c = info.context
        row = await review.merge_report(c.deps, c.viewer, decode_id(input.id, "Report"),
                                        decode_id(input.into_id, "Report", "intoId"))
        return payloads.MergeReportPayload(report=Report.from_row(row))

    @mutation()
    async def assign_report(
        self, info: Info, input: inputs.AssignReportInput
    ) -> payloads.AssignReportPayload:
        c = info.context
        category = (decode_id(input.category_id, "Category", "categoryId")
                    if input.category_id else None)
        row = await review.assign_report(
            c.deps, c.viewer, decode_id(input.id, "Report"),
            decode_id(input.agency_id, "Agency", "agencyId"), category_id=category,
            title=input.title, description=input.description,
        )
        return payloads.AssignReportPayload(report=Report.from_row(row))

    @mutation()
    async def decide_extension(
        self, info: Info, input: inputs.DecideExtensionInput
    ) -> payloads.DecideExtensionPayload:
        c = info.context
        row, request = await review.decide_extension(
            c.deps, c.viewer, decode_id(input.request_id, "ExtensionRequest", "requestId"),
            input.approve, input.note,
        )
        return payloads.DecideExtensionPayload(
            report=Report.from_row(row), extension_request=ExtensionRequest.from_row(request))

    @mutation()
    async def return_result(
        self, info: Info, input: inputs.ReturnResultInput
    ) -> payloads.ReturnResultPayload:
        c = info.context
        row = await review.return_result(c.deps, c.viewer, decode_id(input.id, "Report"),
                                         input.reason)
        return payloads.ReturnResultPayload(report=Report.from_row(row))

    @mutation()
    async def publish_result(
        self, info: Info, input: inputs.PublishResultInput
    ) -> payloads.PublishResultPayload:
        c = info.context
        row = await review.publish_result(c.deps, c.viewer, decode_id(input.id, "Report"),
                                          input.text)
        return payloads.PublishResultPayload(report=Report.from_row(row))

    @mutation()
    async def reopen_report(
        self, info: Info, input: inputs.ReopenReportInput
    ) -> payloads.ReopenReportPayload:
        c = info.context
        agency = decode_id(input.agency_id, "Agency", "agencyId") if input.agency_id else None
        row = await review.reopen_report(c.deps, c.viewer, decode_id(input.id, "Report"),
                                         input.reason, agency)
        return payloads.ReopenReportPayload(report=Report.from_row(row))

    @mutation()
    async def dismiss_contest(
        self, info: Info, input: inputs.DismissContestInput
    ) -> payloads.DismissContestPayload:
        c = info.context
        row = await review.dismiss_contest(c.deps, c.viewer, decode_id(input.id, "Report"),
                                           input.note)
        return payloads.DismissContestPayload(report=Report.from_row(row))

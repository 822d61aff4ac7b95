"""The assigned agency's steps (models/actions/handling.py)."""

from __future__ import annotations

import strawberry

from models.actions import handling
from resolvers.mutations.base import mutation
from schema import inputs, payloads
from schema.context import Info
from schema.relay import decode_id, decode_ids
from schema.reports import ExtensionRequest, Report


@strawberry.type
class HandlingMutation:
    @mutation(machines=True)  # an agency's system does its work with its key
    async def accept_report(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.AcceptReportPayload:
        c = info.context
        row = await handling.accept_report(c.deps, c.viewer, decode_id(input.id, "Report"))
        return payloads.AcceptReportPayload(report=Report.from_row(row))

    @mutation(machines=True)  # an agency's system does its work with its key
    async def decline_report(
        self, info: Info, input: inputs.DeclineReportInput
    ) -> payloads.DeclineReportPayload:
        c = info.context
        row = await handling.decline_report(c.deps, c.viewer, decode_id(input.id, "Report"),
                                            input.reason)
        return payloads.DeclineReportPayload(report=Report.from_row(row))

    @mutation(machines=True)  # an agency's system does its work with its key
    async def request_extension(
        self, info: Info, input: inputs.RequestExtensionInput
    ) -> payloads.RequestExtensionPayload:
        c = info.context
        row, request = await handling.request_extension(
            c.deps, c.viewer, decode_id(input.id, "Report"), input.until, input.reason)
        return payloads.RequestExtensionPayload(
            report=Report.from_row(row), extension_request=ExtensionRequest.from_row(request))

    @mutation(machines=True)  # an agency's system does its work with its key
    async def submit_result(
        self, info: Info, input: inputs.SubmitResultInput
    ) -> payloads.SubmitResultPayload:
        c = info.context
        row = await handling.submit_result(
            c.deps, c.viewer, decode_id(input.id, "Report"), input.text,
            decode_ids(input.media_ids, "Media", "mediaIds"))
        return payloads.SubmitResultPayload(report=Report.from_row(row))

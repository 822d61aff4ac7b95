"""Comments, support, ratings and contests (models/actions/participation.py)."""

from __future__ import annotations

import strawberry

from models.actions import participation
from resolvers.mutations.base import client_ip, limit, mutation
from schema import inputs, payloads
from schema.context import Info
from schema.participation import Comment
from schema.relay import decode_id
from schema.reports import Report


@strawberry.type
class ParticipationMutation:
    @mutation(description="Any signed-in user, public reports, one per 60 s.")
    async def add_comment(
        self, info: Info, input: inputs.AddCommentInput
    ) -> payloads.AddCommentPayload:
        c = info.context
        await limit(info, "addComment", client_ip(info))
        parent = decode_id(input.parent_id, "Comment", "parentId") if input.parent_id else None
        row = await participation.add_comment(
            c.deps, c.viewer, decode_id(input.report_id, "Report", "reportId"), input.body,
            parent)
        return payloads.AddCommentPayload(comment=Comment.from_row(row))

    @mutation()
    async def hide_comment(
        self, info: Info, input: inputs.HideCommentInput
    ) -> payloads.HideCommentPayload:
        c = info.context
        row = await participation.hide_comment(c.deps, c.viewer, decode_id(input.id, "Comment"),
                                               input.reason)
        return payloads.HideCommentPayload(comment=Comment.from_row(row))

    @mutation()
    async def rate_report(
        self, info: Info, input: inputs.RateReportInput
    ) -> payloads.RateReportPayload:
        c = info.context
        await limit(info, "rateReport", str(c.viewer.user_id))
        row = await participation.rate_report(c.deps, c.viewer, decode_id(input.id, "Report"),
                                              input.satisfaction, input.note)
        return payloads.RateReportPayload(report=Report.from_row(row))

    @mutation()
    async def contest_result(
        self, info: Info, input: inputs.ContestResultInput
    ) -> payloads.ContestResultPayload:
        c = info.context
        await limit(info, "contestResult", str(c.viewer.user_id))
        row = await participation.contest_result(c.deps, c.viewer, decode_id(input.id, "Report"),
                                                 input.reason)
        return payloads.ContestResultPayload(report=Report.from_row(row))

    @mutation(description='"Me too": counted once per user.')
    async def support_report(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.SupportReportPayload:
        c = info.context
        if c.viewer.user_id is not None:
            await limit(info, "supportReport", str(c.viewer.user_id))
        row = await participation.support_report(c.deps, c.viewer, decode_id(input.id, "Report"))
        return payloads.SupportReportPayload(report=Report.from_row(row))

    @mutation()
    async def withdraw_support(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.WithdrawSupportPayload:
        c = info.context
        await limit(info, "withdrawSupport", str(c.viewer.user_id))
        row = await participation.withdraw_support(c.deps, c.viewer,
                                                   decode_id(input.id, "Report"))
        return payloads.WithdrawSupportPayload(report=Report.from_row(row))

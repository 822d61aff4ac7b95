"""Mutations of the accountability loop: comments, ratings, contests, reopening, support."""

from __future__ import annotations

from typing import Any

import strawberry

from models.actions import participation, review
from resolvers.context import Info
from resolvers.guard import client_ip, guard, limit, report_result
from schema import inputs, payloads
from schema.feedback import Comment
from schema.relay import decode_id


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(description="Any signed-in user, public reports, one per 60 s.")
    async def add_comment(
        self, info: Info, input: inputs.AddCommentInput
    ) -> payloads.AddCommentPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            await limit(info, "addComment", client_ip(info))
            parent = decode_id(input.parent_id, "Comment", "parentId") if input.parent_id else None
            row = await participation.add_comment(
                c.deps, c.viewer, decode_id(input.report_id, "Report", "reportId"), input.body,
                parent,
            )
            return {"comment": Comment.from_row(row)}

        return await guard(payloads.AddCommentPayload, work)

    @strawberry.mutation
    async def hide_comment(
        self, info: Info, input: inputs.HideCommentInput
    ) -> payloads.HideCommentPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            row = await participation.hide_comment(
                c.deps, c.viewer, decode_id(input.id, "Comment"), input.reason
            )
            return {"comment": Comment.from_row(row)}

        return await guard(payloads.HideCommentPayload, work)

    @strawberry.mutation
    async def rate_report(
        self, info: Info, input: inputs.RateReportInput
    ) -> payloads.RateReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await participation.rate_report(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.satisfaction, input.note
            ))

        return await guard(payloads.RateReportPayload, work)

    @strawberry.mutation
    async def contest_result(
        self, info: Info, input: inputs.ContestResultInput
    ) -> payloads.ContestResultPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await participation.contest_result(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.reason
            ))

        return await guard(payloads.ContestResultPayload, work)

    @strawberry.mutation
    async def reopen_report(
        self, info: Info, input: inputs.ReopenReportInput
    ) -> payloads.ReopenReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            agency = decode_id(input.agency_id, "Agency", "agencyId") if input.agency_id else None
            return report_result(await review.reopen_report(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.reason, agency
            ))

        return await guard(payloads.ReopenReportPayload, work)

    @strawberry.mutation
    async def dismiss_contest(
        self, info: Info, input: inputs.DismissContestInput
    ) -> payloads.DismissContestPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await review.dismiss_contest(
                c.deps, c.viewer, decode_id(input.id, "Report"), input.note
            ))

        return await guard(payloads.DismissContestPayload, work)

    @strawberry.mutation(description='"Me too": counted once per user.')
    async def support_report(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.SupportReportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            if c.viewer.user_id is not None:
                await limit(info, "supportReport", str(c.viewer.user_id))
            return report_result(await participation.support_report(
                c.deps, c.viewer, decode_id(input.id, "Report")
            ))

        return await guard(payloads.SupportReportPayload, work)

    @strawberry.mutation
    async def withdraw_support(
        self, info: Info, input: inputs.ReportIdInput
    ) -> payloads.WithdrawSupportPayload:
        async def work() -> dict[str, Any]:
            c = info.context
            return report_result(await participation.withdraw_support(
                c.deps, c.viewer, decode_id(input.id, "Report")
            ))

        return await guard(payloads.WithdrawSupportPayload, work)

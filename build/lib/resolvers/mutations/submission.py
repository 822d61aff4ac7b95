"""Submitting a report (models/actions/submission.py)."""

from __future__ import annotations

import strawberry

from models.actions import submission
from resolvers.mutations.base import limit, mutation
from schema import inputs, payloads
from schema.context import Info
from schema.relay import decode_id, decode_ids
from schema.reports import Report


@strawberry.type
class SubmissionMutation:
    @mutation()
    async def submit_report(
        self, info: Info, input: inputs.SubmitReportInput
    ) -> payloads.SubmitReportPayload:
        c = info.context
        loc, contact = input.location, input.contact
        new = submission.NewReport(
            description=input.description,
            title=input.title,
            category_id=(decode_id(input.category_id, "Category", "categoryId")
                         if input.category_id else None),
            location=submission.Location(loc.latitude, loc.longitude, loc.address) if loc else None,
            media_ids=decode_ids(input.media_ids, "Media", "mediaIds"),
            idempotency_key=input.idempotency_key,
            channel=input.channel,
            contact=submission.Contact(contact.name, contact.phone) if contact else None,
        )
        row = await submission.replayed(c.viewer, new) if c.viewer.signed_in else None
        if row is None:
            if c.viewer.user_id is not None:
                await limit(info, "submitReport", str(c.viewer.user_id))
            row = await submission.submit_report(c.deps, c.viewer, new)
        return payloads.SubmitReportPayload(report=Report.from_row(row))

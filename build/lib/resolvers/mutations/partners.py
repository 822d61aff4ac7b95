"""Open311 partner keys (models/actions/partners.py)."""

from __future__ import annotations

import strawberry

from models.actions import partners
from resolvers.mutations.base import mutation
from schema import inputs, payloads
from schema.accounts import ApiKey
from schema.context import Info
from schema.relay import decode_id


@strawberry.type
class PartnerMutation:
    @mutation(description="Admin: issue a key for a machine: an Open311 partner's (o311_…, "
              "for a citizen account) or an agency system's (agk_…, for an agency staff "
              "account; sent as Authorization: Bearer).")
    async def issue_api_key(
        self, info: Info, input: inputs.IssueApiKeyInput
    ) -> payloads.IssueApiKeyPayload:
        key, row = await partners.issue_api_key(
            info.context.deps, info.context.viewer, decode_id(input.user_id, "User", "userId"),
            input.name)
        return payloads.IssueApiKeyPayload(api_key=ApiKey.from_row(row, row.user), key=key)

    @mutation(description="Admin: revoke a key; it stops working at once.")
    async def revoke_api_key(
        self, info: Info, input: inputs.RevokeApiKeyInput
    ) -> payloads.RevokeApiKeyPayload:
        row = await partners.revoke_api_key(
            info.context.deps, info.context.viewer, decode_id(input.id, "ApiKey", "id"))
        return payloads.RevokeApiKeyPayload(api_key=ApiKey.from_row(row, row.user))

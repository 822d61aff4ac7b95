"""Accounts: register, sign in and out, staff accounts (models/actions/accounts.py)."""

from __future__ import annotations

import strawberry

from models.actions import accounts, sessions
from resolvers.mutations.base import client_ip, limit, mutation
from schema import inputs, payloads
from schema.accounts import User
from schema.context import Info
from schema.relay import decode_id


@strawberry.type
class AccountMutation:
    @mutation()
    async def register(self, info: Info, input: inputs.RegisterInput) -> payloads.RegisterPayload:
        await limit(info, "register", client_ip(info))
        await accounts.register(input.phone, input.password, input.display_name)
        signed = await accounts.login(input.phone, input.password, info.context.deps,
                                      client_ip(info))
        return payloads.RegisterPayload(token=signed.token, user=User.from_row(signed.user),
                                        expires_at=signed.expires_at)

    @mutation()
    async def login(self, info: Info, input: inputs.LoginInput) -> payloads.LoginPayload:
        signed = await accounts.login(input.phone, input.password, info.context.deps,
                                      client_ip(info))
        return payloads.LoginPayload(token=signed.token, user=User.from_row(signed.user),
                                     expires_at=signed.expires_at)

    @mutation(description="A new token for this session, valid TOKEN_TTL_DAYS from now; the "
              "token this request came with keeps working for 60 seconds more, then ends.")
    async def renew_session(self, info: Info) -> payloads.RenewSessionPayload:
        c = info.context
        if c.viewer.user_id is not None:
            await limit(info, "renewSession", str(c.viewer.user_id))
        issued, user = await sessions.renew(c.token, c.deps)
        return payloads.RenewSessionPayload(token=issued.token, user=User.from_row(user),
                                            expires_at=issued.expires_at)

    @mutation(description="Revoke this request's token (or all of the user's tokens).")
    async def logout(
        self, info: Info, input: inputs.LogoutInput | None = None
    ) -> payloads.LogoutPayload:
        everywhere = bool(input and input.all_sessions)
        c = info.context
        ok = await sessions.sign_out(c.token, c.deps, all_sessions=everywhere)
        if c.sessions is not None:  # this process's streams end now, the others' on their check
            await c.sessions.check()
        return payloads.LogoutPayload(ok=ok)

    @mutation()
    async def create_staff_account(
        self, info: Info, input: inputs.CreateStaffAccountInput
    ) -> payloads.CreateStaffAccountPayload:
        agency_id = decode_id(input.agency_id, "Agency", "agencyId") if input.agency_id else None
        user = await accounts.create_staff_account(
            info.context.viewer, phone=input.phone, password=input.password,
            display_name=input.display_name, role=input.role, agency_id=agency_id,
        )
        return payloads.CreateStaffAccountPayload(user=User.from_row(user))

"""What every mutation shares, so that each one reads: decode the input, call one use case,
return its typed payload.

`@mutation` turns an expected failure (a DomainError raised anywhere in the use case) into the
payload's `errors`, in the payload type the resolver is annotated with. Nothing was written:
every use case runs in one transaction. The success path is the resolver's own code, so mypy
checks every payload it builds.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, get_type_hints

import strawberry
from starlette.responses import Response

from models.errors import DomainError, Forbidden
from models.messages import _
from models.rules.policy import Viewer
from schema.context import Info
from schema.errors import UserError

Params = ParamSpec("Params")
P = TypeVar("P")


def mutation(description: str | None = None, *,
             machines: bool = False) -> Callable[[Callable[Params, Awaitable[P]]], Any]:
    """`machines`: an agency system signed in with its key may call it (models/actions/
    partners.py), counted against its `agencyKey` limit; every other mutation refuses machines.
    """
    def decorate(resolve: Callable[Params, Awaitable[P]]) -> Any:
        payload = get_type_hints(resolve)["return"]
        if "errors" not in getattr(payload, "__dataclass_fields__", {}):
            raise TypeError(f"{resolve.__name__} must return a payload with `errors`")

        @functools.wraps(resolve)
        async def guarded(*args: Params.args, **kwargs: Params.kwargs) -> P:
            try:
                info: Any = kwargs.get("info")
                viewer = getattr(getattr(info, "context", None), "viewer", None)
                if isinstance(viewer, Viewer) and viewer.via_api_key and viewer.is_staff:
                    if not machines:
                        raise Forbidden(_("A key for machines cannot do this; sign in as a "
                                          "person."))
                    await limit(info, "agencyKey", str(viewer.user_id))
                return await resolve(*args, **kwargs)
            except DomainError as error:
                failed: P = payload(errors=[UserError.from_domain(error)])
                return failed

        return strawberry.mutation(guarded, description=description)

    return decorate


async def limit(info: Info, rule: str, key: str) -> None:
    """Count one against a rate-limit rule and tell the client where it stands (GitHub-style
    headers); over the limit raises RateLimited, which `mutation` turns into a payload error."""
    window = await info.context.deps.throttle.hit(rule, key)
    response = info.context.response
    if window is not None and isinstance(response, Response):
        response.headers["X-RateLimit-Limit"] = str(window.limit)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(window.reset_at))


def client_ip(info: Info) -> str:
    client = info.context.request.client
    return client.host if client else "unknown"

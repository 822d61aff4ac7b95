"""The per-request context: who is asking, the domain's dependencies, fresh dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

from models.deps import Deps
from models.policy import Viewer
from resolvers.loaders import Loaders


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    viewer: Viewer
    deps: Deps
    request_id: str
    token: str | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.viewer.user_id)


Info = _Info[Context, None]

"""The per-request context: who is asking, the domain's dependencies, fresh dataloaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from models.deps import Deps
from models.rules.policy import Viewer
from realtime.memo import Memo
from resolvers.loaders import Loaders, supported_by

if TYPE_CHECKING:
    from media.service import MediaService
    from realtime.hub import Hub
    from realtime.live_figures import LiveFigures


@dataclass
class StreamControl:
    """Set when an event stream runs for a group of subscribers (realtime.fanout) rather than
    for one: either live only, telling the group where it starts and which event each result
    comes from, or a single subscriber's catch-up, which stops at the group's mark."""

    replay_until: int | None = None
    on_start: Callable[[int], None] | None = None
    on_event: Callable[[int], None] | None = None


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    viewer: Viewer
    deps: Deps
    request_id: str
    token: str | None = None
    hub: Hub | None = None
    figures: LiveFigures | None = None
    connection_params: dict[str, Any] | None = None
    memo: Memo = field(default_factory=lambda: Memo(max_age=0))  # shared by the server
    stream_control: StreamControl | None = None
    media: MediaService | None = None
    loaders: Loaders = field(init=False)
    _supported_by_viewer: DataLoader[int, bool] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.refresh_loaders(Loaders())

    def refresh_loaders(self, loaders: Loaders) -> None:
        """Live events bring a fresh (possibly shared) set: nothing cached is ever stale."""
        self.loaders = loaders
        self._supported_by_viewer = None

    @property
    def supported_by_viewer(self) -> DataLoader[int, bool]:
        # Made when first asked for: a WebSocket connection holds its context for hours.
        if self._supported_by_viewer is None:
            self._supported_by_viewer = supported_by(self.viewer.user_id)
        return self._supported_by_viewer


Info = _Info[Context, None]

"""The per-request context: who is asking, the domain's dependencies, fresh dataloaders, and
where live events come from."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from models.deps import Deps
from models.rules.policy import Viewer
from realtime.cache import Cache
from schema.loaders import Loaders, supported_by

if TYPE_CHECKING:
    from media.service import MediaService
    from realtime.hub import EventSource
    from realtime.live_figures import LiveFigures
    from realtime.session_watch import SessionWatch


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    viewer: Viewer
    deps: Deps
    request_id: str
    token: str | None = None
    # The hub's replay-then-live streams; a group sharing one execution swaps in a live feed,
    # and each of its members a replay (web/graphql/transport.py).
    events: EventSource | None = None
    # Ends a signed-in stream when its session ends.
    sessions: SessionWatch | None = None
    figures: LiveFigures | None = None
    connection_params: dict[str, Any] | None = None
    # Rankings and statistics between events, shared by the server's requests.
    memo: Cache[Hashable, Any] = field(default_factory=lambda: Cache(max_age=0))
    media: MediaService | None = None
    # Where this server is reached from (PUBLIC_URL, or the request's own): media URLs are
    # absolute, as a mobile app needs them.
    base_url: str = ""
    # Set once execution begins (schema/limits.py): an operation that never ran (it did not
    # parse, validate or coerce its variables) is a 400 in application/graphql-response+json.
    executed: bool = False
    # Set by the execution when public pages of reports may come as the database's JSON
    # (schema/projected_lists.py).
    projected_lists: bool = False
    loaders: Loaders = field(init=False)
    _supported_by_viewer: DataLoader[int, bool] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.refresh_loaders(Loaders(self.deps.directory, self.deps.now))

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

"""Settings, read once from the environment. Every variable is listed in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from models.rules.calendar import parse_dates

DEFAULT_SECRET = "dev-only-secret-change-me"


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    """"requests_ip=600/minute, submitReport=5/hour" -> (("requests_ip", "600/minute"), ...)."""
    pairs = []
    for part in value.split(","):
        if part.strip():
            name, _, spec = part.partition("=")
            pairs.append((name.strip(), spec.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://data/hien-truong.sqlite3"
    broadcast_url: str = "memory://"
    rate_limit_storage: str = ""  # empty: Redis when BROADCAST_URL is Redis, else memory
    secret_key: str = DEFAULT_SECRET
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    token_ttl_days: int = 30
    comment_interval_seconds: int = 60
    reminder_interval_seconds: int = 300
    event_poll_seconds: float = 1.0
    ws_init_timeout_seconds: int = 10
    ws_max_subscriptions: int = 20
    ws_queue_size: int = 1000
    ws_token_recheck_seconds: float = 5.0
    ws_max_connections_per_ip: int = 50
    ws_max_connections_per_user: int = 10
    ws_per_message_deflate: bool = False
    ws_share_subscriptions: bool = True
    allowed_origins: tuple[str, ...] = ()
    extra_days_off: tuple[date, ...] = field(default_factory=tuple)
    extra_working_days: tuple[date, ...] = field(default_factory=tuple)
    graphiql: bool = True
    introspection: bool = True
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_nodes: int = 50_000
    max_body_bytes: int = 1024 * 1024
    response_cache_seconds: float = 10.0  # anonymous queries; 0 turns the cache off
    figures_cache_seconds: float = 60.0  # agencyRankings and stats between events
    # Overrides of the rate-limit table (models/throttle.py), e.g. {"requests_ip": "0"} (off).
    rate_limits: tuple[tuple[str, str], ...] = ()
    media_dir: str = "data/media"  # local media storage (served under /media/)
    media_image_max_bytes: int = 10 * 1024 * 1024
    media_image_max_pixels: int = 40_000_000
    media_video_max_bytes: int = 100 * 1024 * 1024
    media_unattached_hours: float = 24.0  # then an upload no report uses is deleted
    media_cleanup_interval_seconds: int = 3600  # 0: never (tests drive it by hand)
    ffmpeg: str = "ffmpeg"  # empty: video uploads are refused
    log_level: str = "INFO"
    log_format: str = ""  # "json" or "text"; empty: text in development, JSON otherwise

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        d = cls()
        return cls(
            database_url=e.get("DATABASE_URL", d.database_url),
            broadcast_url=e.get("BROADCAST_URL", d.broadcast_url),
            rate_limit_storage=e.get("RATE_LIMIT_STORAGE", d.rate_limit_storage),
            secret_key=e.get("SECRET_KEY", d.secret_key),
            environment=e.get("APP_ENV", d.environment),
            host=e.get("HOST", d.host),
            port=int(e.get("PORT", d.port)),
            workers=int(e.get("WORKERS", d.workers)),
            token_ttl_days=int(e.get("TOKEN_TTL_DAYS", d.token_ttl_days)),
            comment_interval_seconds=int(
                e.get("COMMENT_INTERVAL_SECONDS", d.comment_interval_seconds)
            ),
            reminder_interval_seconds=int(
                e.get("REMINDER_INTERVAL_SECONDS", d.reminder_interval_seconds)
            ),
            extra_days_off=tuple(parse_dates(e.get("EXTRA_DAYS_OFF", ""))),
            extra_working_days=tuple(parse_dates(e.get("EXTRA_WORKING_DAYS", ""))),
            event_poll_seconds=float(e.get("EVENT_POLL_SECONDS", d.event_poll_seconds)),
            ws_init_timeout_seconds=int(
                e.get("WS_INIT_TIMEOUT_SECONDS", d.ws_init_timeout_seconds)
            ),
            ws_max_subscriptions=int(e.get("WS_MAX_SUBSCRIPTIONS", d.ws_max_subscriptions)),
            ws_queue_size=int(e.get("WS_QUEUE_SIZE", d.ws_queue_size)),
            ws_token_recheck_seconds=float(
                e.get("WS_TOKEN_RECHECK_SECONDS", d.ws_token_recheck_seconds)
            ),
            ws_max_connections_per_ip=int(
                e.get("WS_MAX_CONNECTIONS_PER_IP", d.ws_max_connections_per_ip)
            ),
            ws_max_connections_per_user=int(
                e.get("WS_MAX_CONNECTIONS_PER_USER", d.ws_max_connections_per_user)
            ),
            ws_per_message_deflate=_bool(e.get("WS_PER_MESSAGE_DEFLATE", "false")),
            ws_share_subscriptions=_bool(e.get("WS_SHARE_SUBSCRIPTIONS", "true")),
            allowed_origins=tuple(
                o.strip() for o in e.get("ALLOWED_ORIGINS", "").split(",") if o.strip()
            ),
            graphiql=_bool(e.get("GRAPHIQL", "true")),
            introspection=_bool(e.get("INTROSPECTION", "true")),
            max_query_depth=int(e.get("MAX_QUERY_DEPTH", d.max_query_depth)),
            max_aliases=int(e.get("MAX_ALIASES", d.max_aliases)),
            max_tokens=int(e.get("MAX_TOKENS", d.max_tokens)),
            max_query_nodes=int(e.get("MAX_QUERY_NODES", d.max_query_nodes)),
            max_body_bytes=int(e.get("MAX_BODY_BYTES", d.max_body_bytes)),
            rate_limits=_pairs(e.get("RATE_LIMITS", "")),
            response_cache_seconds=float(
                e.get("RESPONSE_CACHE_SECONDS", d.response_cache_seconds)
            ),
            figures_cache_seconds=float(
                e.get("FIGURES_CACHE_SECONDS", d.figures_cache_seconds)
            ),
            media_dir=e.get("MEDIA_DIR", d.media_dir),
            media_image_max_bytes=int(e.get("MEDIA_IMAGE_MAX_BYTES", d.media_image_max_bytes)),
            media_image_max_pixels=int(
                e.get("MEDIA_IMAGE_MAX_PIXELS", d.media_image_max_pixels)
            ),
            media_video_max_bytes=int(e.get("MEDIA_VIDEO_MAX_BYTES", d.media_video_max_bytes)),
            media_unattached_hours=float(
                e.get("MEDIA_UNATTACHED_HOURS", d.media_unattached_hours)
            ),
            media_cleanup_interval_seconds=int(
                e.get("MEDIA_CLEANUP_INTERVAL_SECONDS", d.media_cleanup_interval_seconds)
            ),
            ffmpeg=e.get("FFMPEG", d.ffmpeg),
            log_level=e.get("LOG_LEVEL", d.log_level),
            log_format=e.get("LOG_FORMAT", "") or (
                "text" if e.get("APP_ENV", d.environment) == "development" else "json"
            ),
        )

    @property
    def rate_limit_storage_uri(self) -> str:
        if self.rate_limit_storage:
            return self.rate_limit_storage
        if self.broadcast_url.startswith(("redis://", "rediss://")):
            return "async+" + self.broadcast_url
        return "async+memory://"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def check(self) -> None:
        """Refuse to run a real deployment with the well-known development secret."""
        if not self.is_development and self.secret_key == DEFAULT_SECRET:
            raise SystemExit("SECRET_KEY must be set when APP_ENV is not 'development'.")

"""Settings, read once from the environment: each is declared once, on one line, with its
environment variable, type and default. Every variable is listed in the README."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from starlette.config import Config

from models.rules.calendar import parse_dates

DEFAULT_SECRET = "dev-only-secret-change-me"
# Off outside development unless their variable says otherwise.
LOCKED_DOWN = {"graphiql": "GRAPHIQL", "introspection": "INTROSPECTION"}


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _words(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _dates(value: str) -> tuple[date, ...]:
    return tuple(parse_dates(value))


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    """"requests_ip=600/minute, submitReport=5/hour" -> (("requests_ip", "600/minute"), ...)."""
    pairs = []
    for part in value.split(","):
        if part.strip():
            name, _, spec = part.partition("=")
            pairs.append((name.strip(), spec.strip()))
    return tuple(pairs)


def env(name: str, default: Any, cast: Callable[[str], Any] = str) -> Any:
    """A setting read from the environment variable `name`, cast from its text."""
    return dataclasses.field(default=default, metadata={"env": name, "cast": cast})


@dataclasses.dataclass(frozen=True)
class Settings:
    database_url: str = env("DATABASE_URL", "sqlite://data/hien-truong.sqlite3")
    # A PostgreSQL streaming replica for anonymous queries (web/replica.py); empty: none.
    database_replica_url: str = env("DATABASE_REPLICA_URL", "")
    replica_check_seconds: float = env("REPLICA_CHECK_SECONDS", 0.2, float)
    broadcast_url: str = env("BROADCAST_URL", "memory://")
    # Empty: Redis when BROADCAST_URL is Redis, else memory.
    rate_limit_storage: str = env("RATE_LIMIT_STORAGE", "")
    secret_key: str = env("SECRET_KEY", DEFAULT_SECRET)
    environment: str = env("APP_ENV", "development")
    host: str = env("HOST", "127.0.0.1")
    port: int = env("PORT", 8000, int)
    workers: int = env("WORKERS", 1, int)
    # On SIGTERM, requests in flight get this long to finish (web/draining.py).
    graceful_shutdown_seconds: int = env("GRACEFUL_SHUTDOWN_SECONDS", 10, int)
    # ... and before that, this long with /readyz at 503 while still answering everything.
    shutdown_delay_seconds: float = env("SHUTDOWN_DELAY_SECONDS", 0.0, float)
    # /metrics (web/metrics.py) answers only `Authorization: Bearer <this>`; empty: off.
    metrics_token: str = env("METRICS_TOKEN", "")
    metrics_sample_seconds: float = env("METRICS_SAMPLE_SECONDS", 5.0, float)
    # Outbound webhooks (models/actions/webhooks.py, realtime/webhooks.py): how often a process
    # looks for due deliveries (0: this process sends none), how long a receiver may take,
    # whether private addresses may receive, and a factor on the retry schedule (tests).
    webhook_poll_seconds: float = env("WEBHOOK_POLL_SECONDS", 1.0, float)
    webhook_timeout_seconds: float = env("WEBHOOK_TIMEOUT_SECONDS", 5.0, float)
    webhooks_allow_private: bool = env("WEBHOOKS_ALLOW_PRIVATE", False, _bool)
    webhook_retry_scale: float = env("WEBHOOK_RETRY_SCALE", 1.0, float)
    # Citizens' notifications (models/actions/notifications.py, realtime/notifications.py): how
    # often a process looks for due ones (0: this process sends none); Web Push needs a VAPID
    # key pair (`python server.py vapid-key` makes one; the private key in base64url) and a
    # contact (mailto: or https:); e-mail an SMTP server (smtp://user:password@host:port,
    # smtps:// for TLS, smtp+starttls://) and a sender. A channel without its settings is off.
    notification_poll_seconds: float = env("NOTIFICATION_POLL_SECONDS", 1.0, float)
    vapid_private_key: str = env("VAPID_PRIVATE_KEY", "")
    vapid_subject: str = env("VAPID_SUBJECT", "mailto:ioc@example.invalid")
    smtp_url: str = env("SMTP_URL", "")
    mail_from: str = env("MAIL_FROM", "Phản ánh hiện trường <no-reply@example.invalid>")
    notification_timeout_seconds: float = env("NOTIFICATION_TIMEOUT_SECONDS", 10.0, float)
    notifications_allow_private: bool = env("NOTIFICATIONS_ALLOW_PRIVATE", False, _bool)
    # OpenTelemetry traces over OTLP (web/tracing.py; OTEL_EXPORTER_OTLP_ENDPOINT says where).
    tracing: bool = env("TRACING", False, _bool)
    token_ttl_days: int = env("TOKEN_TTL_DAYS", 30, int)
    comment_interval_seconds: int = env("COMMENT_INTERVAL_SECONDS", 60, int)
    reminder_interval_seconds: int = env("REMINDER_INTERVAL_SECONDS", 300, int)
    event_poll_seconds: float = env("EVENT_POLL_SECONDS", 1.0, float)
    ws_init_timeout_seconds: int = env("WS_INIT_TIMEOUT_SECONDS", 10, int)
    ws_max_subscriptions: int = env("WS_MAX_SUBSCRIPTIONS", 20, int)
    ws_queue_size: int = env("WS_QUEUE_SIZE", 1000, int)
    ws_token_recheck_seconds: float = env("WS_TOKEN_RECHECK_SECONDS", 5.0, float)
    # How long a process trusts a session it has read (0: a query per request); a sign-out
    # on another process is noticed after at most this long, as by open subscriptions.
    session_cache_seconds: float = env("SESSION_CACHE_SECONDS", 5.0, float)
    # How long a process keeps agencies and categories it has read (0: never); an admin's
    # change on another process is seen after at most this long, as by the response cache.
    directory_cache_seconds: float = env("DIRECTORY_CACHE_SECONDS", 10.0, float)
    ws_max_connections_per_ip: int = env("WS_MAX_CONNECTIONS_PER_IP", 50, int)
    ws_max_connections_per_user: int = env("WS_MAX_CONNECTIONS_PER_USER", 10, int)
    ws_per_message_deflate: bool = env("WS_PER_MESSAGE_DEFLATE", False, _bool)
    # A client's WebSocket message: over this the connection is closed (4400) before the
    # message is parsed; uvicorn refuses frames over WS_MAX_SIZE before they are even read.
    ws_max_message_bytes: int = env("WS_MAX_MESSAGE_BYTES", 16 * 1024, int)
    ws_max_size: int = env("WS_MAX_SIZE", 64 * 1024, int)
    ws_share_subscriptions: bool = env("WS_SHARE_SUBSCRIPTIONS", True, _bool)
    allowed_origins: tuple[str, ...] = env("ALLOWED_ORIGINS", (), _words)
    extra_days_off: tuple[date, ...] = env("EXTRA_DAYS_OFF", (), _dates)
    extra_working_days: tuple[date, ...] = env("EXTRA_WORKING_DAYS", (), _dates)
    # Both on in development; outside it (APP_ENV=production...) off unless set: a production
    # API does not hand its schema, nor "did you mean" suggestions, to every visitor.
    graphiql: bool = env("GRAPHIQL", True, _bool)
    introspection: bool = env("INTROSPECTION", True, _bool)
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, "*" for
    # any); empty: none, so nobody can claim another address and slip past per-IP limits.
    forwarded_allow_ips: str = env("FORWARDED_ALLOW_IPS", "")
    # The address clients reach this server at (https://phananh.hue.gov.vn): media URLs and
    # links are absolute. Empty: the scheme and host each request came with.
    public_url: str = env("PUBLIC_URL", "", lambda v: v.strip().rstrip("/"))
    # "automatic": Apollo's automatic persisted queries (any valid document may be registered
    # by its hash); "trusted": only documents registered with `register-documents` (and the
    # wall's) run; "off".
    persisted_queries: str = env("PERSISTED_QUERIES", "automatic", lambda v: v.strip().lower())
    max_query_depth: int = env("MAX_QUERY_DEPTH", 10, int)
    max_aliases: int = env("MAX_ALIASES", 30, int)
    max_tokens: int = env("MAX_TOKENS", 5000, int)
    max_query_nodes: int = env("MAX_QUERY_NODES", 50_000, int)
    # What one operation may do, whatever its estimate said: fields executed, wall-clock
    # seconds, and bytes of answer.
    max_operation_fields: int = env("MAX_OPERATION_FIELDS", 20_000, int)
    max_operation_seconds: float = env("MAX_OPERATION_SECONDS", 5.0, float)
    max_response_bytes: int = env("MAX_RESPONSE_BYTES", 4 * 1024 * 1024, int)
    # Lists whose selection is plain complete by a compiled plan (schema/compiled_lists.py);
    # false: every field the ordinary graphql-core way (for comparison).
    compiled_lists: bool = env("COMPILED_LISTS", True, _bool)
    # Public pages of reports written as JSON by PostgreSQL (schema/projected_lists.py);
    # false: completed in Python (for comparison). Nothing changes on SQLite.
    projected_lists: bool = env("PROJECTED_LISTS", True, _bool)
    # A document that is one public page of reports and nothing else skips graphql-core's
    # executor once it has run the ordinary way (web/graphql/page_documents.py); false: never.
    page_documents: bool = env("PAGE_DOCUMENTS", True, _bool)
    max_body_bytes: int = env("MAX_BODY_BYTES", 1024 * 1024, int)
    # Anonymous queries; 0 turns the cache off.
    response_cache_seconds: float = env("RESPONSE_CACHE_SECONDS", 10.0, float)
    # An event empties only the cached answers it can change, and popular ones are recomputed
    # in the background (realtime/answer_tags.py); false: every event empties everything.
    response_cache_tags: bool = env("RESPONSE_CACHE_TAGS", True, _bool)
    # agencyRankings and stats between events.
    figures_cache_seconds: float = env("FIGURES_CACHE_SECONDS", 60.0, float)
    # Overrides of the rate-limit table (models/throttle.py), e.g. "requests_ip=0" (off).
    rate_limits: tuple[tuple[str, str], ...] = env("RATE_LIMITS", (), _pairs)
    media_dir: str = env("MEDIA_DIR", "data/media")  # local media storage, served at /media/
    # An S3-compatible bucket instead (media/s3.py): s3://bucket?endpoint=...&region=...
    media_store: str = env("MEDIA_STORE", "")
    media_s3_access_key_id: str = env("MEDIA_S3_ACCESS_KEY_ID", os.environ.get(
        "AWS_ACCESS_KEY_ID", ""))
    media_s3_secret_access_key: str = env("MEDIA_S3_SECRET_ACCESS_KEY", os.environ.get(
        "AWS_SECRET_ACCESS_KEY", ""))
    media_signed_url_seconds: int = env("MEDIA_SIGNED_URL_SECONDS", 300, int)
    media_image_max_bytes: int = env("MEDIA_IMAGE_MAX_BYTES", 10 * 1024 * 1024, int)
    media_image_max_pixels: int = env("MEDIA_IMAGE_MAX_PIXELS", 40_000_000, int)
    media_video_max_bytes: int = env("MEDIA_VIDEO_MAX_BYTES", 100 * 1024 * 1024, int)
    # Then an upload no report uses is deleted.
    media_unattached_hours: float = env("MEDIA_UNATTACHED_HOURS", 24.0, float)
    # 0: never (tests drive it by hand).
    media_cleanup_interval_seconds: int = env("MEDIA_CLEANUP_INTERVAL_SECONDS", 3600, int)
    ffmpeg: str = env("FFMPEG", "ffmpeg")  # empty: video uploads are refused
    # web/collector.py: freeze what lived this long out of full collections (0: never), and
    # thaw everything after this many freezes so that closed connections' cycles are freed.
    gc_freeze_seconds: float = env("GC_FREEZE_SECONDS", 0.0, float)
    gc_thaw_after: int = env("GC_THAW_AFTER", 60, int)
    log_level: str = env("LOG_LEVEL", "INFO")
    # "json" or "text"; empty: text in development, JSON otherwise.
    log_format: str = env("LOG_FORMAT", "")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        config = Config(environ=dict(os.environ if environ is None else environ))
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            value = config(f.metadata["env"], cast=f.metadata["cast"], default=None)
            values[f.name] = f.default if value is None else value
        settings = cls(**values)
        if not settings.is_development:
            locked: dict[str, Any] = {name: False for name, variable in LOCKED_DOWN.items()
                      if config(variable, default=None) is None}
            settings = dataclasses.replace(settings, **locked)
        if not settings.log_format:
            settings = dataclasses.replace(
                settings, log_format="text" if settings.is_development else "json")
        return settings

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
        """Refuse to run a real deployment with the well-known development secret, or with a
        setting that cannot mean anything."""
        if not self.is_development and self.secret_key == DEFAULT_SECRET:
            raise SystemExit("SECRET_KEY must be set when APP_ENV is not 'development'.")
        if self.persisted_queries not in ("automatic", "trusted", "off"):
            raise SystemExit("PERSISTED_QUERIES must be automatic, trusted or off.")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise SystemExit("PUBLIC_URL must start with http:// or https://.")

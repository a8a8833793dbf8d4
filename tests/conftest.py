"""Shared fixtures: a migrated template database, a fresh clone per test, app instances."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests import db, leakscan

# The log scan (tests/leakscan.py): DEBUG for the whole session; a registered secret seen in a
# log line, a WebSocket frame or a server log fails the run.
pytest_runtest_protocol = leakscan.pytest_runtest_protocol
pytest_sessionfinish = leakscan.pytest_sessionfinish
pytest_testnodedown = leakscan.pytest_testnodedown
pytest_terminal_summary = leakscan.pytest_terminal_summary
pytest_unconfigure = leakscan.pytest_unconfigure


# Marked `slow` wherever they are: a browser test starts Chromium and a server of its own.
SLOW_DIRS = ("tests/browser/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW_DIRS):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config: pytest.Config) -> None:
    leakscan.pytest_configure(config)
    # Every app installs web/redact.py in its lifespan (with its columns' secret values). Adapter
    # tests run adapters with no app around them, so the session installs the same scrubbing
    # (credential shapes, no values), as a `metronome serve` process has it.
    from web.redact import Redactor, install

    install(Redactor())


# The suite must prove the real thing in CI: a missing database there is a failure.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server DSN (asyncpg form) with rights to create databases."""
    dsn = db.server_dsn()
    if asyncio.run(db.reachable(dsn)):
        yield dsn
        return
    if IN_CI or os.environ.get("METRONOME_TEST_PG"):
        pytest.fail(f"PostgreSQL is not reachable at {dsn} (set METRONOME_TEST_PG)")
    # A developer machine without a server: the embedded one, as `metronome serve` uses.
    from web import embedded

    url = embedded.start(Path(tmp_path_factory.mktemp("pg"))).url
    yield url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> Iterator[str]:
    """A database migrated once with alembic; every test clones it."""
    from web.database import migrate

    name = db.unique_name("metronome_tpl")
    asyncio.run(db.create_database(pg_server, name))
    migrate(db.asyncpg_url(db.with_database(pg_server, name)))
    yield name
    asyncio.run(db.drop_database(pg_server, name))


@pytest.fixture(scope="session")
def janitor(pg_server: str) -> Iterator[db.Janitor]:
    """Drops each test's database in the background (tests/db.py Janitor)."""
    cleaner = db.Janitor(pg_server)
    yield cleaner
    cleaner.close()


@pytest.fixture
async def database_url(pg_server: str, template_db: str, janitor: db.Janitor) -> AsyncIterator[str]:
    """A fresh database for this test only (asyncpg SQLAlchemy URL)."""
    name = db.unique_name("metronome_t")
    await db.create_database(pg_server, name, template=template_db)
    yield db.asyncpg_url(db.with_database(pg_server, name))
    janitor.drop(name)


@pytest.fixture
async def server(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[object]:
    """A running app on this test's database, with `metronome serve`'s frame writer or the one
    the test is parametrized with (tests/writers.py, EACH_WRITER)."""
    from tests.support import running_app
    from tests.writers import WRITERS, taking

    writer = getattr(request, "param", "direct")
    # A high command rate: tests drive thousands of commands; the flood test sets its own.
    async with running_app(
        database_url, uvicorn_options=WRITERS[writer], METRONOME_WS_RATE="100000"
    ) as running:
        with taking(running, writer, required=hasattr(request, "param")):
            yield running


async def _client(server: object, role: str) -> AsyncIterator[object]:
    from tests.support import Client, make_user, session_cookie

    email = await make_user(server.database_url, role)  # type: ignore[attr-defined]
    cookie = await session_cookie(server.database_url, email)  # type: ignore[attr-defined]
    async with Client.connect(server, cookie=cookie) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
async def admin(server: object) -> AsyncIterator[object]:
    """A WebSocket client signed in as an admin."""
    async for client in _client(server, "admin"):
        yield client


@pytest.fixture
async def editor(server: object) -> AsyncIterator[object]:
    """A WebSocket client signed in as an editor."""
    async for client in _client(server, "editor"):
        yield client


@pytest.fixture
async def viewer(server: object) -> AsyncIterator[object]:
    """A WebSocket client signed in as a viewer."""
    async for client in _client(server, "viewer"):
        yield client


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """A full collection after every test, so garbage a test left (a pooled connection never
    returned, a coroutine never awaited) is reported at that test's teardown, not at some
    later test's. (What an app froze once settled, web/app.py settle, stays frozen: unfrozen
    every time, the suite took a third longer.)"""
    yield
    gc.collect()


# `metronome serve` subprocess fixture for browser and process tests.
from tests.live import live_server  # noqa: E402,F401

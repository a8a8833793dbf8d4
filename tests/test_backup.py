"""Backups: `metronome backup` / `metronome restore` bring back exactly the board that was saved;
the nightly backup runs at its time and keeps the newest few."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from tests import db
from tests.clock import FakeClock
from tests.live import LiveServer
from tests.support import Client, login, make_user, running_app
from web import backup
from web.settings import SettingError, load


@pytest.mark.parametrize(
    ("now", "at", "expected"),
    [
        (datetime(2026, 11, 22, 2, 0, tzinfo=UTC), time(3, 0), datetime(2026, 11, 22, 3, 0)),
        (datetime(2026, 11, 22, 3, 0, tzinfo=UTC), time(3, 0), datetime(2026, 11, 23, 3, 0)),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), time(0, 0), datetime(2027, 1, 1, 0, 0)),
    ],
)
def test_next_run(now: datetime, at: time, expected: datetime) -> None:
    """The next backup is the next moment of the day at that time, never now again."""
    assert backup.next_run(now, at) == expected.replace(tzinfo=UTC)


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    """Only nightly backups count; the newest ``keep`` of them stay."""
    for day in range(1, 10):
        (tmp_path / f"metronome-2026-11-{day:02d}.dump").write_bytes(b"x")
    (tmp_path / "before-the-upgrade.dump").write_bytes(b"mine")
    removed = backup.prune(tmp_path, 7)
    assert [p.name for p in removed] == ["metronome-2026-11-01.dump", "metronome-2026-11-02.dump"]
    assert len(list(tmp_path.glob("metronome-*.dump"))) == 7
    assert (tmp_path / "before-the-upgrade.dump").exists()


def test_backup_settings(tmp_path: Path) -> None:
    """Nightly at 03:00 UTC for the embedded database, off for a server unless set; a bad
    value stops the start naming the setting."""
    base = {"METRONOME_DATA_DIR": str(tmp_path)}
    assert load(base).backup_at == time(3, 0) and load(base).backup_keep == 7
    server = {**base, "DATABASE_URL": "postgresql://u@db/metronome"}
    assert load(server).backup_at is None
    assert load({**server, "METRONOME_BACKUP_AT": "23:30"}).backup_at == time(23, 30)
    assert load({**base, "METRONOME_BACKUP_AT": "off"}).backup_at is None
    for bad in ("25:00", "3pm", "٣:00"):
        with pytest.raises(SettingError) as caught:
            load({**base, "METRONOME_BACKUP_AT": bad})
        assert caught.value.name == "METRONOME_BACKUP_AT"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`metronome …` as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def snapshot(database_url: str) -> dict[str, Any]:
    """Every table's rows in key order, and every sequence's position: the whole board."""
    async with db.connect(database_url) as conn:
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " ORDER BY table_name"
            )
        ]
        found: dict[str, Any] = {
            t: [tuple(r) for r in await conn.fetch(f'SELECT * FROM "{t}" ORDER BY 1')]
            for t in tables
        }
        for r in await conn.fetch("SELECT sequencename, last_value FROM pg_sequences"):
            found[f"sequence {r['sequencename']}"] = r["last_value"]
        return found


async def fill_board(client: Client) -> None:
    """Columns, queued and paused cards, a marker, a draft: a board worth saving."""
    pid = (
        await client.ok(
            "platform.create",
            {"kind": "log", "name": "Утро", "interval_s": 3600, "settings": {"utm": False}},
        )
    )["id"]
    inbox = (await client.ok("platform.create", {"kind": "drafts", "name": "Inbox"}))["id"]
    for n in range(5):
        await client.ok("snippet.create", {"platform_id": pid, "body": f"card {n} ✓"})
    await client.ok("marker.create", {"platform_id": pid, "interval_s": 7200})
    await client.ok("snippet.create", {"platform_id": inbox, "body": "a draft"})
    await client.ok("platform.pause", {"id": pid})
    # The pause's patch (etas gone) comes after its reply: the board as saved includes it.
    await client.wait_for(
        lambda s: (
            s["platforms"][str(pid)]["paused"]
            and not any(c.get("eta") for c in s["snippets"].values() if c["platform_id"] == pid)
        )
    )


async def test_backup_wipe_restore_is_the_same_board(database_url: str, tmp_path: Path) -> None:
    """The drill against a server (DATABASE_URL, its own pg_dump): back up a board, wipe the
    database, restore: every row and sequence is back, and the board's state is the same."""
    env = {"DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    async with running_app(database_url) as app:
        email = await make_user(database_url, "admin")
        async with Client.connect(app, cookie=await login(app.url, email)) as client:
            await fill_board(client)
            before_state = client.state
        beside = cli(env, "backup", str(tmp_path / "board.dump"))  # while serving: fine
        assert beside.returncode == 0, beside.stderr
        refused = cli(env, "restore", str(tmp_path / "board.dump"))
        assert refused.returncode == 2
        assert "stop metronome serve" in refused.stderr and "Traceback" not in refused.stderr
    done = cli(env, "backup", str(tmp_path / "board.dump"))
    assert done.returncode == 0, done.stderr
    assert "backed up to" in done.stdout
    before = await snapshot(database_url)
    async with db.connect(database_url) as conn:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    assert await snapshot(database_url) == {}
    done = cli(env, "restore", str(tmp_path / "board.dump"))
    assert done.returncode == 0, done.stderr
    assert await snapshot(database_url) == before
    async with running_app(database_url) as app:
        async with Client.connect(app, cookie=await login(app.url, email)) as client:
            assert {k: v for k, v in client.state.items() if k != "me"} == {
                k: v for k, v in before_state.items() if k != "me"
            }


def test_restore_of_a_missing_or_broken_file_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """A bad FILE is one clear line and exit 2; the database is untouched."""
    env = {"DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    missing = cli(env, "restore", str(tmp_path / "nope.dump"))
    assert missing.returncode == 2 and "is not a file" in missing.stderr
    (tmp_path / "junk.dump").write_bytes(b"not a dump at all")
    broken = cli(env, "restore", str(tmp_path / "junk.dump"))
    assert broken.returncode == 2 and "pg_restore failed" in broken.stderr, broken.stderr
    assert "Traceback" not in broken.stderr
    users = cli(env, "user", "list")
    assert users.returncode == 0, users.stderr  # the schema is still there


async def test_the_nightly_backup_runs_at_its_time_and_keeps_the_newest(
    database_url: str,
) -> None:
    """At METRONOME_BACKUP_AT the app writes tonight's backup into <data dir>/backups and keeps
    METRONOME_BACKUP_KEEP of them."""
    clock = FakeClock(datetime(2026, 11, 22, 2, 59, 30, tzinfo=UTC))
    async with running_app(
        database_url, clock=clock, METRONOME_BACKUP_AT="03:00", METRONOME_BACKUP_KEEP="2"
    ) as app:
        directory = app.services.settings.data_dir / "backups"
        directory.mkdir()
        for day in (19, 20, 21):
            (directory / f"metronome-2026-11-{day}.dump").write_bytes(b"old")
        await clock.advance(31)
        tonight = directory / "metronome-2026-11-22.dump"
        for _ in range(200):
            if tonight.exists() and len(list(directory.iterdir())) == 2:
                break
            await clock.advance(0)
            await asyncio.sleep(0.1)
        assert sorted(p.name for p in directory.iterdir()) == [
            "metronome-2026-11-21.dump",
            "metronome-2026-11-22.dump",
        ]
        assert tonight.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format


@pytest.fixture
def embedded_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mtr") as data_dir:  # short: the socket is in it
        yield Path(data_dir)


@pytest.mark.slow
def test_the_embedded_database_backed_up_and_restored_with_its_own_tools(
    embedded_dir: Path,
) -> None:
    """The embedded default: `metronome backup` beside a running server, the database's files
    lost, `metronome restore` into a new one: the same board (the package's pg_dump 18)."""
    server = LiveServer(None, embedded_dir)
    server.start()
    try:
        night = {"kind": "log", "name": "Ночь", "interval_s": 600, "paused": True}
        pid = server.command("platform.create", night)["id"]
        for n in range(3):
            server.command("snippet.create", {"platform_id": pid, "body": f"card {n}"})
        before = server.state()
        env = {"METRONOME_DATA_DIR": str(embedded_dir), **secret(server)}
        done = cli(env, "backup", str(embedded_dir / "board.dump"))
        assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    shutil.rmtree(embedded_dir / "pgdata")
    done = cli(env, "restore", str(embedded_dir / "board.dump"))
    assert done.returncode == 0, done.stderr
    server.start()
    try:
        after = server.state()
    finally:
        server.stop()
    assert after["platforms"] == before["platforms"] and after["snippets"] == before["snippets"]


def secret(server: LiveServer) -> dict[str, str]:
    return {"METRONOME_SECRET_KEY": server.env["METRONOME_SECRET_KEY"]}

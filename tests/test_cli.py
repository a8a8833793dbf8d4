"""The `metronome` command: settings errors, users, tokens, and the embedded database's life."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.fakes.server import free_port


def run(
    args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"DATABASE_URL": "mysql://root@127.0.0.1/test"}, ["migrate"], "DATABASE_URL"),
        ({"DATABASE_URL": "not a url at all"}, ["migrate"], "DATABASE_URL"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/x"},
            ["migrate"],
            "DATABASE_URL",
        ),
        ({"METRONOME_MIN_INTERVAL_S": "often"}, ["migrate"], "METRONOME_MIN_INTERVAL_S"),
        (
            {"METRONOME_ALLOWED_ORIGINS": "board.example.org"},
            ["migrate"],
            "METRONOME_ALLOWED_ORIGINS",
        ),
        ({}, ["serve", "--bogus"], "--bogus"),
    ],
)
def test_bad_setting_is_one_clear_line(
    tmp_path: Path, env: dict[str, str], args: list[str], named: str
) -> None:
    """A bad setting exits non-zero with a line naming it, never a traceback."""
    result = run(args, {"METRONOME_DATA_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 2


def test_users_and_tokens(database_url: str, tmp_path: Path) -> None:
    """user create reads the password from stdin; user list shows it; token create prints a working token."""
    env = {"DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    created = run(
        ["user", "create", "--email", "Ed@Example.org", "--role", "editor"],
        env,
        stdin="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    duplicate = run(
        ["user", "create", "--email", "ed@example.org", "--role", "editor"],
        env,
        stdin="a long password\n",
    )
    assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    listed = run(["user", "list"], env)
    assert "ed@example.org\teditor" in listed.stdout
    token = run(["token", "create", "--email", "ed@example.org", "--name", "cms"], env)
    assert token.returncode == 0 and token.stdout.strip().startswith("mtr_")
    assert run(["token", "create", "--email", "nobody@example.org"], env).returncode != 0


def test_user_create_author(database_url: str, tmp_path: Path) -> None:
    """`user create --role author` makes an author (CONTRACT §1, §12); an unknown role is one
    clear line."""
    env = {"DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    created = run(
        ["user", "create", "--email", "reporter@example.org", "--role", "author"],
        env,
        stdin="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "reporter@example.org\tauthor" in run(["user", "list"], env).stdout
    wrong = run(["user", "create", "--email", "x@example.org", "--role", "chief"], env, stdin="p\n")
    assert wrong.returncode != 0 and "chief" in wrong.stderr and "Traceback" not in wrong.stderr


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited"
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not become healthy")


@pytest.mark.fault
def test_embedded_database_survives_kill_9(tmp_path: Path) -> None:
    """Serve on the embedded default; after kill -9 the next start reattaches; SIGTERM stops it all."""
    env = {**os.environ, "METRONOME_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    cmd = [sys.executable, "-m", "web.cli", "serve", "--port", str(port)]
    first = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    wait_healthy(url, first)
    output = (tmp_path / "serve.log").read_text()
    assert "Created the admin user: admin@example.org password: " in output
    password = output.split("password: ")[1].split()[0]
    pgdata = tmp_path / "data" / "pgdata"
    assert postgres_processes(pgdata)
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(url, second)
        login = httpx.post(
            url + "/api/login", json={"email": "admin@example.org", "password": password}
        )
        assert login.status_code == 200, "the same database, with the same admin"
        assert (tmp_path / "serve.log").read_text().count("Created the admin user") == 1
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    assert "Finished server process" in (tmp_path / "serve.log").read_text()
    deadline = time.monotonic() + 15
    while postgres_processes(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postgres_processes(pgdata), "the embedded server outlived metronome"


def test_newest_revision_is_alembics_head(database_url: str) -> None:
    """`serve` skips alembic when the database is at the newest revision read off the file
    names: that must be alembic's own head, and a migrated database must be at it."""
    import asyncio

    from alembic.script import ScriptDirectory

    from web.database import alembic_config, current_revision, newest_revision

    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert newest_revision() == head
    assert asyncio.run(current_revision(database_url)) == head


async def test_pool_is_opened_at_start(database_url: str) -> None:
    """Every pooled connection is opened when the pool is, each a distinct server session; a
    database that cannot be reached then stops the start with one line naming DATABASE_URL."""
    import asyncpg

    from web.database import asyncpg_dsn, open_database
    from web.settings import SettingError

    database = await open_database(database_url, size=4)
    try:
        probe = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            sessions = await probe.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'metronome'"
            )
        finally:
            await probe.close()
        assert sessions == 4
    finally:
        await database.close()

    with pytest.raises(SettingError, match="DATABASE_URL: cannot connect"):
        await open_database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing", size=2)


async def test_connections_go_back_when_their_task_is_cancelled(database_url: str) -> None:
    """A command cancelled mid-transaction (the app stopping) rolls back and returns its
    connection: closing the pool then finds every connection home, none left to the GC."""
    from web.database import open_database

    database = await open_database(database_url, size=2)
    started = asyncio.Event()

    async def stuck() -> None:
        async with database.transaction() as db:
            await db.execute("CREATE TEMP TABLE t (x int)")
            started.set()
            await db.execute("SELECT pg_sleep(30)")

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    async with asyncio.timeout(10):
        async with database.transaction() as db, database.transaction() as other:
            # Both of the pool's two connections are back, and neither is left mid-transaction.
            assert await db.fetchval("SELECT 1") == await other.fetchval("SELECT 1") == 1
        await database.close()


def test_commands_on_the_embedded_database_warn_nothing(tmp_path: Path) -> None:
    """No RuntimeDirWarning on any command (the runtime dir is made 0700, also when an older
    version left it 0755), and no alembic set-up chatter while migrating."""
    data = tmp_path / "data"
    (data / "run").mkdir(parents=True, mode=0o755)
    (data / "run").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    env["METRONOME_DATA_DIR"] = str(data)
    for args in (["migrate"], ["user", "list"]):
        result = subprocess.run(
            [sys.executable, "-m", "web.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        out = result.stdout + result.stderr
        assert "RuntimeDirWarning" not in out and "Warning" not in out, out
        assert "setup plugin" not in out and "Context impl" not in out, out
    assert (data / "run").stat().st_mode & 0o777 == 0o700


def test_migrating_says_only_what_it_runs(database_url: str, tmp_path: Path) -> None:
    """`metronome migrate` on a fresh database lists the upgrades it runs, nothing else."""
    import asyncio

    import asyncpg

    async def reset() -> None:
        db = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            await db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await db.close()

    asyncio.run(reset())
    result = run(["migrate"], {"DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all("Running upgrade" in line for line in lines), lines

"""`metronome serve` as a real subprocess on a fresh database, for browser and process tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.sync.client import connect

from tests import db, leakscan
from tests.fakes.server import free_port

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "admin-password-123"


class LiveServer:
    """One `metronome serve` process; restart() keeps its port and database. Without a
    ``database_url`` it runs the embedded PostgreSQL under ``data_dir``, as `metronome serve`
    does by default."""

    def __init__(
        self, database_url: str | None, data_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        # The embedded server listens on a socket in its data directory (web/embedded.py).
        self.database_url = database_url or (
            f"postgresql+asyncpg://postgres@/postgres?host={data_dir / 'pgdata'}"
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_email = ADMIN_EMAIL
        self.admin_password = ADMIN_PASSWORD
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            **({"DATABASE_URL": database_url} if database_url else {}),
            "METRONOME_DATA_DIR": str(data_dir),
            "METRONOME_SECRET_KEY": "live-test-secret-key-0123456789",
            "METRONOME_MIN_INTERVAL_S": "1",
            "METRONOME_ADMIN_EMAIL": ADMIN_EMAIL,
            "METRONOME_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "METRONOME_WS_RATE": "1000",
            # Tracked links (CONTRACT §11) lead back to this server.
            "METRONOME_PUBLIC_URL": self.url,
            "METRONOME_FETCH_ALLOW": "127.0.0.0/8",  # the suite's fakes listen on 127.0.0.1
            # Most browser tests publish at once; the grace period's own tests set 30.
            "METRONOME_MIN_LEAD_S": "0",
            **(env or {}),
        }
        self.log_path = data_dir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._cookie: str | None = None
        self._ids = itertools.count(1)

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            # DEBUG, like the rest of the suite: the log scan reads this file when the server stops.
            [
                sys.executable,
                "-m",
                "web.cli",
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "debug",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"metronome serve exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"metronome serve did not become healthy:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        leakscan.check_file(self.log_path, "the metronome serve log")
        return self.process.returncode

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cookie(self) -> str:
        if self._cookie is None:
            response = httpx.post(
                self.url + "/api/login",
                json={"email": self.admin_email, "password": self.admin_password},
            )
            response.raise_for_status()
            self._cookie = response.cookies["metronome_session"]
        return self._cookie

    def state(self) -> dict[str, Any]:
        response = httpx.get(
            self.url + "/api/state", cookies={"metronome_session": self.cookie()}, timeout=10
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def sql(self, query: str, *args: Any) -> list[Any]:
        """Rows of a query on the server's database (for checks the state does not show)."""
        import asyncpg

        async def run() -> list[Any]:
            conn = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
            try:
                return list(await conn.fetch(query, *args))
            finally:
                await conn.close()

        return asyncio.run(run())

    def command(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run one command as the admin and return its result (raises on an error reply)."""
        headers = {"Cookie": f"metronome_session={self.cookie()}", "Origin": self.url}
        with connect(
            self.url.replace("http", "ws") + "/ws", additional_headers=headers, max_size=None
        ) as ws:
            command_id = f"live{next(self._ids)}"
            ws.send(orjson.dumps({"id": command_id, "op": op, "args": args}).decode())
            while True:
                frame = orjson.loads(ws.recv(timeout=15))
                if frame.get("type") == "reply" and frame.get("id") == command_id:
                    if not frame["ok"]:
                        raise AssertionError(f"{op} failed: {frame['error']}")
                    result: dict[str, Any] = frame["result"]
                    return result


@contextlib.contextmanager
def serving(
    pg_server: str, template_db: str, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """A started `metronome serve` on a fresh database, with ``env`` over the tests' settings;
    stopped and its database dropped after the block."""
    name = db.unique_name("metronome_live")
    asyncio.run(db.create_database(pg_server, name, template=template_db))
    with tempfile.TemporaryDirectory() as data_dir:
        server = LiveServer(
            db.asyncpg_url(db.with_database(pg_server, name)), Path(data_dir), env=env
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
            asyncio.run(db.drop_database(pg_server, name))


@pytest.fixture
def live_server(pg_server: str, template_db: str) -> Iterator[LiveServer]:
    """A `metronome serve` process on a fresh database (use from synchronous tests)."""
    with serving(pg_server, template_db) as server:
        yield server

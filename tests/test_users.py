"""Users: the admin's ops (create, roles, disable, reset), your own password, and the
`metronome user passwd|disable|enable` commands — a disabled user's boards close at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from tests.support import PASSWORD, Client, login, make_token, make_user


def cli(
    args: list[str], database_url: str, tmp_path: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def acli(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The CLI in a thread: the test's loop keeps serving the app and reading the sockets."""
    return await asyncio.to_thread(cli, *args, **kwargs)


async def can_login(url: str, email: str, password: str = PASSWORD) -> bool:
    async with httpx.AsyncClient(base_url=url) as http:
        return (
            await http.post("/api/login", json={"email": email, "password": password})
        ).status_code == 200


async def closed_with(client: Client, within: float = 5.0) -> int | None:
    """The close code the server sent, waiting at most ``within`` seconds."""
    await asyncio.wait_for(client.closed.wait(), within)
    return client.ws.close_code


async def test_admin_creates_a_user_with_a_one_time_password(server: Any, admin: Client) -> None:
    """user.create answers a one-time password that signs in; user.list shows the user, no hash."""
    created = await admin.ok("user.create", {"email": " New.Editor@Example.org ", "role": "editor"})
    assert len(created["password"]) >= 12
    assert await can_login(server.url, "new.editor@example.org", created["password"])
    items = (await admin.ok("user.list"))["items"]
    mine = next(u for u in items if u["id"] == created["id"])
    assert mine == {**mine, "email": "new.editor@example.org", "role": "editor", "disabled": False}
    assert not any("hash" in key for user in items for key in user)
    assert (
        await admin.fails("user.create", {"email": "new.editor@example.org", "role": "editor"})
        == "bad_request"
    )
    assert (
        await admin.fails("user.create", {"email": "someone@example.org", "role": "owner"})
        == "bad_request"
    )
    assert (
        await admin.fails("user.create", {"email": "not an address", "role": "viewer"})
        == "bad_request"
    )


async def test_only_admins_manage_users(server: Any, editor: Client) -> None:
    """An editor may not list, create or change users."""
    assert await editor.fails("user.list") == "forbidden"
    assert (
        await editor.fails("user.create", {"email": "x@example.org", "role": "admin"})
        == "forbidden"
    )
    assert await editor.fails("user.update", {"id": 1, "role": "admin"}) == "forbidden"


async def test_own_password(server: Any, viewer: Client) -> None:
    """Anyone changes their own password with the current one; the event log never holds either."""
    email = viewer.state["me"]["email"]
    assert (
        await viewer.fails(
            "user.passwd", {"current": "wrong one", "password": "a new long password"}
        )
        == "forbidden"
    )
    assert (
        await viewer.fails("user.passwd", {"current": PASSWORD, "password": "short"})
        == "bad_request"
    )
    await viewer.ok("user.passwd", {"current": PASSWORD, "password": "a new long password"})
    assert not await can_login(server.url, email)
    assert await can_login(server.url, email, "a new long password")
    assert not viewer.closed.is_set(), "changing your own password keeps your board open"
    db = await asyncpg.connect(server.database_url.replace("+asyncpg", ""))
    try:
        logged = await db.fetch("SELECT args::text FROM events WHERE op = 'user.passwd'")
    finally:
        await db.close()
    assert logged and all(
        PASSWORD not in row[0] and "a new long password" not in row[0] for row in logged
    )


async def test_disable_closes_boards_and_ends_sessions_and_tokens(
    server: Any, admin: Client
) -> None:
    """Disabling closes the user's open board (4401) at once, and their cookie and token stop working."""
    email = await make_user(server.database_url, "editor")
    cookie = await login(server.url, email)
    token = await make_token(server.database_url, email)
    async with Client.connect(server, cookie=cookie) as board:
        user_id = board.state["me"]["id"]
        started = time.monotonic()
        result = await admin.ok("user.update", {"id": user_id, "disabled": True})
        assert result["user"]["disabled"] is True
        assert await closed_with(board) == 4401
        assert time.monotonic() - started < 5
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}
    ) as http:
        assert (await http.get("/api/state")).status_code == 401
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (
            await http.get("/api/state", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401
    assert not await can_login(server.url, email)
    await admin.ok("user.update", {"id": user_id, "disabled": False})
    assert await can_login(server.url, email)


async def test_a_new_role_reconnects_the_board_with_it(server: Any, admin: Client) -> None:
    """A role change closes the user's board with 4000 (reconnect now); the new board has the new role."""
    email = await make_user(server.database_url, "editor")
    cookie = await login(server.url, email)
    async with Client.connect(server, cookie=cookie) as board:
        user_id = board.state["me"]["id"]
        await admin.ok("user.update", {"id": user_id, "role": "viewer"})
        assert await closed_with(board) == 4000
    async with Client.connect(server, cookie=cookie) as again:
        assert again.state["me"]["role"] == "viewer"
        assert await again.fails("snippet.create", {"platform_id": 1, "body": "x"}) == "forbidden"


async def test_admins_do_not_lock_themselves_out(server: Any, admin: Client) -> None:
    """An admin cannot disable themselves or change their own role; an unknown user is not_found."""
    me = admin.state["me"]["id"]
    assert await admin.fails("user.update", {"id": me, "disabled": True}) == "forbidden"
    assert await admin.fails("user.update", {"id": me, "role": "viewer"}) == "forbidden"
    assert await admin.fails("user.update", {"id": 99999, "role": "viewer"}) == "not_found"
    other = (await admin.ok("user.create", {"email": "other@example.org", "role": "viewer"}))["id"]
    assert await admin.fails("user.update", {"id": other}) == "bad_request"
    assert await admin.fails("user.update", {"id": other, "role": "owner"}) == "bad_request"


async def test_reset_password_ends_their_sessions(server: Any, admin: Client) -> None:
    """An admin's reset gives a new one-time password and signs the user out everywhere."""
    email = await make_user(server.database_url, "viewer")
    cookie = await login(server.url, email)
    async with Client.connect(server, cookie=cookie) as board:
        fresh = await admin.ok("user.reset_password", {"id": board.state["me"]["id"]})
        assert await closed_with(board) == 4401
    assert not await can_login(server.url, email)
    assert await can_login(server.url, email, fresh["password"])


async def test_cli_passwd_disable_enable(server: Any, tmp_path: Path) -> None:
    """`user passwd` reads the new password from stdin; `disable` closes the open board within
    5 s and ends the token; `enable` lets the user sign in again."""
    url = server.database_url
    email = await make_user(url, "editor", "night.editor@example.org")
    cookie = await login(server.url, email)
    token = await make_token(url, email)

    changed = await acli(
        ["user", "passwd", "--email", "Night.Editor@example.org"],
        url,
        tmp_path,
        stdin="brand new secret\n",
    )
    assert changed.returncode == 0, changed.stderr
    assert "1 session ended" in changed.stdout
    assert await can_login(server.url, email, "brand new secret")
    assert not await can_login(server.url, email)
    cookie = await login(server.url, email, "brand new secret")

    async with Client.connect(server, cookie=cookie) as board:
        started = time.monotonic()
        disabled = await acli(["user", "disable", "--email", email], url, tmp_path)
        assert disabled.returncode == 0, disabled.stderr
        # Two sessions: can_login's and the board's.
        assert (
            "disabled night.editor@example.org: 2 sessions and 1 API token ended" in disabled.stdout
        )
        assert await closed_with(board, 5.0 - (time.monotonic() - started)) == 4401
    with pytest.raises(websockets.InvalidStatus):
        async with Client.connect(server, token=token):
            pass
    assert not await can_login(server.url, email, "brand new secret")
    again = await acli(["user", "disable", "--email", email], url, tmp_path)
    assert again.returncode == 0 and "already disabled" in again.stdout

    enabled = await acli(["user", "enable", "--email", email], url, tmp_path)
    assert enabled.returncode == 0, enabled.stderr
    assert await can_login(server.url, email, "brand new secret")
    listed = await acli(["user", "list"], url, tmp_path)
    assert "night.editor@example.org\teditor\n" in listed.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (
            ["user", "passwd", "--email", "nobody@example.org"],
            "long enough password\n",
            "no user with e-mail nobody@example.org",
        ),
        (
            ["user", "passwd", "--email", "nobody@example.org"],
            "",
            "expected the password on standard input",
        ),
        (["user", "disable", "--email", "nobody@example.org"], "", "no user with e-mail"),
        (["user", "enable", "--email", "not-an-address"], "", "expected an e-mail address"),
    ],
)
def test_cli_user_errors_are_one_line(
    database_url: str, tmp_path: Path, args: list[str], stdin: str, says: str
) -> None:
    """Unknown users and bad input exit 2 with one clear line."""
    result = cli(args, database_url, tmp_path, stdin=stdin)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


def test_cli_refuses_to_lock_out_the_last_admin(database_url: str, tmp_path: Path) -> None:
    """The only admin can be neither disabled nor left without a way back."""
    assert (
        cli(
            ["user", "create", "--email", "boss@example.org", "--role", "admin"],
            database_url,
            tmp_path,
            stdin="a long password\n",
        ).returncode
        == 0
    )
    result = cli(["user", "disable", "--email", "boss@example.org"], database_url, tmp_path)
    assert result.returncode == 2 and "last admin" in result.stderr
    short = cli(
        ["user", "passwd", "--email", "boss@example.org"], database_url, tmp_path, stdin="short\n"
    )
    assert short.returncode == 2 and "at least 8 characters" in short.stderr

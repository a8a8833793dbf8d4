"""The WebSocket's edges: who may connect, bad frames, floods, slow clients.

Those that concern frames run under each frame writer (tests/writers.py): the direct one of
`metronome serve` and the queued one any other server gets."""

from __future__ import annotations

import asyncio
import time

import pytest
import websockets

from tests.support import Client, RawSocket, Running, login, make_token, make_user, running_app
from tests.writers import EACH_WRITER, WRITERS, taking


async def refused(running: Running, headers: dict[str, str]) -> int:
    """The HTTP status (or close code) the upgrade was refused with."""
    try:
        async with websockets.connect(running.ws_url, additional_headers=headers) as ws:
            await ws.recv()
    except websockets.InvalidStatus as exc:
        return int(exc.response.status_code)
    except websockets.ConnectionClosedError as exc:
        assert exc.rcvd is not None
        return int(exc.rcvd.code)
    raise AssertionError("the connection was accepted and sent a frame")


async def test_refuses_without_session(server: Running) -> None:
    """No cookie, a bad cookie or a bad token: refused before any state is sent."""
    assert await refused(server, {"Origin": server.url}) in (403, 4401)
    assert await refused(server, {"Origin": server.url, "Cookie": "metronome_session=nope"}) in (
        403,
        4401,
    )
    assert await refused(server, {"Authorization": "Bearer mtr_nope"}) in (403, 4401)


@pytest.mark.parametrize("origin_suffix", ["", ".evil.example", "/"])
async def test_refuses_foreign_origin(server: Running, origin_suffix: str) -> None:
    """A foreign origin and a look-alike of the served one are refused; the served one is not."""
    cookie = await login(server.url, await make_user(server.database_url, "editor"))
    headers = {"Cookie": f"metronome_session={cookie}"}
    assert await refused(server, {**headers, "Origin": "http://evil.example"}) in (403, 4403)
    assert await refused(server, {**headers, "Origin": server.url + ".evil.example"}) in (403, 4403)
    assert await refused(
        server, {**headers, "Origin": server.url.replace("127.0.0.1", "127.0.0.1.evil.example")}
    ) in (403, 4403)
    origin = server.url + origin_suffix
    if origin_suffix == ".evil.example":
        return
    async with Client.connect(server, cookie=cookie, origin=origin) as client:
        assert client.state["me"]["role"] == "editor"


async def test_allowlist_is_exact(database_url: str) -> None:
    """With METRONOME_ALLOWED_ORIGINS set, only those exact origins may connect."""
    async with running_app(
        database_url, METRONOME_ALLOWED_ORIGINS="https://board.example.org"
    ) as running:
        cookie = await login(running.url, await make_user(database_url, "editor"))
        headers = {"Cookie": f"metronome_session={cookie}"}
        assert await refused(
            running, {**headers, "Origin": "https://board.example.org.evil.example"}
        ) in (403, 4403)
        assert await refused(running, {**headers, "Origin": running.url}) in (403, 4403)
        async with Client.connect(
            running, cookie=cookie, origin="https://board.example.org"
        ) as client:
            assert client.frames[0]["seq"] == 1 and "me" in client.frames[0]["patch"]


@EACH_WRITER
async def test_token_auth(server: Running) -> None:
    """A machine connects with an API token and no Origin header."""
    email = await make_user(server.database_url, "editor")
    token = await make_token(server.database_url, email)
    async with Client.connect(server, token=token, origin=None) as client:
        assert client.state["me"]["email"] == email


@EACH_WRITER
async def test_first_frame_is_full_state(admin: Client) -> None:
    """The first frame is a patch holding me, platforms and snippets."""
    first = admin.frames[0]
    assert first["type"] == "patch" and first["seq"] == 1
    assert {"me", "platforms", "snippets"} <= set(first["patch"])  # extra keys: materials, feeds


@EACH_WRITER
async def test_bad_frames_keep_the_connection(admin: Client) -> None:
    """Non-JSON, a non-object, a missing op, bad args and an oversized frame each get an error; the connection stays usable."""
    await admin.send_raw("this is not json")
    await admin.send_raw("[1, 2]")
    await admin.send_raw('{"id": "x1"}')
    await admin.send_raw("{" + " " * (70 * 1024) + "}")
    await asyncio.sleep(0.3)
    codes = [e["error"]["code"] for e in admin.errors]
    assert codes == ["bad_request", "bad_request", "bad_request"], admin.errors
    assert (
        "64" in admin.errors[-1]["error"]["message"]
        or "limit" in admin.errors[-1]["error"]["message"]
    )
    reply = next(f for f in admin.frames if f.get("id") == "x1")
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request"
    assert await admin.fails("snippet.create", {"platform_id": 1, "body": 5}) in (
        "bad_request",
        "not_found",
    )
    assert await admin.fails("snippet.create", "not an object") == "bad_request"  # type: ignore[arg-type]
    result = await admin.ok(
        "platform.create", {"kind": "log", "name": "still here", "interval_s": 60}
    )
    assert result["id"]


@pytest.mark.parametrize("writer", sorted(WRITERS))
async def test_flood_is_refused(database_url: str, writer: str) -> None:
    """Commands beyond the per-connection rate are refused unprocessed; the connection survives."""
    options = WRITERS[writer]
    async with running_app(database_url, uvicorn_options=options, METRONOME_WS_RATE="5") as running:
        cookie = await login(running.url, await make_user(database_url, "admin"))
        with taking(running, writer, required=True):
            async with Client.connect(running, cookie=cookie) as client:
                replies = await asyncio.gather(
                    *[
                        client.command(
                            "platform.create", {"kind": "log", "name": f"c{i}", "interval_s": 60}
                        )
                        for i in range(40)
                    ]
                )
                limited = [
                    r for r in replies if not r["ok"] and r["error"]["code"] == "rate_limited"
                ]
                created = [r for r in replies if r["ok"]]
                assert limited and created and len(created) <= 12
                await client.wait_for(lambda s: len(s["platforms"]) == len(created))
                await asyncio.sleep(1.0)
                assert (await client.command("platform.pause", {"id": created[0]["result"]["id"]}))[
                    "ok"
                ]


@EACH_WRITER
@pytest.mark.slow
async def test_slow_client_does_not_delay_others(server: Running, admin: Client) -> None:
    """A client that never reads neither delays the others nor grows without bound: it is dropped."""
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    stuck = await RawSocket.connect(server, cookie)
    try:
        pid = (
            await admin.ok(
                "platform.create", {"kind": "log", "name": "big", "interval_s": 60, "paused": True}
            )
        )["id"]
        sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "x"}))["id"]
        version = 1
        worst = 0.0
        for i in range(700):
            body = f"{i:05d}" + "y" * 9000
            started = time.perf_counter()
            version = (
                await admin.ok("snippet.update", {"id": sid, "version": version, "body": body})
            )["version"]
            await admin.wait_for(lambda s, body=body: s["snippets"][str(sid)]["body"] == body)
            worst = max(worst, time.perf_counter() - started)
        assert worst < 1.0, f"a patch took {worst:.2f} s to reach a reading client"
        hub = server.services.hub
        assert all(c.backlog <= 1024 * 1024 for c in hub.connections)
        assert len(hub.connections) == 1, "the stuck client should have been dropped"
    finally:
        stuck.close()


async def test_notifications_that_queued_up_go_out_as_one_patch() -> None:
    """Under load several commits wait in the listener's inbox: consecutive ones are handed on
    as one composed patch, in commit order, with every column to wake; one that cannot be
    composed starts the next patch."""
    import orjson

    from ws.listener import Listener

    got: list[tuple[dict, list[int]]] = []

    async def no_resync() -> None:
        raise AssertionError("no resync expected")

    listener = Listener(
        "postgresql://unused", lambda patch, wake, _raw: got.append((patch, wake)), no_resync
    )
    payloads = [
        {"patch": {"snippets": {"1": {"body": "a"}}}, "wake": [3]},
        {"patch": {"snippets": {"1": {"body": "b"}, "2": {"eta": "x"}}}, "wake": [4]},
        {"patch": {"snippets": {"2": None}}, "wake": []},
        {"patch": {"snippets": {"2": {"id": 2, "body": "new"}}}, "wake": [4]},
    ]
    await listener._deliver(None, [orjson.dumps(p).decode() for p in payloads])  # type: ignore[arg-type]
    assert got == [
        ({"snippets": {"1": {"body": "b"}, "2": None}}, [3, 4]),
        ({"snippets": {"2": {"id": 2, "body": "new"}}}, [4]),
    ]


@EACH_WRITER
async def test_one_client_pipelines_card_edits_in_order(admin: Client) -> None:
    """A client may send edits without waiting for replies: edits of different cards run side
    by side, edits of one card run in the order sent (each names the version the one before it
    makes), and a command of another kind waits for all of them."""
    pid = (
        await admin.ok(
            "platform.create", {"kind": "log", "name": "p", "interval_s": 3600, "paused": True}
        )
    )["id"]
    cards = [
        (await admin.ok("snippet.create", {"platform_id": pid, "body": f"c{n}"}))["id"]
        for n in range(4)
    ]
    # Sent in this order, all before any reply: the four cards interleave.
    edits = [
        await admin.send_command(
            "snippet.update", {"id": card, "version": 1 + step, "body": f"c{card} step {step}"}
        )
        for step in range(5)
        for card in cards
    ]
    moved = await admin.send_command("snippet.move", {"id": cards[0], "after_id": None})
    replies = await asyncio.wait_for(asyncio.gather(*edits), 15)
    assert all(reply["ok"] for reply in replies), [r for r in replies if not r["ok"]]
    moved_reply = await asyncio.wait_for(moved, 15)
    assert moved_reply["ok"] and moved_reply["result"]["version"] == 7
    # The move's patch may come a moment after the edits' (patches close together compose).
    await admin.wait_for(
        lambda s: (
            all(s["snippets"][str(c)]["body"] == f"c{c} step 4" for c in cards)
            and s["snippets"][str(cards[0])]["version"] == 7
        )
    )
    assert [admin.card(c)["version"] for c in cards] == [7, 6, 6, 6]


async def test_notifications_close_after_a_delivery_wait_and_go_out_together() -> None:
    """After a delivery the listener waits COALESCE_S for company: two commits a few ms apart
    reach the clients as one patch, no sooner than that after the previous delivery; a commit
    that comes after a pause is handed on alone."""
    import orjson

    from ws.listener import COALESCE_S, Listener

    got: list[tuple[float, dict]] = []
    arrived = asyncio.Event()

    async def no_resync() -> None:
        raise AssertionError("no resync expected")

    def on_change(patch: dict, _wake: list[int], _raw: bytes | None) -> None:
        got.append((time.monotonic(), patch))
        arrived.set()

    listener = Listener("postgresql://unused", on_change, no_resync)

    def notify(card: int, body: str) -> None:
        payload = orjson.dumps(
            {"patch": {"snippets": {str(card): {"body": body}}}, "wake": []}
        ).decode()
        listener._notified(None, 0, "metronome_changes", payload)

    async def delivered(count: int) -> None:
        while len(got) < count:
            arrived.clear()
            await arrived.wait()

    serving = asyncio.create_task(listener._serve(None))  # type: ignore[arg-type]
    try:
        notify(1, "a")
        await asyncio.wait_for(delivered(1), 2)
        notify(2, "b")
        await asyncio.sleep(COALESCE_S / 4)
        notify(3, "c")
        await asyncio.wait_for(delivered(2), 2)
        await asyncio.sleep(COALESCE_S * 3)
        notify(1, "d")
        await asyncio.wait_for(delivered(3), 2)
    finally:
        serving.cancel()
    assert [patch for _, patch in got] == [
        {"snippets": {"1": {"body": "a"}}},
        {"snippets": {"2": {"body": "b"}, "3": {"body": "c"}}},
        {"snippets": {"1": {"body": "d"}}},
    ]
    assert got[1][0] - got[0][0] >= COALESCE_S * 0.9


async def test_a_presence_heartbeat_does_not_make_the_next_patch_wait() -> None:
    """Only a board patch handed to the clients makes the next one wait COALESCE_S for
    company: a presence message just before a command's notification (every instance
    announces every 5 s) must not delay that command's patch."""
    import orjson

    from board import notify as codec
    from ws.listener import COALESCE_S, Listener

    got: list[float] = []
    heard: list[dict] = []
    arrived = asyncio.Event()

    async def no_resync() -> None:
        raise AssertionError("no resync expected")

    def on_change(_patch: dict, _wake: list[int], _raw: bytes | None) -> None:
        got.append(time.monotonic())
        arrived.set()

    listener = Listener("postgresql://unused", on_change, no_resync, on_presence=heard.append)
    serving = asyncio.create_task(listener._serve(None))  # type: ignore[arg-type]
    try:
        for _ in range(5):  # the smallest of five: one slow wakeup on a busy machine is not it
            listener._notified(None, 0, "c", codec.encode_presence({"from": "x", "set": {}}))
            await asyncio.sleep(0.001)
            arrived.clear()
            sent = time.monotonic()
            payload = orjson.dumps({"patch": {"snippets": {"1": {"body": "a"}}}, "wake": []})
            listener._notified(None, 0, "c", payload.decode())
            await asyncio.wait_for(arrived.wait(), 2)
            got[-1] -= sent
            await asyncio.sleep(COALESCE_S * 2)
    finally:
        serving.cancel()
    assert len(heard) == 5
    assert min(got) < COALESCE_S / 2, got

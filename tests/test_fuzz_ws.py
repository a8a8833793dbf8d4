"""Every WebSocket op, every kind of bad value: a clear refusal, never `internal`, and nothing
logged as a failure (issue 17: 82 `internal` replies in 2,654 fuzzed frames before).

The ops come from the op table the app built (plus presence.editing), and the argument names
from the source (tests/hostile.py arg_names): ops added later are fuzzed too.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from tests.hostile import RAW, Raw, Troubles, arg_names, args_of, to_json
from tests.support import Client, Running, make_user, running_app, session_cookie
from ws import presence

FAST_EXAMPLES = int(os.environ.get("METRONOME_FUZZ_WS", "1500"))


async def _board(admin: Client) -> list[Any]:
    """A column and a few cards to aim at (paused: nothing publishes meanwhile)."""
    column = await admin.ok("platform.create", {"kind": "log", "name": "Fuzz", "interval_s": 60})
    await admin.ok("platform.pause", {"id": column["id"]})
    drafts = await admin.ok("platform.create", {"kind": "drafts", "name": "In", "interval_s": 60})
    cards = [
        (await admin.ok("snippet.create", {"platform_id": column["id"], "body": f"c{i}"}))["id"]
        for i in range(3)
    ]
    return [column["id"], drafts["id"], *cards, "2030-01-01T00:00:00Z", "https://example.org/a"]


def _fuzz(server: Running, cookie: str, known: list[Any], examples: int) -> Counter[str]:
    """Frames sent from a thread (Hypothesis drives a plain function); replies checked."""
    ops = sorted([*server.services.commands.ops, presence.OP])
    names = arg_names()
    seen: Counter[str] = Counter()
    ids = itertools.count(1)
    with connect(
        server.ws_url,
        additional_headers={"Cookie": f"metronome_session={cookie}", "Origin": server.url},
        max_size=None,
        ping_interval=None,
    ) as ws:

        def reply_to(command_id: str) -> dict[str, Any]:
            while True:
                frame = orjson.loads(ws.recv(timeout=20))
                if frame["type"] == "error" or frame.get("id") == command_id:
                    return frame  # type: ignore[no-any-return]

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            op=st.sampled_from(ops) | st.sampled_from(["", "x" * 300, "board.\x00", "²"]),
            args=args_of(names, known),
            raw_frame=st.none() | st.sampled_from([*RAW[:4], Raw("{"), Raw('"x"'), Raw("[]")]),
        )
        def one(op: str, args: Any, raw_frame: Raw | None) -> None:
            command_id = f"f{next(ids)}"
            if raw_frame is not None:  # not a command at all: an error frame answers
                frame = raw_frame.text
            else:
                frame = to_json({"id": command_id, "op": op, "args": args})
            ws.send(frame)
            reply = reply_to(command_id)
            seen["frames"] += 1
            if reply.get("ok"):
                seen["ok"] += 1
                return
            error = reply["error"]
            seen[error["code"]] += 1
            # A refusal's own code (bad_request, forbidden, not_found, drafting_off, …): any
            # but the one that says the server failed.
            assert error["code"] != "internal" and error["code"].isidentifier(), (
                op,
                frame[:300],
                error,
            )
            assert isinstance(error["message"], str) and error["message"], reply

        one()
    return seen


@pytest.fixture
async def quiet_server(database_url: str) -> AsyncIterator[Running]:
    """An app whose WebSocket sends no pings: a ping's payload comes from the random module,
    which Hypothesis, drawing in another thread meanwhile, takes for a flaky strategy."""
    async with running_app(
        database_url, uvicorn_options={"ws_ping_interval": None}, METRONOME_WS_RATE="100000"
    ) as running:
        yield running


async def _run(server: Running, examples: int) -> Counter[str]:
    email = await make_user(server.database_url, "admin")
    cookie = await session_cookie(server.database_url, email)
    async with Client.connect(server, cookie=cookie) as admin:
        known = await _board(admin)
    started = time.monotonic()
    with Troubles() as troubles:
        seen = await asyncio.to_thread(_fuzz, server, cookie, known, examples)
        await asyncio.sleep(0.2)  # anything the last commands logged
    print(
        f"\nWebSocket fuzz: {seen['frames']} frames in {time.monotonic() - started:.1f} s,"
        f" internal = {seen['internal']}; replies {dict(seen)}"
    )
    assert seen["internal"] == 0
    assert not troubles.records, troubles.report()
    return seen


async def test_every_op_refuses_bad_values_clearly(quiet_server: Running) -> None:
    """Every op and every kind of bad value: a refusal with a code, never internal."""
    seen = await _run(quiet_server, FAST_EXAMPLES)
    assert seen["frames"] == FAST_EXAMPLES
    assert seen["bad_request"] > FAST_EXAMPLES // 4  # the values are mostly bad, and refused


@pytest.mark.slow
async def test_every_op_refuses_bad_values_clearly_long(quiet_server: Running) -> None:
    """The same, five times as many frames."""
    seen = await _run(quiet_server, 5 * FAST_EXAMPLES)
    assert seen["frames"] == 5 * FAST_EXAMPLES

"""Issue 17's hostile input, defect by defect: each a clear refusal naming the argument, never
`internal` or a 500 (defects 1-4 and 13; 5-6 are in test_feed_poller.py and test_fetching.py,
7 in test_urls.py, 8 in test_security_headers.py, 9 in test_login_throttle.py, 10 in
test_db_blip.py, 11 in test_feed_poller.py, 12 and 14 in test_outage.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from board.args import Args, check_tree, param_int, parse_time
from board.errors import BadRequest
from tests.support import Client, Running, make_token, make_user

NON_ASCII_DIGITS = ["²", "①", "٣", "١٢", "३"]


@contextlib.asynccontextmanager
async def signed_in(server: Running, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with a token of a new user of ``role``."""
    token = await make_token(server.database_url, await make_user(server.database_url, role))
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


# --- 1 and 13: integers ------------------------------------------------------------------


@pytest.mark.parametrize("value", [*NON_ASCII_DIGITS, "12", "0", True, 1.0, 2**31, -(2**31) - 1])
def test_an_integer_argument_is_a_json_integer_in_range(value: object) -> None:
    """Digit strings (ASCII or not), booleans, floats and out-of-range integers are refused
    with bad_request naming the argument."""
    with pytest.raises(BadRequest) as refused:
        Args({"id": value}, "snippet.delete").int("id")
    assert refused.value.field == "id"


@pytest.mark.parametrize("raw", [*NON_ASCII_DIGITS, " 1", "1_0", "+1", "0x10", "", "1e3"])
def test_a_query_integer_is_ascii_digits(raw: str) -> None:
    """A query or path parameter is ASCII digits: `int()` reads `²` and `١٢` too."""
    with pytest.raises(BadRequest) as refused:
        param_int(raw, "limit", "materials")
    assert refused.value.field == "limit"
    assert param_int("20", "limit", "materials") == 20


async def test_non_ascii_digits_over_the_websocket(admin: Client) -> None:
    """`"²"` as an id answers bad_request naming it, on every op that takes one."""
    for value in ["²", "①", "٣", "12"]:
        reply = await admin.command("snippet.delete", {"id": value})
        assert reply["error"]["code"] == "bad_request", reply
        assert reply["error"]["field"] == "id"
        reply = await admin.command("materials.search", {"q": "x", "limit": value})
        assert reply["error"]["code"] == "bad_request" and reply["error"]["field"] == "limit"


@pytest.mark.parametrize(
    "path",
    [
        "/api/materials?limit=²",
        "/api/materials?offset=①",
        "/api/materials?limit=٣",
        "/api/materials?limit=99999999999999999999",
        "/api/snippets/²/history",
        "/api/snippets/1/history?limit=١٢",
        "/api/snippets/99999999999999999999/history",
        "/api/stats?platform_id=²",
        "/media/99999999999999999999",
        "/media/2147483648",
    ],
)
async def test_bad_integer_parameters_are_400(server: Running, path: str) -> None:
    """A bad integer in a query or path: 400 naming the parameter, never a 500."""
    async with signed_in(server, "admin") as http:
        response = await http.get(path)
    assert response.status_code == 400, (path, response.text)
    error = response.json()["error"]
    assert error["code"] == "bad_request" and error["field"] in (
        "id",
        "limit",
        "offset",
        "platform_id",
    )


async def test_move_with_ord_and_a_neighbour_is_refused(admin: Client) -> None:
    """`snippet.move` with `ord` and `after_id`/`before_id` says which to use; wrong types
    of either are refused, not ignored."""
    pid = (await admin.ok("platform.create", {"kind": "log", "name": "L", "interval_s": 60}))["id"]
    await admin.ok("platform.pause", {"id": pid})  # nothing is published meanwhile
    a = (await admin.ok("snippet.create", {"platform_id": pid, "body": "a"}))["id"]
    b = (await admin.ok("snippet.create", {"platform_id": pid, "body": "b"}))["id"]
    for extra in ({"after_id": b}, {"before_id": "x"}, {"after_id": None}):
        reply = await admin.command("snippet.move", {"id": a, "ord": 5, **extra})
        assert reply["error"]["code"] == "bad_request", reply
        assert "either ord" in reply["error"]["message"]
    reply = await admin.command("snippet.move", {"id": a, "after_id": b, "before_id": b})
    assert reply["error"]["code"] == "bad_request"
    reply = await admin.command("snippet.move", {"id": a, "ord": "5"})
    assert reply["error"] == {
        "code": "bad_request",
        "message": "snippet.move: expected ord to be a number, got a string",
        "field": "ord",
    }
    assert (await admin.ok("snippet.move", {"id": a, "after_id": b}))["id"] == a


async def test_frames_that_are_not_json_count_toward_the_rate_limit(database_url: str) -> None:
    """A flood of garbage is refused like a flood of commands: beyond the rate, not even
    parsed errors, but rate_limited."""
    from tests.support import make_user, running_app, session_cookie

    async with running_app(database_url, METRONOME_WS_RATE="5") as server:
        cookie = await session_cookie(database_url, await make_user(database_url, "editor"))
        async with Client.connect(server, cookie=cookie) as client:
            for _ in range(30):
                await client.send_raw("this is not JSON")
            # Sent at once after the garbage: the bucket (a burst of 10) is empty by now.
            reply = await client.command("materials.search", {"q": "x"})
            assert reply["error"]["code"] == "rate_limited"
            codes = [e["error"]["code"] for e in client.errors]
            assert len(codes) == 30 and codes.count("rate_limited") >= 15, codes


# --- 2: NUL and lone surrogates --------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "args", "field"),
    [
        ("snippet.create", {"platform_id": 1, "body": "a\x00b"}, "body"),
        ("platform.create", {"kind": "log", "name": "N\x00", "interval_s": 60}, "name"),
        ("materials.search", {"q": "\x00"}, "q"),
        ("platform.update", {"id": 1, "settings": {"rhythm": [{"from": "0\x00"}]}}, "settings"),
        ("board.hold", {"reason": "r", "extra\x00": 1}, None),
    ],
)
async def test_nul_is_refused_naming_the_field(
    admin: Client, op: str, args: dict[str, object], field: str | None
) -> None:
    """A NUL anywhere in the args (a value, a nested value, a key): bad_request naming the
    argument. Refused, not stripped: a NUL is never what an editor typed, and a silent change
    of text on its way to a network is worse than a clear no."""
    reply = await admin.command(op, args)
    assert reply["error"]["code"] == "bad_request", reply
    assert "NUL" in reply["error"]["message"]
    assert reply["error"].get("field") == field


async def test_lone_surrogates_are_refused(admin: Client) -> None:
    """A lone surrogate (`"\\ud800"`: not Unicode text) gets a clear error, never internal."""
    await admin.send_raw(
        '{"id":"s1","op":"snippet.create","args":{"platform_id":1,"body":"\\ud800"}}'
    )
    await asyncio.sleep(0.3)
    assert admin.errors and admin.errors[-1]["error"]["code"] == "bad_request"
    with pytest.raises(BadRequest) as refused:
        check_tree({"body": "a\udfffb"}, "snippet.create")
    assert refused.value.field == "body"


async def test_nul_in_material_fields_and_search_is_refused(server: Running) -> None:
    """Materials over HTTP: a NUL in any field is 422 naming it; in a search, 400."""
    async with signed_in(server, "editor") as http:
        for name in ("title", "lead", "social_text", "section", "external_id"):
            body = {"external_id": "e1", "url": "https://example.org/", "title": "T", name: "a\x00"}
            response = await http.post("/api/materials", json=body)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["field"] == name
        response = await http.post(
            "/api/materials",
            json={
                "external_id": "e1",
                "url": "https://example.org/",
                "title": "T",
                "tags": ["\x00"],
            },
        )
        assert response.status_code == 422 and response.json()["error"]["field"] == "tags"
        response = await http.get("/api/materials", params={"q": "a\x00b"})
        assert response.status_code == 400 and response.json()["error"]["field"] == "q"


# --- 3: nesting ------------------------------------------------------------------------


async def test_deep_nesting_in_an_extra_argument_is_refused(admin: Client) -> None:
    """300 levels of nesting in an argument no op reads: refused, not `internal` while the
    event is recorded."""
    deep = "[" * 300 + "1" + "]" * 300
    await admin.send_raw(
        '{"id":"n1","op":"platform.create","args":{"kind":"log","name":"N","interval_s":60,"x":'
        + deep
        + "}}"
    )
    for _ in range(50):
        if any(f.get("id") == "n1" for f in admin.frames):
            break
        await asyncio.sleep(0.05)
    reply = next(f for f in admin.frames if f.get("id") == "n1")
    assert reply["error"]["code"] == "bad_request" and reply["error"]["field"] == "x"
    assert "nested deeper" in reply["error"]["message"]


# --- 4: dates and ids out of range -----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T10:00:00-14:00",
        "9999-12-31T23:00:00-14:00",
        "9999-12-31T23:00:00+14:00",
    ],
)
async def test_published_at_at_the_ends_of_time_is_400(server: Running, value: str) -> None:
    """A `published_at` of year 1 or 9999 with a ±14:00 offset: 422 naming the field."""
    async with signed_in(server, "editor") as http:
        body = {
            "external_id": "e",
            "url": "https://example.org/",
            "title": "T",
            "published_at": value,
        }
        response = await http.post("/api/materials", content=orjson.dumps(body))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "published_at"
    with pytest.raises(BadRequest) as refused:
        parse_time(value, "until", "board.hold")
    assert refused.value.field == "until"


async def test_ids_beyond_int32_are_400(server: Running, admin: Client) -> None:
    """`drafts_platform_id` beyond int32 is 422 naming it; an id beyond it on the WebSocket
    is bad_request naming it."""
    async with signed_in(server, "editor") as http:
        body = {"external_id": "e", "url": "https://example.org/", "title": "T"}
        for big in (2**31, 2**63, 10**20):
            response = await http.post(
                "/api/materials",
                content=orjson.dumps(body)[:-1] + f',"drafts_platform_id":{big}}}'.encode(),
            )
            assert response.status_code == 422, response.text
            assert response.json()["error"]["field"] == "drafts_platform_id"
    for text in ("2147483648", "99999999999999999999", "-9223372036854775809"):
        await admin.send_raw(f'{{"id":"big","op":"snippet.delete","args":{{"id":{text}}}}}')
    await asyncio.sleep(0.3)
    replies = [f for f in admin.frames if f.get("id") == "big"]
    assert len(replies) == 3
    assert all(r["error"]["code"] == "bad_request" and r["error"]["field"] == "id" for r in replies)


@pytest.mark.parametrize("query", ["exp=²&sig=1", "exp=①&sig=x", "exp=99999999999&sig=²"])
async def test_a_media_signature_that_is_not_ours_is_403(server: Running, query: str) -> None:
    """A signed media link's expiry in other digits, or a signature that is not ASCII: 403,
    not a 500 from int() or hmac."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(f"/media/1?{query}")
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_feeds_date_at_the_ends_of_time_is_no_date(value: str) -> None:
    """A feed's pubDate at the ends of time is read as no date, not an OverflowError that
    stops the whole feed."""
    from board.feedparse import parse_date

    assert parse_date(value) is None
    assert parse_date("2026-11-22T10:00:00+14:00") is not None

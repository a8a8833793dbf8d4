"""The change stream's codec (board/notify.py): what is encoded is what every instance decodes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board import notify

# JSON values as patches hold them: text with quotes, braces and the envelope's own keys in it.
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30
) | st.sampled_from(['"wake":[1]}', ',"patch":{', "\\", '"', "ё", "\u2028"])
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)
_patches = st.dictionaries(
    st.sampled_from(["snippets", "platforms", "materials", "feeds"]),
    st.dictionaries(st.integers(1, 10**6).map(str), _values, max_size=4),
    max_size=4,
)


@given(patch=_patches, wake=st.sets(st.integers(1, 2**31 - 1), max_size=10))
@settings(max_examples=300, deadline=None)
def test_round_trip(patch: dict[str, Any], wake: set[int]) -> None:
    """decode(encode(p, w)) gives p and w back, and the patch's own JSON cut out of the payload
    is exactly the patch (so the listener hands those bytes on without encoding again)."""
    change = notify.decode(notify.encode(patch, wake))
    assert change.patch == patch
    assert change.wake == sorted(wake)
    assert change.patch_json is not None and orjson.loads(change.patch_json) == patch


@pytest.mark.parametrize(
    "payload",
    [
        b'{"wake":[1],"patch":{"a":1}}',  # another key order
        b'{"patch": {"a":1}, "wake": [1]}',  # whitespace
        b'{"patch":{"a":1},"wake":[1],"more":true,"x":1}',  # keys written in another form
    ],
)
def test_other_forms_decode_without_a_cut(payload: bytes) -> None:
    """A payload not in encode's exact form still decodes; its patch is then encoded anew."""
    change = notify.decode(payload)
    assert change.patch == {"a": 1} and change.wake == [1]
    if change.patch_json is not None:
        assert orjson.loads(change.patch_json) == {"a": 1}


@pytest.mark.parametrize(
    "payload", ["not json", "[1, 2]", '{"patch": 5}', '{"patch": {}, "wake": "x"}']
)
def test_what_is_not_a_change_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        notify.decode(payload)


def test_large_payloads_spill_into_the_changes_table() -> None:
    """Up to MAX_NOTIFY bytes a payload rides the notification; past it, a row of `changes`."""
    params: list[Any] = []
    small = notify.notify_sql("x" * notify.MAX_NOTIFY, [], params)
    assert small == "SELECT pg_notify($1, $2)" and params == [
        notify.CHANNEL,
        "x" * notify.MAX_NOTIFY,
    ]
    params = ["first"]
    big = notify.notify_sql("é" * notify.MAX_NOTIFY, ["e AS (SELECT $1)"], params)
    assert big.startswith("WITH e AS (SELECT $1), old_changes AS (DELETE FROM changes")
    assert "INSERT INTO changes (payload) VALUES ($3)" in big and params[1:] == [
        notify.CHANNEL,
        "é" * notify.MAX_NOTIFY,
    ]
    assert notify.spilled_id("#42") == 42 and notify.spilled_id('{"patch":{}}') is None


async def test_spilled_change_round_trips_through_postgres(database_url: str) -> None:
    """A change too large for NOTIFY reaches a listener as a row id, and reads back whole."""
    import asyncio

    from tests import db

    patch = {"snippets": {str(i): {"body": "é" * 100} for i in range(100)}}
    payload = notify.encode(patch, {3})
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with db.connect(database_url) as listener, db.connect(database_url) as writer:
        await listener.add_listener(notify.CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        params: list[Any] = []
        async with writer.transaction():
            await writer.execute(notify.notify_sql(payload, [], params), *params)
        spilled = notify.spilled_id(await asyncio.wait_for(heard.get(), 5))
        assert spilled is not None
        stored = await listener.fetchval("SELECT payload FROM changes WHERE id = $1", spilled)
    change = notify.decode(stored)
    assert change.patch == patch and change.wake == [3] and change.patch_json is not None

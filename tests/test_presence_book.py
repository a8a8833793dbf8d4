"""Presence without I/O (ws/presence_book.py): local connections, announcements, leases, the
view; and presence messages on the change channel beside the patch fast path (board/notify.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from board import notify
from board.context import Actor
from ws import presence_book
from ws.presence_book import Book, Local, announcements

ANN = Actor(1, "ann@example.org", "editor")
BOB = Actor(2, "bob@example.org", "author")


def heard_all(book: Book, payloads: list[str], now: float) -> list[bool]:
    return [book.hear(notify.decode(p).presence or {}, now) for p in payloads]


def test_a_users_entry_names_the_card_their_latest_editing_connection_edits() -> None:
    """Two tabs of one user: the entry edits what was opened last; closing that editor falls
    back to the other tab's card; the last tab closing makes the user gone."""
    local = Local()
    local.join("a", ANN)
    local.join("b", ANN)
    assert local.entries() == ({1: ["ann@example.org", None, 0.0]}, [])
    local.edit("a", 10, 100.0)
    local.edit("b", 11, 101.0)
    assert local.entries()[0][1][1] == 11
    local.edit("b", None, 102.0)
    assert local.entries()[0][1][1] == 10
    local.leave("a")
    local.leave("b")
    assert local.entries([1]) == ({}, [1])
    assert local.dirty == {1}
    assert not local.edit("gone", 5, 1.0), "a connection that left says nothing"


def test_announcements_stay_under_the_notify_limit_and_say_everything() -> None:
    """Hundreds of users with the longest e-mails go out in several payloads, each under
    MESSAGE_BYTES; heard together they give every entry and every departure."""
    entries = {n: [f"{'x' * 300}-{n}@example.org", n, float(n)] for n in range(1, 400)}
    gone = list(range(1000, 3000))
    payloads = announcements("i1", entries, gone, ask=True)
    assert len(payloads) > 10
    assert all(len(p.encode()) <= presence_book.MESSAGE_BYTES for p in payloads)
    messages = [notify.decode(p).presence for p in payloads]
    assert [m.get("ask") for m in messages if m] == [True] + [None] * (len(messages) - 1)
    book = Book()
    for n in range(1000, 3000):  # known before, gone now
        book.hear({"from": "i1", "set": {str(n): ["old@example.org", None, 0]}}, 0.0)
    heard_all(book, payloads, 1.0)
    view = book.view()
    assert sorted(int(k) for k in view) == list(range(1, 400))
    assert view["7"] == {"id": 7, "email": entries[7][0], "editing": 7}
    assert announcements("i1", {}, []) == [], "nothing to say: no payload"


def test_the_view_is_one_entry_per_user_across_instances() -> None:
    """A user on two instances shows once, editing what they opened last anywhere."""
    book = Book()
    book.hear({"from": "i1", "set": {"1": ["ann@example.org", 10, 50.0]}}, 0.0)
    book.hear({"from": "i2", "set": {"1": ["ann@example.org", None, 0.0]}}, 0.0)
    book.hear({"from": "i2", "set": {"2": ["bob@example.org", 12, 40.0]}}, 0.0)
    assert book.view() == {
        "1": {"id": 1, "email": "ann@example.org", "editing": 10},
        "2": {"id": 2, "email": "bob@example.org", "editing": 12},
    }
    book.hear({"from": "i1", "gone": [1]}, 0.0)
    assert book.view()["1"]["editing"] is None, "still on i2, editing nothing"


def test_changes_patch_only_what_moved_and_null_who_left() -> None:
    """changes() is the merge patch from the view shown last; an unchanged view patches nothing."""
    book = Book()
    book.hear({"from": "i1", "set": {"1": ["ann@example.org", None, 0.0]}}, 0.0)
    assert book.changes() == {
        "presence": {"1": {"id": 1, "email": "ann@example.org", "editing": None}}
    }
    assert book.changes() == {}
    book.hear({"from": "i1", "set": {"1": ["ann@example.org", 5, 1.0]}}, 0.0)
    assert book.changes() == {"presence": {"1": {"editing": 5}}}
    book.hear({"from": "i1", "gone": [1]}, 0.0)
    assert book.changes() == {"presence": {"1": None}}
    assert book.shown == {}


def test_leases_run_out_unless_renewed_and_bye_drops_an_instance() -> None:
    """An instance that stops renewing loses its users after the lease; a bye drops them at
    once; an ask is reported so the hearer announces everything."""
    book = Book(lease_s=12.0)
    book.hear({"from": "dead", "set": {"1": ["ann@example.org", None, 0.0]}}, 0.0)
    book.hear({"from": "live", "set": {"2": ["bob@example.org", None, 0.0]}}, 0.0)
    book.hear({"from": "live", "set": {"2": ["bob@example.org", None, 0.0]}}, 10.0)
    book.expire(11.9)
    assert set(book.view()) == {"1", "2"}
    book.expire(12.0)
    assert set(book.view()) == {"2"}
    assert book.hear({"from": "new", "ask": True}, 12.0) is True
    book.hear({"from": "live", "bye": True}, 12.0)
    assert book.view() == {}


@pytest.mark.parametrize(
    "message",
    [
        {"set": {"1": ["a@example.org", None, 0]}},
        {"from": "i", "set": {"1": ["a@example.org", "x", 0]}},
        {"from": "i", "set": {"1": ["a@example.org", None]}},
        {"from": "i", "set": []},
        {"from": "i", "gone": "1"},
    ],
)
def test_a_message_that_is_not_an_announcement_changes_nothing(message: dict[str, Any]) -> None:
    book = Book()
    book.hear({"from": "i", "set": {"9": ["z@example.org", None, 0]}}, 0.0)
    with pytest.raises(ValueError, match="expected"):
        book.hear(message, 0.0)
    assert set(book.view()) == {"9"}


def test_presence_rides_the_change_channel_beside_the_patch_fast_path() -> None:
    """A presence message decodes as a Change with no patch and no wake; a change of the board
    still has its patch's JSON cut out of the payload (the fanout's fast path)."""
    message = {"from": "i1", "set": {"1": ["a@example.org", None, 0.0]}, "gone": []}
    change = notify.decode(notify.encode_presence(message))
    assert change.presence == message and change.patch == {} and change.wake == []
    assert change.patch_json is None
    board = notify.decode(notify.encode({"snippets": {"3": {"body": "x"}}}, {4}))
    assert board.presence is None
    assert board.patch_json == orjson.dumps({"snippets": {"3": {"body": "x"}}})
    with pytest.raises(ValueError, match="presence"):
        notify.decode('{"presence": 5}')


async def test_the_listener_hands_presence_on_apart_from_composed_patches() -> None:
    """Presence between two board changes goes to its own handler; the changes around it
    still compose into one patch, as if it had not been there."""
    from ws.listener import Listener

    got: list[dict[str, Any]] = []
    heard: list[dict[str, Any]] = []

    async def no_resync() -> None:
        raise AssertionError("no resync expected")

    listener = Listener(
        "postgresql://unused",
        lambda patch, wake, _raw: got.append(patch),
        no_resync,
        on_presence=heard.append,
    )
    payloads = [
        notify.encode({"snippets": {"1": {"body": "a"}}}, {3}),
        notify.encode_presence({"from": "i1", "set": {}, "gone": [7]}),
        notify.encode({"snippets": {"1": {"body": "b"}}}, {3}),
    ]
    await listener._deliver(None, payloads)  # type: ignore[arg-type]
    assert got == [{"snippets": {"1": {"body": "b"}}}]
    assert heard == [{"from": "i1", "set": {}, "gone": [7]}]

"""platform.reorder: dragging a column's header puts the columns in a new order, for everyone."""

from __future__ import annotations

import pytest

from board.layout import new_order
from tests.support import Client


@pytest.mark.parametrize(
    ("live", "wanted", "expected"),
    [
        ([1, 2, 3], [3, 1, 2], [3, 1, 2]),
        (
            [1, 2, 3],
            [2, 1],
            [2, 1, 3],
        ),  # a column added in another tab meanwhile keeps its place after
        ([1, 2, 3], [], [1, 2, 3]),
    ],
)
def test_new_order(live: list[int], wanted: list[int], expected: list[int]) -> None:
    """The listed columns first, the rest after in their old order."""
    assert new_order(live, wanted) == expected


async def _columns(admin: Client, n: int) -> list[int]:
    return [
        (
            await admin.ok(
                "platform.create",
                {"kind": "log", "name": f"Column {i}", "interval_s": 3600, "paused": True},
            )
        )["id"]
        for i in range(n)
    ]


def _order(client: Client) -> list[int]:
    platforms = client.state["platforms"].values()
    return [p["id"] for p in sorted(platforms, key=lambda p: (p["position"], p["id"]))]


async def test_reorder_reaches_every_board(admin: Client, editor: Client) -> None:
    """An editor's new order is every board's; only the columns that moved change."""
    a, b, c = await _columns(admin, 3)
    await admin.wait_for(lambda s: all(str(i) in s["platforms"] for i in (a, b, c)))
    versions = {p["id"]: p["version"] for p in admin.state["platforms"].values()}
    result = await editor.ok("platform.reorder", {"ids": [c, a, b]})
    assert result == {"ids": [c, a, b]}
    await admin.wait_for(lambda s: _order(admin) == [c, a, b])
    assert _order(editor) == [c, a, b]
    await editor.ok("platform.reorder", {"ids": [c, b, a]})
    await admin.wait_for(lambda s: _order(admin) == [c, b, a])
    assert admin.state["platforms"][str(c)]["version"] == versions[c] + 1, (
        "c stayed first: changed once"
    )


async def test_reorder_refusals(admin: Client, viewer: Client) -> None:
    """Unknown or repeated ids are refused, and viewers may not reorder."""
    a, b = await _columns(admin, 2)
    assert await admin.fails("platform.reorder", {"ids": [a, 999999]}) == "not_found"
    assert await admin.fails("platform.reorder", {"ids": [a, a, b]}) == "bad_request"
    assert await admin.fails("platform.reorder", {"ids": "a,b"}) == "bad_request"
    assert await viewer.fails("platform.reorder", {"ids": [b, a]}) == "forbidden"

"""The schedule walk of CONTRACT §4 over plain datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from board.schedule import ColumnClock, QueuedCard, walk

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def post(i: int) -> QueuedCard:
    return QueuedCard(i, "post")


def marker(i: int, minutes: int) -> QueuedCard:
    return QueuedCard(i, "interval", minutes * 60)


def expiring(i: int, at: datetime) -> QueuedCard:
    return QueuedCard(i, "post", expires_at=at)


@pytest.mark.parametrize(
    ("column", "cards", "now", "lead", "expected"),
    [
        pytest.param(
            ColumnClock(1800, T0),
            [post(1), post(2)],
            T0 + 5 * MIN,
            0,
            {1: T0 + 30 * MIN, 2: T0 + 60 * MIN},
            id="steady",
        ),
        pytest.param(
            ColumnClock(1800, None),
            [post(1), post(2)],
            T0,
            0,
            {1: T0, 2: T0 + 30 * MIN},
            id="never-sent: the head goes now",
        ),
        pytest.param(
            ColumnClock(1800, T0 - 120 * MIN),
            [post(1), post(2)],
            T0,
            0,
            {1: T0, 2: T0 + 30 * MIN},
            id="overdue: one now, then the rhythm",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [post(1), marker(2, 60), post(3), post(4)],
            T0,
            0,
            {1: T0 + 30 * MIN, 2: T0 + 30 * MIN, 3: T0 + 90 * MIN, 4: T0 + 150 * MIN},
            id="interval card changes the rhythm from there",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [marker(1, 10), post(2), post(3)],
            T0 + MIN,
            0,
            {1: T0 + MIN, 2: T0 + 10 * MIN, 3: T0 + 20 * MIN},
            id="interval card at the head",
        ),
        pytest.param(
            ColumnClock(1800, T0, running=False),
            [post(1), post(2)],
            T0,
            0,
            {1: None, 2: None},
            id="paused: no etas",
        ),
        pytest.param(ColumnClock(1800, T0), [], T0, 0, {}, id="empty"),
        pytest.param(
            ColumnClock(1800, T0),
            [QueuedCard(1, "post", urgent=True), post(2)],
            T0 + MIN,
            0,
            {1: T0 + MIN, 2: T0 + 31 * MIN},
            id="send now goes at once, the rest follow it",
        ),
        pytest.param(
            ColumnClock(1800, T0, running=False),
            [QueuedCard(1, "post", urgent=True), post(2)],
            T0,
            0,
            {1: T0, 2: None},
            id="send now in a paused column",
        ),
        pytest.param(
            ColumnClock(60, T0),
            [post(1), post(2)],
            T0,
            300,
            {1: T0 + 5 * MIN, 2: T0 + 6 * MIN},
            id="minimum lead pushes the head",
        ),
        pytest.param(
            ColumnClock(600, T0),
            [post(1)],
            T0 + 2 * MIN,
            60,
            {1: T0 + 10 * MIN},
            id="lead smaller than the interval changes nothing",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [post(1), expiring(2, T0 + 45 * MIN), post(3)],
            T0,
            0,
            {1: T0 + 30 * MIN, 2: None, 3: T0 + 60 * MIN},
            id="a card whose turn comes after its expiry takes no slot; the next moves up",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [expiring(1, T0 + 31 * MIN), post(2)],
            T0,
            0,
            {1: T0 + 30 * MIN, 2: T0 + 60 * MIN},
            id="a card whose turn comes before its expiry keeps it",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [expiring(1, T0 + 30 * MIN), post(2)],
            T0,
            0,
            {1: None, 2: T0 + 30 * MIN},
            id="a turn at the very moment of expiry is too late",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [QueuedCard(1, "post", urgent=True, expires_at=T0), post(2)],
            T0,
            0,
            {1: None, 2: T0 + 30 * MIN},
            id="send now of a card whose expiry has come: no eta",
        ),
        pytest.param(
            ColumnClock(1800, T0, running=False),
            [QueuedCard(1, "post", urgent=True), expiring(2, T0 + 90 * MIN), post(3)],
            T0,
            0,
            {1: T0, 2: None, 3: None},
            id="held (not running): only a send-now card goes",
        ),
        pytest.param(
            ColumnClock(1800, T0),
            [post(1), QueuedCard(2, "post", waiting=True), post(3)],
            T0 + 5 * MIN,
            0,
            {1: T0 + 30 * MIN, 2: None, 3: T0 + 60 * MIN},
            id="a card waiting for approval takes no slot: the next moves up",
        ),
        pytest.param(
            ColumnClock(1800, T0, running=False),
            [QueuedCard(1, "post", urgent=True, waiting=True), post(2)],
            T0,
            0,
            {1: None, 2: None},
            id="a waiting card is not sent now either",
        ),
    ],
)
def test_walk(
    column: ColumnClock,
    cards: list[QueuedCard],
    now: datetime,
    lead: int,
    expected: dict[int, datetime | None],
) -> None:
    """Each case gets exactly the etas the contract's rule gives."""
    assert walk(column, cards, now, timedelta(seconds=lead)) == expected

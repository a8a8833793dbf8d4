"""board/db.py is_connection_error: what says "the database is out of reach, try again"."""

from __future__ import annotations

import asyncpg
import pytest

from board.db import is_connection_error

Internal = asyncpg.exceptions.InternalClientError


@pytest.mark.parametrize(
    "message",
    [
        # A connection the server dropped mid-error, handed out again before the pool saw the
        # lost socket (the outage drill met it): asyncpg's protocol refuses the next statement.
        "cannot switch to state 11; another operation (2) is in progress",
        "cannot switch to state 12; another operation (3) is in progress",
        'cannot switch to state 11; protocol is in the "failed" state',
        "not connected",
    ],
)
def test_a_protocol_left_by_a_dead_server_is_a_connection_error(message: str) -> None:
    assert is_connection_error(Internal(message))


@pytest.mark.parametrize(
    "error",
    [
        # A statement while another of the same connection runs: two tasks sharing one, a bug.
        Internal("cannot switch to state 11; another operation (12) is in progress"),
        Internal("Pool.release() received invalid connection"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        ValueError("not a database error"),
    ],
)
def test_a_bug_is_not_a_connection_error(error: Exception) -> None:
    assert not is_connection_error(error)


def test_the_server_out_of_reach_is_a_connection_error() -> None:
    assert is_connection_error(ConnectionRefusedError(111, "Connection refused"))
    assert is_connection_error(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert is_connection_error(asyncpg.exceptions.TooManyConnectionsError("too many"))

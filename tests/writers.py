"""The two frame writers (docs/architecture.md, "Fanout") as test parameters: the uvicorn
options that get each, and a check that a test really ran on the writer it names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from ws.direct import DirectConnection
from ws.hub import BaseConnection, Connection

# `metronome serve`'s settings get the direct writer. uvicorn's wsproto implementation, whose
# ASGI send is not websockets-sansio's, gets the queued one, as any other ASGI server would.
WRITERS: dict[str, dict[str, Any]] = {"direct": {}, "queued": {"ws": "wsproto"}}
KINDS: dict[str, type[BaseConnection]] = {"direct": DirectConnection, "queued": Connection}

# Runs a test that takes the `server` fixture (or a client built on it) under each writer.
EACH_WRITER = pytest.mark.parametrize("server", sorted(WRITERS), indirect=True)


@contextlib.contextmanager
def taking(running: Any, writer: str, *, required: bool) -> Iterator[None]:
    """Fails unless every connection that joins ``running``'s hub meanwhile is ``writer``'s
    kind, and (when ``required``) at least one does: a parametrized test that quietly ran
    on the other writer would prove nothing about this one."""
    hub = running.services.hub
    joined: list[type[BaseConnection]] = []
    join = hub.join

    def recording_join(conn: BaseConnection, user_id: int | None = None) -> None:
        joined.append(type(conn))
        join(conn, user_id)

    hub.join = recording_join
    try:
        yield
    finally:
        del hub.join  # the class's method again
    kind = KINDS[writer]
    assert all(k is kind for k in joined), f"expected only {kind.__name__}, got {joined}"
    assert joined or not required, f"no connection joined: the {writer} writer was not used"

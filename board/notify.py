"""The change stream's codec: how a committed change reaches every instance over NOTIFY.

A change is a merge patch on the board's state and the columns whose posters must look again
(``wake``). It travels as ``{"patch":P,"wake":W}`` on one channel; PostgreSQL delivers
notifications in commit order, only once their transaction commits. A payload too large for
NOTIFY (8000 bytes) waits in the ``changes`` table and the notification carries ``#<id>``.

The listener hands each patch on to every WebSocket client as bytes: ``decode`` cuts the
patch's own JSON out of the payload, so it is not decoded and encoded again per patch.

The same channel carries presence (ws/presence.py) as ``{"presence":M}``: who has the board
open on the sending instance. It is ephemeral: no event, no ``changes`` row (the sender keeps
each message under the limit), no wake; ``decode`` returns it as a Change with an empty patch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

CHANNEL = "metronome_changes"
# NOTIFY payloads must stay under 8000 bytes.
MAX_NOTIFY = 7900
# Every instance reads a spilled change within moments; an hour is plenty for a slow one.
SPILL_KEPT = "1 hour"

_PATCH_KEY = b'{"patch":'


@dataclass(frozen=True)
class Change:
    patch: dict[str, Any]
    wake: list[int]
    # The patch's JSON as it came (None when it could not be cut out: encode the patch).
    patch_json: bytes | None = None
    # A presence message instead of a change of the board (then patch and wake are empty).
    presence: dict[str, Any] | None = None


def encode(patch: dict[str, Any], wake: set[int] | frozenset[int] | list[int]) -> str:
    return orjson.dumps({"patch": patch, "wake": sorted(wake)}).decode()


def encode_presence(message: dict[str, Any]) -> str:
    return orjson.dumps({"presence": message}).decode()


def notify_sql(payload: str, ctes: list[str], params: list[Any]) -> str:
    """The statement that notifies every instance of ``payload``, after ``ctes`` (other work
    of the same round trip, such as recording the event); adds its values to ``params``.

    A payload too large for NOTIFY is stored in ``changes`` (dropping rows older than
    SPILL_KEPT) and the notification names its row."""
    channel = _param(params, CHANNEL)
    if fits(payload):
        body = f"SELECT pg_notify({channel}, {_param(params, payload)})"
    else:
        ctes = [
            *ctes,
            f"old_changes AS (DELETE FROM changes WHERE created_at < now() - interval '{SPILL_KEPT}')",
            f"spilled AS (INSERT INTO changes (payload) VALUES ({_param(params, payload)}) RETURNING id)",
        ]
        body = f"SELECT pg_notify({channel}, '#' || spilled.id) FROM spilled"
    return (f"WITH {', '.join(ctes)} " if ctes else "") + body


def fits(payload: str) -> bool:
    """Whether ``payload`` rides a notification (else it is stored in ``changes``)."""
    return len(payload.encode()) <= MAX_NOTIFY


def notify_either_sql(
    condition: str, then: str, otherwise: str, ctes: list[str], params: list[Any], source: str
) -> str:
    """The statement that, after ``ctes``, notifies every instance of ``then`` if
    ``condition`` holds for the row of ``source``, else of ``otherwise``; of nothing if
    ``source`` has no row (a statement that changed nothing). Adds its values to ``params``.
    Both payloads must ``fit``: nothing is stored in ``changes`` here."""
    if not (fits(then) and fits(otherwise)):
        raise ValueError("expected payloads that fit a notification")
    channel, first, second = (_param(params, v) for v in (CHANNEL, then, otherwise))
    return (
        (f"WITH {', '.join(ctes)} " if ctes else "")
        + f"SELECT pg_notify({channel}, CASE WHEN {condition} THEN {first} ELSE {second} END)"
        + f" FROM {source}"
    )


def _param(params: list[Any], value: Any) -> str:
    params.append(value)
    return f"${len(params)}"


def spilled_id(payload: str) -> int | None:
    """The ``changes`` row a notification names, or None when it carries the change itself."""
    if not payload.startswith("#"):
        return None
    try:
        return int(payload[1:])
    except ValueError:
        return None


def decode(payload: str | bytes) -> Change:
    """A notification's change; raises ValueError when it is not one."""
    raw = payload.encode() if isinstance(payload, str) else payload
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"expected a change as JSON, got {raw[:60]!r}") from exc
    if isinstance(message, dict) and "presence" in message and "patch" not in message:
        if not isinstance(message["presence"], dict):
            raise ValueError(f"expected presence to be an object, got {raw[:60]!r}")
        return Change({}, [], presence=message["presence"])
    if not isinstance(message, dict) or not isinstance(message.get("patch", {}), dict):
        raise ValueError(f"expected a change object with a patch, got {raw[:60]!r}")
    wake = message.get("wake") or []
    if not isinstance(wake, list) or not all(isinstance(w, int) for w in wake):
        raise ValueError(f"expected wake to be a list of column ids, got {wake!r:.60}")
    return Change(message.get("patch") or {}, wake, _patch_json(raw, message))


def _patch_json(raw: bytes, message: dict[str, Any]) -> bytes | None:
    """The bytes between ``{"patch":`` and the rest, when the payload is exactly as
    ``encode`` writes it (the rest encodes again to the same bytes); else None."""
    if "patch" not in message or not raw.startswith(_PATCH_KEY):
        return None
    rest = {k: v for k, v in message.items() if k != "patch"}
    tail = b"," + orjson.dumps(rest)[1:] if rest else b"}"
    if not raw.endswith(tail) or len(raw) <= len(_PATCH_KEY) + len(tail):
        return None
    return raw[len(_PATCH_KEY) : -len(tail)]

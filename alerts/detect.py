"""Which changes are alerts: transitions read off the board's change stream, and the
conditions (a queue running dry, a token about to expire) looked for every minute. Pure.

Every instance hears every committed change (ws/listener.py) and runs the same checks; the
database decides which of them sends (alerter.py's claim).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from board.context import running

# Column setting: how far ahead a running queue must reach (CONTRACT §10: default two hours).
DEFAULT_DRY_S = 7200
# token_expiring: a week ahead (issue 16).
TOKEN_WARNING = timedelta(days=7)
# The statuses a card's patch may reach that are alerts.
CARD_EVENTS = {"failed": "card_failed", "needs_check": "card_needs_check"}


@dataclass(frozen=True)
class Candidate:
    """Something that may be an alert: an event and the row it is about."""

    event: str
    table: str  # platforms, snippets or feeds
    id: int


def transitions(patch: Mapping[str, Any]) -> list[Candidate]:
    """The alerts a change announces: a column stopped (its credentials rejected), a card
    failed or left needing a check, a feed failing. A patch carries a field only when it
    changed, so each is seen once, when it happens."""
    found: list[Candidate] = []
    for key, delta in _rows(patch, "platforms"):
        if delta.get("status") == "auth_rejected":
            found.append(Candidate("column_stopped", "platforms", key))
    for key, delta in _rows(patch, "snippets"):
        event = CARD_EVENTS.get(delta.get("status") or "")
        if event is not None:
            found.append(Candidate(event, "snippets", key))
    for key, delta in _rows(patch, "feeds"):
        if delta.get("status") == "failing":
            found.append(Candidate("feed_failing", "feeds", key))
    return found


def dry_s(settings: Mapping[str, Any] | None) -> float:
    value = (settings or {}).get("dry_s")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DEFAULT_DRY_S
    return float(value)


def is_dry(column: Any, last_eta: datetime | None, now: datetime) -> bool:
    """A running column (not paused, not held, not stopped, not an inbox) whose last pending
    card goes out within its ``dry_s`` of now, or that has none."""
    if not running(column["paused"], column["status"], column["kind"], bool(column["hold_ids"])):
        return False
    return last_eta is None or last_eta <= now + timedelta(seconds=dry_s(column["settings"]))


def expiring(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now + TOKEN_WARNING


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rows(patch: Mapping[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    rows = patch.get(section)
    if not isinstance(rows, dict):
        return []
    found = []
    for raw_key, delta in rows.items():
        key = _int(raw_key)
        if key is not None and isinstance(delta, dict):
            found.append((key, delta))
    return found


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

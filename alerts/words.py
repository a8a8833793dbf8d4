"""An alert as it is sent: the event, what it is about, one plain sentence and a deep link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# CONTRACT §10, and the token health of issue 16.
EVENTS = (
    "column_stopped",
    "card_failed",
    "card_needs_check",
    "queue_dry",
    "feed_failing",
    "token_expiring",
)
# Conditions rather than moments: reported once while they hold (alerter.py).
CONDITIONS = ("queue_dry", "token_expiring")
# How much of a card's text names it in a sentence.
FIRST_WORDS = 60


@dataclass(frozen=True)
class Alert:
    event: str
    text: str
    link: str
    platform_id: int | None = None
    snippet_id: int | None = None
    feed_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON (CONTRACT §10); ``snippet_id`` only for a card's alert."""
        body: dict[str, Any] = {
            "event": self.event,
            "platform_id": self.platform_id,
            "text": self.text,
            "link": self.link,
        }
        if self.snippet_id is not None:
            body["snippet_id"] = self.snippet_id
        if self.feed_id is not None:
            body["feed_id"] = self.feed_id
        return body

    def message(self) -> str:
        """The sentence and the link, for a chat or an e-mail."""
        return f"{self.text}\n{self.link}"


def link(public_url: str | None, platform_id: int | None, snippet_id: int | None = None) -> str:
    """The board at a card or a column (CONTRACT §10); relative without METRONOME_PUBLIC_URL."""
    base = public_url or ""
    if snippet_id is not None:
        return f"{base}/#snippet-{snippet_id}"
    if platform_id is not None:
        return f"{base}/#platform-{platform_id}"
    return f"{base}/"


def first_words(body: str | None) -> str:
    text = " ".join((body or "").split())
    if len(text) <= FIRST_WORDS:
        return text
    cut = text[:FIRST_WORDS].rsplit(" ", 1)[0] or text[:FIRST_WORDS]
    return cut + "…"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def column_stopped(column: str, reason: str | None) -> str:
    why = f" ({reason})" if reason else ""
    return f'Column "{column}" has stopped publishing: its credentials were rejected{why}.'


def card_failed(column: str, body: str | None, error: str | None) -> str:
    why = f": {error}" if error else ""
    return f'A card failed in "{column}" ("{first_words(body)}"){why}.'


def card_needs_check(column: str, body: str | None) -> str:
    return (
        f'A card in "{column}" needs checking ("{first_words(body)}"): nobody knows whether'
        " it went out."
    )


def queue_dry(column: str, last_eta: datetime | None) -> str:
    if last_eta is None:
        return f'The queue of "{column}" is empty: nothing more will be published there.'
    return f'The queue of "{column}" runs dry: its last card goes out at {when(last_eta)}.'


def feed_failing(feed: str, column: str | None, error: str | None) -> str:
    into = f' (into "{column}")' if column else ""
    why = f": {error}" if error else ""
    return f'The feed "{feed}"{into} is failing{why}.'


def token_expiring(column: str, expires_at: datetime, now: datetime) -> str:
    if expires_at <= now:
        return f'The token of "{column}" expired at {when(expires_at)}: renew it.'
    days = (expires_at - now).days
    soon = "within a day" if days < 1 else f"in {days} day{'s' if days > 1 else ''}"
    return f'The token of "{column}" expires {soon} ({when(expires_at)}): renew it.'


def test(name: str) -> str:
    return f'A test alert from Metronome to "{name}": alerts reach this target.'

"""What is an alert and how it reads: transitions in a change, the conditions, the sentences
and links (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts import detect, words
from alerts.detect import Candidate

NOW = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


def test_transitions_read_off_a_change() -> None:
    """A column rejected, cards failed or unsure, a feed failing; nothing else."""
    patch = {
        "platforms": {"3": {"status": "auth_rejected", "status_message": "x"}, "4": {"name": "n"}},
        "snippets": {
            "17": {"status": "failed", "meta": {"error": "no"}},
            "18": {"status": "needs_check"},
            "19": {"status": "sent"},
            "20": None,
        },
        "feeds": {"2": {"status": "failing", "failures": 1}, "5": {"failures": 2}},
        "alerts": {"1": {"status": "failing"}},
    }
    assert detect.transitions(patch) == [
        Candidate("column_stopped", "platforms", 3),
        Candidate("card_failed", "snippets", 17),
        Candidate("card_needs_check", "snippets", 18),
        Candidate("feed_failing", "feeds", 2),
    ]
    assert detect.transitions({"platforms": None, "snippets": {"x": {"status": "failed"}}}) == []


def column(**fields: Any) -> dict[str, Any]:
    return {
        "paused": False,
        "status": "ok",
        "kind": "telegram",
        "hold_ids": [],
        "settings": {},
        **fields,
    }


@pytest.mark.parametrize(
    "fields,last_eta,dry",
    [
        ({}, None, True),  # an empty queue
        ({}, NOW + timedelta(hours=1), True),  # its last card within two hours
        ({}, NOW + timedelta(hours=3), False),
        ({"settings": {"dry_s": 14400}}, NOW + timedelta(hours=3), True),
        ({"settings": {"dry_s": "soon"}}, NOW + timedelta(hours=3), False),  # default 7200
        ({"paused": True}, None, False),
        ({"hold_ids": [4]}, None, False),
        ({"status": "auth_rejected"}, None, False),
        ({"kind": "drafts"}, None, False),
    ],
)
def test_a_running_queue_runs_dry(
    fields: dict[str, Any], last_eta: datetime | None, dry: bool
) -> None:
    assert detect.is_dry(column(**fields), last_eta, NOW) is dry


def test_a_token_expires_within_a_week() -> None:
    assert detect.expiring(NOW + timedelta(days=6, hours=23), NOW)
    assert detect.expiring(NOW - timedelta(days=1), NOW)
    assert not detect.expiring(NOW + timedelta(days=7, minutes=1), NOW)
    assert not detect.expiring(None, NOW)


def test_sentences_name_the_column_and_the_card() -> None:
    body = "Breaking: the city council votes tonight on the new budget for schools and roads"
    assert words.card_failed("Telegram @news", body, "HTTP 400: too long") == (
        'A card failed in "Telegram @news" ("Breaking: the city council votes tonight on the new'
        ' budget…"): HTTP 400: too long.'
    )
    assert words.column_stopped("VK", "HTTP 401: token revoked") == (
        'Column "VK" has stopped publishing: its credentials were rejected (HTTP 401: token revoked).'
    )
    assert (
        words.queue_dry("X", None)
        == 'The queue of "X" is empty: nothing more will be published there.'
    )
    assert (
        words.queue_dry("X", NOW)
        == 'The queue of "X" runs dry: its last card goes out at 2026-12-05 22:00 UTC.'
    )
    assert words.feed_failing("City wire", "Inbox", "no HTTP answer") == (
        'The feed "City wire" (into "Inbox") is failing: no HTTP answer.'
    )
    assert "in 3 days" in words.token_expiring("FB", NOW + timedelta(days=3, hours=2), NOW)
    assert "within a day" in words.token_expiring("FB", NOW + timedelta(hours=2), NOW)
    assert "expired" in words.token_expiring("FB", NOW - timedelta(hours=2), NOW)


def test_links_and_the_webhook_body() -> None:
    assert words.link("https://b.example", 3) == "https://b.example/#platform-3"
    assert words.link("https://b.example", 3, 17) == "https://b.example/#snippet-17"
    assert words.link(None, None) == "/"
    alert = words.Alert("card_failed", "A card failed.", "https://b.example/#snippet-17", 3, 17)
    assert alert.payload() == {
        "event": "card_failed",
        "platform_id": 3,
        "snippet_id": 17,
        "text": "A card failed.",
        "link": "https://b.example/#snippet-17",
    }
    assert "snippet_id" not in words.Alert("queue_dry", "t", "l", 3).payload()
    assert alert.message() == "A card failed.\nhttps://b.example/#snippet-17"


def test_smtp_from_the_target_else_the_environment() -> None:
    """An e-mail target names its server, or METRONOME_SMTP_* does; its own password wins."""
    from alerts.senders import Senders
    from fetching.policy import AddressPolicy

    env = {
        "METRONOME_SMTP_HOST": "smtp.newsroom.example",
        "METRONOME_SMTP_USER": "metronome",
        "METRONOME_SMTP_PASSWORD": "from-env",
        "METRONOME_SMTP_FROM": "board@newsroom.example",
    }
    senders = Senders(AddressPolicy(), env)
    smtp = senders.smtp({"to": ["desk@example.org"]}, {})
    assert smtp == {
        "hostname": "smtp.newsroom.example",
        "port": 587,
        "username": "metronome",
        "password": "from-env",
        "use_tls": False,
        "start_tls": None,
        "sender": "board@newsroom.example",
    }
    own = senders.smtp({"host": "mail.example", "tls": "ssl", "user": "u"}, {"password": "p"})
    assert (own["hostname"], own["port"], own["use_tls"], own["start_tls"]) == (
        "mail.example",
        465,
        True,
        False,
    )
    assert (own["username"], own["password"]) == ("u", "p")

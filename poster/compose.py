"""From a card row to the Post an adapter publishes: the final text and the link it carries.

The link is the card's URL, UTM-tagged where the column wants it (poster/utm.py), or, in a
column that tracks clicks (setting ``track``) on a server that knows its public address
(METRONOME_PUBLIC_URL), that address's ``/l/<code>``, which redirects to the tagged URL and
counts the click (CONTRACT §11).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from board import links
from board.db import Db
from platforms.base import Media, Post
from poster.utm import tag


def idempotency_key(snippet_id: int, attempt: int) -> str:
    """Stable for one card and one editor's attempt (automatic retries reuse it)."""
    return f"metronome-{snippet_id}-{attempt}"


def final_text(body: str, url: str | None) -> str:
    body = body.strip()
    if not url:
        return body
    return f"{body}\n\n{url}" if body else url


def short_url(public_url: str, code: str) -> str:
    return f"{public_url}/l/{code}"


async def tracked_link(db: Db, card: Any, column: Any, public_url: str | None) -> str | None:
    """The tracked link a card taken to publish carries (made now if it has none for its
    tagged URL), or None when its column does not track or it has no URL. Called in the
    unit of work that marks the card `sending`, so the link exists before the post does."""
    settings = column["settings"] or {}
    if public_url is None or settings.get("track") is not True or not card["url"]:
        return None
    target = tag(card["url"], column["kind"], settings.get("utm", True))
    return short_url(public_url, await links.attach(db, card["id"], target))


def compose(
    card: Any,
    kind: str,
    settings: Mapping[str, Any],
    media: tuple[Media, ...] = (),
    link: str | None = None,
) -> Post:
    """``link``: the card's tracked link (tracked_link), which replaces its tagged URL."""
    m = card
    url = m["url"]
    if link is not None:
        shown: str | None = link
    else:
        shown = tag(url, kind, settings.get("utm", True)) if url else None
    meta = m["meta"] or {}
    return Post(
        snippet_id=m["id"],
        platform_id=m["platform_id"],
        body=m["body"] or "",
        url=shown,
        text=final_text(m["body"] or "", shown),
        title=m.get("material_title"),
        description=m.get("material_lead"),
        media=media,
        idempotency_key=idempotency_key(m["id"], int(meta.get("attempt", 1))),
    )

"""From a card row to the Post an adapter publishes: the final text and the tagged link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def compose(
    card: Any, kind: str, settings: Mapping[str, Any], media: tuple[Media, ...] = ()
) -> Post:
    m = card
    url = m["url"]
    tagged = tag(url, kind, settings.get("utm", True)) if url else None
    meta = m["meta"] or {}
    return Post(
        snippet_id=m["id"],
        platform_id=m["platform_id"],
        body=m["body"] or "",
        url=tagged,
        text=final_text(m["body"] or "", tagged),
        title=m.get("material_title"),
        description=m.get("material_lead"),
        media=media,
        idempotency_key=idempotency_key(m["id"], int(meta.get("attempt", 1))),
    )

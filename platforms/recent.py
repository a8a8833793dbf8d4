"""Helpers for ``recent_posts`` on networks that list an account's posts newest first by time.

Facebook, Instagram and YouTube list posts by time, not by an increasing id, so a look's cursor
is the newest post time seen and the ids posted at exactly that time: the next look keeps only
posts after it (and those ids are not listed twice when a network's time filter is inclusive).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from platforms.base import RemotePost

# A few hundred posts a day is the most a newsroom account makes; a look pages no further.
MAX_PAGES = 5


def parse_time(value: object) -> datetime | None:
    """An ISO time as the networks write it ("…+0000", "…Z", "….000Z") as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


@dataclass(frozen=True)
class TimeMark:
    """Where a look ended: the newest post time and the ids posted at that very time."""

    at: datetime
    ids: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, cursor: str | None) -> TimeMark | None:
        if not cursor:
            return None
        stamp, _, ids = cursor.partition("|")
        at = parse_time(stamp)
        if at is None:
            return None  # a cursor from another kind or version: start from ``since``
        return cls(at, frozenset(i for i in ids.split(",") if i))

    def encode(self) -> str:
        return f"{self.at.isoformat()}|{','.join(sorted(self.ids))}"

    def after(self, post: RemotePost) -> bool:
        return post.posted_at > self.at or (
            post.posted_at == self.at and post.remote_id not in self.ids
        )


def newer(
    posts: Iterable[RemotePost], since: datetime, cursor: str | None
) -> tuple[tuple[RemotePost, ...], str | None]:
    """The posts (listed newest first, as the networks list them) after ``since`` and after the
    cursor's mark, oldest first, once each; and the cursor of the next look (the old one when
    nothing new came). Posts of the same second keep the network's order."""
    mark = TimeMark.parse(cursor)
    seen: dict[str, RemotePost] = {}
    for post in posts:
        if post.posted_at < since or (mark is not None and not mark.after(post)):
            continue
        seen.setdefault(post.remote_id, post)
    found = tuple(sorted(reversed(seen.values()), key=lambda p: p.posted_at))
    if not found:
        return found, cursor
    newest = found[-1].posted_at
    ids = {p.remote_id for p in found if p.posted_at == newest}
    if mark is not None and mark.at == newest:
        ids |= mark.ids
    return found, TimeMark(newest, frozenset(ids)).encode()

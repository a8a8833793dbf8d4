"""The one small interface every network adapter implements, and its typed errors.

The poster calls ``publish`` and decides what to do from the exception type alone:

- ``Transient``: nothing was published (a connection refused, a 5xx); retry with backoff.
- ``RateLimited``: the network asked us to wait ``retry_after`` seconds; does not count as a try.
- ``AuthRejected``: the column's credentials are refused; the column stops.
- ``Rejected``: the network refused this card (too long, bad media); the card fails.
- ``OutcomeUnknown``: the request may have been published (a timeout after it left, a
  "duplicate" answer); never retried blindly: reconciled, else ``needs_check``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, ClassVar, Protocol

import httpx


class PlatformError(Exception):
    """The network did not publish the card."""

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or self.__doc__ or type(self).__name__)
        # The setting or secret the network refused, when it says (a check shows it there).
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


class Transient(PlatformError):
    """A temporary failure; nothing was published, it is safe to try again."""


class RateLimited(PlatformError):
    """The network asked us to slow down."""

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        super().__init__(message or f"rate limited: retry after {retry_after:g} s")
        self.retry_after = max(0.0, float(retry_after))


class AuthRejected(PlatformError):
    """The network refused the column's credentials."""


class Rejected(PlatformError):
    """The network refused this card."""


class OutcomeUnknown(PlatformError):
    """The request may or may not have been published."""


class InvalidSettings(ValueError):
    """A column's settings or secrets are not usable."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


class MediaSource(Protocol):
    """Where a media's bytes are (a file on disk, an S3 object: media/local.py, media/s3.py)."""

    def open(self) -> BinaryIO:
        """A seekable reader at the first byte. Blocking, as its reads are: call in a thread."""
        ...


@dataclass(frozen=True)
class Media:
    """An image or a video attached to a card, stored once (local disk or S3).

    Its bytes are never read whole: adapters stream them in chunks off the event loop
    (platforms/upload.py), or hand ``open()`` to a client library that runs in a thread.
    """

    kind: str  # "image" | "video"
    content_type: str
    filename: str
    size: int
    # Where a network that fetches media by URL can get it (S3 or the app's public URL).
    public_url: str | None = None
    # The stored bytes, for networks that want an upload.
    source: MediaSource | None = None

    def stored(self) -> MediaSource:
        """The source of the bytes; Rejected when there are none to upload."""
        if self.source is None:
            raise Rejected(f"media {self.filename} has no stored copy to upload")
        return self.source

    def open(self) -> BinaryIO:
        """A reader of the bytes (blocking: in a thread); Rejected when there are none."""
        return self.stored().open()


@dataclass(frozen=True)
class Post:
    """What goes out: everything an adapter needs, already resolved from the card."""

    snippet_id: int
    platform_id: int
    body: str
    url: str | None  # the material link, UTM-tagged where the column wants it
    text: str  # the final status text: the body with the tagged link
    title: str | None = None  # the material's title, for link cards
    description: str | None = None  # the material's lead
    media: tuple[Media, ...] = ()
    # Stable for one card and one editor's attempt: automatic retries reuse it, so networks
    # that honour an idempotency key (Mastodon, Bluesky record keys) never post twice.
    idempotency_key: str = ""

    @property
    def image(self) -> Media | None:
        return next((m for m in self.media if m.kind == "image"), None)

    @property
    def video(self) -> Media | None:
        return next((m for m in self.media if m.kind == "video"), None)


@dataclass(frozen=True)
class Receipt:
    remote_id: str
    remote_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemotePost:
    """A post found on the account by a watcher (CONTRACT §9)."""

    remote_id: str  # the same id ``publish`` puts in its Receipt: our own posts match it
    posted_at: datetime  # aware, UTC
    text: str
    remote_url: str | None = None


@dataclass(frozen=True)
class Seen:
    """One look at the account: the posts found, oldest first, and where the next look starts."""

    posts: tuple[RemotePost, ...]
    # Network-specific (an update offset, a newest id, a page cursor); stored with the column.
    cursor: str | None = None


@dataclass(frozen=True)
class Identity:
    """Who the network says a column's account is: the answer of "Check connection".

    The page words it ("posts as @bot to News"); these are the network's own names.
    """

    account: (
        str  # the account, as the network names it: "@metronome_bot", "newsroom@mastodon.social"
    )
    target: str | None = (
        None  # where it posts, when that is not the account itself: a channel, a Page
    )
    url: str | None = None  # a link to the account or the target
    warning: str | None = None  # a problem the network reported that will stop publishing


@dataclass(frozen=True)
class Column:
    """A column as its adapter sees it: its own row, its own decrypted secrets."""

    id: int
    kind: str
    name: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]


class Adapter(abc.ABC):
    """One network account. Built from one column's row; holds only that column's secrets."""

    kind: ClassVar[str]
    # Characters a post may hold on this network (the board shows a counter).
    text_limit: ClassVar[int | None] = None
    # Setting keys whose values are public; everything in secrets stays server-side.
    setting_keys: ClassVar[tuple[str, ...]] = ()
    secret_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        self.column = column
        self.http = http

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        """Raise InvalidSettings naming the first unusable field."""

    @abc.abstractmethod
    async def publish(self, post: Post) -> Receipt:
        """Publish the post or raise a PlatformError subclass."""

    @abc.abstractmethod
    async def check(self) -> Identity:
        """Ask the network who the account is, publishing nothing; raise the typed errors
        (AuthRejected with ``field`` naming the refused setting or secret where known)."""

    async def reconcile(self, post: Post) -> Receipt | None:
        """After an unknown outcome: the receipt if the post is found on the network.

        None means the network cannot tell us; the card goes to an editor (needs_check).
        """
        return None

    # Whether the account can list its own recent posts, so the column is watched (CONTRACT §9).
    watchable: ClassVar[bool] = False

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The account's posts after ``since`` (or after ``cursor``, the last look's), oldest
        first; raise the typed errors (RateLimited backs the watcher off)."""
        raise NotImplementedError(f"{self.kind} does not list the account's posts")

    async def aclose(self) -> None:
        """Release what the adapter holds (sessions, connections)."""

"""YouTube: ``videos.insert`` with a resumable upload, through google-api-python-client.

The client is synchronous, so an upload runs in a thread. Credentials are an OAuth 2.0 refresh
token with the app's client id and secret (refreshed at ``token_uri``), or a bare access token.
YouTube creates the video only when the last byte arrives: a timeout before that is safe to
retry; only a final chunk without an answer leaves the outcome unknown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import httpx
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from platforms.base import (
    Adapter,
    AuthRejected,
    Column,
    Identity,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    PlatformError,
    Post,
    RateLimited,
    Receipt,
    Rejected,
    RemotePost,
    Seen,
    Transient,
)
from platforms.recent import MAX_PAGES, TimeMark, newer, parse_time
from platforms.tokens import TokenHealth

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_API_BASE = "https://youtube.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPES = ["https://www.googleapis.com/auth/youtube.upload"]
PRIVACY = ("public", "unlisted", "private")
DEFAULT_CATEGORY = "25"  # News & Politics
CHUNK_UNIT = 256 * 1024  # resumable chunks must be multiples of 256 KiB
DEFAULT_CHUNK = 32 * CHUNK_UNIT
DEFAULT_TIMEOUT_S = 60.0
TITLE_LIMIT = 100
DESCRIPTION_BYTES = 5000
# The daily quota resets at midnight Pacific time; short "slow down" errors get a minute.
QUOTA_ZONE = "America/Los_Angeles"
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
SLOW_DOWN_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
SLOW_DOWN_WAIT_S = 60.0
# uploadLimitExceeded: the channel's own daily upload cap; YouTube says try again in 24 hours.
UPLOAD_LIMIT_WAIT_S = 86400.0
PLAYLIST_PAGE = 50  # playlistItems.list's largest page (1 quota unit a page)


def until_quota_reset(now: dt.datetime | None = None) -> float:
    """Seconds until the next midnight in Pacific time, when YouTube resets the daily quota."""
    zone = ZoneInfo(QUOTA_ZONE)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return (midnight - now).total_seconds()


def youtube_error(exc: HttpError) -> PlatformError:
    """Map an HttpError (Google's ``{"error": {"errors": [{"reason"}]}}``) onto a typed error."""
    status = exc.resp.status
    try:
        error = json.loads(exc.content).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    details = error.get("errors") or [{}]
    reason = str(details[0].get("reason", ""))
    message = f"YouTube {status} {reason}: {str(error.get('message', ''))[:300]}".replace(" :", ":")
    if status == 401:
        return AuthRejected(message)
    if reason in QUOTA_REASONS:
        return RateLimited(until_quota_reset(), message)
    if reason in SLOW_DOWN_REASONS or status == 429:
        return RateLimited(SLOW_DOWN_WAIT_S, message)
    if reason == "uploadLimitExceeded":
        return RateLimited(UPLOAD_LIMIT_WAIT_S, message)
    if status == 403:
        return AuthRejected(
            message
        )  # forbidden, insufficientPermissions: the account cannot upload
    if status >= 500:
        return Transient(message)
    return Rejected(message)


def clean(text: str) -> str:
    """YouTube refuses titles and descriptions with angle brackets."""
    return text.replace("<", "‹").replace(">", "›")


class YouTubeAdapter(Adapter):
    kind: ClassVar[str] = "youtube"
    text_limit: ClassVar[int | None] = DESCRIPTION_BYTES
    setting_keys: ClassVar[tuple[str, ...]] = (
        "api_base",
        "token_uri",
        "privacy_status",
        "publish_delay_s",
        "category_id",
        "timeout_s",
        "chunk_size",
    )
    secret_keys: ClassVar[tuple[str, ...]] = (
        "refresh_token",
        "client_id",
        "client_secret",
        "access_token",
    )
    watchable: ClassVar[bool] = True

    def __init__(
        self, column: Column, http: httpx.AsyncClient, *, ca_certs: str | None = None
    ) -> None:
        super().__init__(column, http)
        settings, secrets = column.settings, column.secrets
        self.api_base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.privacy = str(settings.get("privacy_status") or "public")
        self.publish_delay = float(settings.get("publish_delay_s") or 0)
        self.category = str(settings.get("category_id") or DEFAULT_CATEGORY)
        self.timeout = float(settings.get("timeout_s") or DEFAULT_TIMEOUT_S)
        self.chunk_size = int(settings.get("chunk_size") or DEFAULT_CHUNK)
        self.ca_certs = ca_certs  # a private CA bundle (tests, proxies); None: the system's
        self.credentials = Credentials(
            token=secrets.get("access_token") or None,
            refresh_token=secrets.get("refresh_token") or None,
            client_id=secrets.get("client_id") or None,
            client_secret=secrets.get("client_secret") or None,
            token_uri=str(settings.get("token_uri") or DEFAULT_TOKEN_URI),
            scopes=SCOPES,
        )
        # Reading the channel (check, the watcher) uses every scope the token was granted
        # (publishing asks for youtube.upload alone, which cannot read it); kept, so a look
        # every few minutes reuses its access token instead of asking Google for a new one.
        self.reader = Credentials(
            token=secrets.get("access_token") or None,
            refresh_token=secrets.get("refresh_token") or None,
            client_id=secrets.get("client_id") or None,
            client_secret=secrets.get("client_secret") or None,
            token_uri=self.credentials.token_uri,
        )
        self._uploads: str | None = None  # the channel's uploads playlist, once asked
        self.log = log.getChild(str(column.id))

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        for key, default in (("api_base", DEFAULT_API_BASE), ("token_uri", DEFAULT_TOKEN_URI)):
            value = str(settings.get(key) or default)
            if not value.startswith(("http://", "https://")):
                raise InvalidSettings(
                    key, f"expected an http(s) URL such as {default}, got {value!r}"
                )
        privacy = settings.get("privacy_status") or "public"
        if privacy not in PRIVACY:
            raise InvalidSettings(
                "privacy_status", f"expected one of {', '.join(PRIVACY)}, got {privacy!r}"
            )
        if settings.get("publish_delay_s") and privacy != "private":
            raise InvalidSettings(
                "publish_delay_s",
                "works only with privacy_status private: YouTube makes the video public at that time",
            )
        if not str(settings.get("category_id") or DEFAULT_CATEGORY).isdigit():
            raise InvalidSettings(
                "category_id",
                f"expected a numeric video category such as {DEFAULT_CATEGORY} (News & Politics)",
            )
        for key in ("publish_delay_s", "timeout_s"):
            seconds = settings.get(key)
            if seconds is not None and (not isinstance(seconds, int | float) or seconds <= 0):
                raise InvalidSettings(key, f"expected a number of seconds above 0, got {seconds!r}")
        chunk = settings.get("chunk_size")
        if chunk is not None and (not isinstance(chunk, int) or chunk <= 0 or chunk % CHUNK_UNIT):
            raise InvalidSettings(
                "chunk_size", f"expected a multiple of {CHUNK_UNIT} bytes (256 KiB), got {chunk!r}"
            )
        if secrets.get("access_token"):
            return
        for key in ("refresh_token", "client_id", "client_secret"):
            if not secrets.get(key):
                raise InvalidSettings(
                    key,
                    "required: an OAuth 2.0 refresh token with the OAuth client's id and secret (or an access_token)",
                )

    def body(self, post: Post) -> dict[str, Any]:
        source = (post.title or post.body).strip()
        title = clean(source.splitlines()[0]) if source else "Video"
        status: dict[str, Any] = {"privacyStatus": self.privacy, "selfDeclaredMadeForKids": False}
        if self.publish_delay and self.privacy == "private":
            when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.publish_delay)
            status["publishAt"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "snippet": {
                "title": title[:TITLE_LIMIT],
                "description": clean(post.text),
                "categoryId": self.category,
            },
            "status": status,
        }

    def authorized(
        self, work: Callable[[google_auth_httplib2.AuthorizedHttp], T], credentials: Credentials
    ) -> T:
        """Run ``work`` (blocking, in a thread) on an authorized transport of its own."""
        transport = httplib2.Http(timeout=self.timeout, ca_certs=self.ca_certs)
        # 308 means "resume incomplete" here, not a redirect (as googleapiclient's build_http does).
        transport.redirect_codes = transport.redirect_codes - {308}
        try:
            return work(google_auth_httplib2.AuthorizedHttp(credentials, http=transport))
        finally:
            transport.close()  # one upload a card: keep no idle sockets between publishes

    def service(self, authed: google_auth_httplib2.AuthorizedHttp) -> Any:
        return build(
            "youtube",
            "v3",
            static_discovery=True,
            cache_discovery=False,
            http=authed,
            client_options={"api_endpoint": self.api_base},
        )

    def upload(self, post: Post, video: Media) -> dict[str, Any]:
        """The blocking upload, run in a thread; returns the video resource."""
        return self.authorized(lambda authed: self.insert(authed, post, video), self.credentials)

    def my_channels(self) -> dict[str, Any]:
        """channels.list mine, blocking, with the reading credentials."""
        return dict(
            self.authorized(
                lambda authed: (
                    self.service(authed).channels().list(part="snippet", mine=True).execute()
                ),
                self.reader,
            )
        )

    def uploads(self, oldest: dt.datetime) -> list[dict[str, Any]]:
        """The uploads playlist's items, newest first, back to ``oldest`` (blocking): 1 quota
        unit a page, and 1 more the first time, for the playlist's id (channels.list)."""

        def work(authed: google_auth_httplib2.AuthorizedHttp) -> list[dict[str, Any]]:
            service = self.service(authed)
            if self._uploads is None:
                answer = service.channels().list(part="contentDetails", mine=True).execute()
                items = answer.get("items") or []
                if not items:
                    raise Rejected(
                        "this Google account has no YouTube channel", field="refresh_token"
                    )
                details = items[0].get("contentDetails") or {}
                self._uploads = str((details.get("relatedPlaylists") or {}).get("uploads"))
            found: list[dict[str, Any]] = []
            page_token = None
            for _ in range(MAX_PAGES):
                page = (
                    service.playlistItems()
                    .list(
                        part="snippet,contentDetails",
                        playlistId=self._uploads,
                        maxResults=PLAYLIST_PAGE,
                        pageToken=page_token,
                    )
                    .execute()
                )
                items = [i for i in page.get("items") or [] if isinstance(i, dict)]
                found.extend(items)
                page_token = page.get("nextPageToken")
                last = playlist_post(items[-1]) if items else None
                if not page_token or last is None or last.posted_at < oldest:
                    break
            return found

        return self.authorized(work, self.reader)

    async def recent_posts(self, since: dt.datetime, cursor: str | None) -> Seen:
        """The channel's uploads playlist (not search.list, which costs 100 units a call)."""
        mark = TimeMark.parse(cursor)
        oldest = max(since, mark.at) if mark else since
        items = await self.google(lambda: self.uploads(oldest))
        found, next_cursor = newer(filter(None, map(playlist_post, items)), since, cursor)
        return Seen(found, next_cursor)

    def refresh_reader(self) -> None:
        """Ask Google for an access token with the stored refresh token (blocking)."""
        transport = httplib2.Http(timeout=self.timeout, ca_certs=self.ca_certs)
        try:
            self.reader.refresh(google_auth_httplib2.Request(transport))
        finally:
            transport.close()

    async def token_health(self) -> TokenHealth:
        """Use the refresh token: a revoked or expired one (invalid_grant) stops the column now
        rather than at its next video. Google gives refresh tokens no fixed end."""
        if self.reader.refresh_token:
            await self.google(self.refresh_reader)
        return TokenHealth()

    async def google(self, work: Callable[[], T]) -> T:
        """Run a blocking Google call in a thread, its failures as the typed errors."""
        try:
            return await asyncio.to_thread(work)
        except HttpError as exc:
            raise youtube_error(exc) from exc
        except google.auth.exceptions.RefreshError as exc:
            answer = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            code = str(answer.get("error") or "refused")
            said = str(answer.get("error_description") or "")[:200]
            raise AuthRejected(
                f"Google refused the YouTube refresh token ({code}"
                f"{': ' + said if said else ''}): authorize the column again",
                field="refresh_token",
            ) from exc
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            # Connection refused, DNS, TLS: nothing reached YouTube.
            raise Transient(f"could not reach YouTube: {type(exc).__name__}") from exc

    async def check(self) -> Identity:
        """channels.list mine: the channel the token uploads to."""
        try:
            answer = await self.google(self.my_channels)
        except AuthRejected as exc:
            if "insufficientpermissions" in exc.message.lower():
                return Identity(
                    account="a channel this token may upload to",
                    warning="the token may upload but not read the channel's name: authorize"
                    " the youtube.readonly scope too to see it",
                )
            fallback = (
                "access_token" if self.column.secrets.get("access_token") else "refresh_token"
            )
            exc.field = exc.field or fallback
            raise
        items = answer.get("items") or []
        if not items:
            raise Rejected("this Google account has no YouTube channel", field="refresh_token")
        channel = items[0]
        title = str((channel.get("snippet") or {}).get("title") or channel.get("id"))
        return Identity(account=title, url=f"https://www.youtube.com/channel/{channel.get('id')}")

    def insert(
        self, authed: google_auth_httplib2.AuthorizedHttp, post: Post, video: Media
    ) -> dict[str, Any]:
        service = self.service(authed)
        # The library reads one chunk at a time from the reader (on S3, streamed from the bucket).
        with video.open() as reader:
            media = MediaIoBaseUpload(
                reader, mimetype=video.content_type, chunksize=self.chunk_size, resumable=True
            )
            request = service.videos().insert(
                part="snippet,status", body=self.body(post), media_body=media
            )
            response = None
            while response is None:
                try:
                    _, response = request.next_chunk()
                except TimeoutError as exc:
                    # No session URI yet: the session start timed out. Else a chunk did; progress is
                    # where that chunk began, so we know whether it held the last byte.
                    started = request.resumable_uri is not None
                    if started and request.resumable_progress + self.chunk_size >= media.size():
                        raise OutcomeUnknown(
                            f"YouTube gave no answer to the last chunk within {self.timeout:g} s"
                        ) from exc
                    raise Transient(
                        f"YouTube gave no answer within {self.timeout:g} s before the upload completed"
                    ) from exc
        return dict(response)

    async def publish(self, post: Post) -> Receipt:
        video = post.video
        if video is None or video.source is None:
            raise Rejected("YouTube takes videos only; this card has no video file to upload")
        if len(post.text.encode()) > DESCRIPTION_BYTES:
            raise Rejected(
                f"the text is {len(post.text.encode())} bytes; a YouTube description holds {DESCRIPTION_BYTES}"
            )
        resource = await self.google(lambda: self.upload(post, video))
        video_id = str(resource["id"])
        self.log.info("published video %s", video_id, extra={"action": "published"})
        return Receipt(remote_id=video_id, remote_url=f"https://www.youtube.com/watch?v={video_id}")


def playlist_post(item: dict[str, Any]) -> RemotePost | None:
    """An uploads-playlist item as the watcher takes it: the video id, as publishing answers."""
    details = item.get("contentDetails") or {}
    snippet = item.get("snippet") or {}
    video_id = details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId")
    posted_at = parse_time(details.get("videoPublishedAt") or snippet.get("publishedAt"))
    if not video_id or posted_at is None:
        return None
    text = "\n\n".join(
        str(part) for part in (snippet.get("title"), snippet.get("description")) if part
    )
    return RemotePost(
        remote_id=str(video_id),
        posted_at=posted_at,
        text=text,
        remote_url=f"https://www.youtube.com/watch?v={video_id}",
    )


PLATFORM = YouTubeAdapter

"""Telegram channel or group through a bot: ``sendMessage`` with a link preview, ``sendPhoto``,
``sendVideo``, via aiogram (its ``AiohttpSession`` pointed at ``api_base``).

The Bot API puts the token in every URL (``/bot<token>/<method>``), so nothing from aiogram or
aiohttp reaches a log line or an exception message without going through ``scrub``; the typed
errors are raised ``from None`` so a logged traceback cannot carry the original URL either.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import aiohttp
import httpx
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InputFile, LinkPreviewOptions, Message
from aiogram.utils.token import TokenValidationError, validate_token

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
from platforms.limits import SlidingWindow
from platforms.mastodon import check_base_url, check_timeout
from platforms.upload import CHUNK, chunks

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_TIMEOUT_S = 30.0
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Telegram's bot FAQ: no more than 20 messages a minute to one group or channel.
MESSAGES_PER_MINUTE = 20

# getUpdates answers at most this many updates a call; the rest wait for the next look (the
# Bot API keeps unconfirmed updates for 24 hours).
UPDATES_PAGE = 100

CHAT_USERNAME_RE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
# Anything shaped like a bot token, wherever it shows up (a URL in an aiohttp error...).
TOKEN_ANYWHERE_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")
# 400s that no card can fix: the chat id or the bot's rights are wrong, so the column must
# stop (AuthRejected) instead of failing every card in turn.
COLUMN_PROBLEM_RE = re.compile(
    r"chat not found|not enough rights|need administrator rights|have no rights|"
    r"CHAT_WRITE_FORBIDDEN|CHAT_ADMIN_REQUIRED|PEER_ID_INVALID|bot is not a member|bot was kicked",
    re.IGNORECASE,
)


class ColumnSession(AiohttpSession):
    """aiogram's session without the fixed 250 ms sleep in ``close()``.

    That sleep lets SSL transports finish before the interpreter exits; a column's adapter
    closes while the service's loop keeps running, so they finish on their own.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def scrub(text: str, *secrets: str) -> str:
    """``text`` without the given secrets and without anything shaped like a bot token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    return TOKEN_ANYWHERE_RE.sub("<token>", text)


def parse_chat_id(value: Any) -> int | str:
    """``@channel`` stays a string; a numeric id (int or digits) becomes an int."""
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


class TelegramAdapter(Adapter):
    kind: ClassVar[str] = "telegram"
    text_limit: ClassVar[int | None] = TEXT_LIMIT
    watchable: ClassVar[bool] = True
    setting_keys: ClassVar[tuple[str, ...]] = ("chat_id", "api_base", "timeout_s")
    secret_keys: ClassVar[tuple[str, ...]] = ("bot_token",)

    def __init__(
        self,
        column: Column,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(column, http)  # unused: aiogram brings its own aiohttp session
        self.chat_id = parse_chat_id(column.settings.get("chat_id", ""))
        self.api_base = str(column.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.timeout = float(column.settings.get("timeout_s") or DEFAULT_TIMEOUT_S)
        self.window = SlidingWindow(MESSAGES_PER_MINUTE, 60.0, clock=clock)
        self.log = log.getChild(str(column.id))
        self._token = column.secrets.get("bot_token", "")
        self._bot: Bot | None = None

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        chat = parse_chat_id(settings.get("chat_id", ""))
        if isinstance(chat, str) and not CHAT_USERNAME_RE.match(chat):
            raise InvalidSettings(
                "chat_id",
                f"expected @channelname or a numeric chat id such as -1001234567890, got {chat!r}",
            )
        check_base_url("api_base", settings.get("api_base") or DEFAULT_API_BASE, DEFAULT_API_BASE)
        check_timeout(settings)
        token = secrets.get("bot_token") or ""
        if not token:
            raise InvalidSettings("bot_token", "required: the token @BotFather gave the bot")
        try:
            # aiogram's own rule, the one Bot() applies: Telegram has changed the secret's
            # length before, so nothing stricter.
            validate_token(token)
        except TokenValidationError:
            # Never echo the value: it is (nearly) a secret.
            raise InvalidSettings(
                "bot_token",
                "malformed: expected the bot's numeric id, a colon and its secret, with no"
                " spaces, as @BotFather shows it",
            ) from None

    def bot(self) -> Bot:
        """The column's one Bot, built on first use (a malformed token fails the column, not the import)."""
        if self._bot is None:
            session = ColumnSession(
                api=TelegramAPIServer.from_base(self.api_base), timeout=self.timeout
            )
            try:
                self._bot = Bot(self._token, session=session)
            except TokenValidationError:
                raise AuthRejected(
                    "bot_token is malformed; paste it again from @BotFather", field="bot_token"
                ) from None
        return self._bot

    async def publish(self, post: Post) -> Receipt:
        media = post.video or post.image
        limit = CAPTION_LIMIT if media else TEXT_LIMIT
        if len(post.text) > limit:
            what = f"a {media.kind} caption" if media else "a message"
            raise Rejected(
                f"text is {len(post.text)} characters; Telegram allows {limit} in {what}"
            )
        bot = self.bot()
        self.window.check("messages a minute to one channel")
        self.window.record()
        try:
            message = await self.send(bot, post, media)
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise self.error(exc) from None
        remote_url = message.get_url()
        self.log.info("published message %s", message.message_id, extra={"action": "published"})
        return Receipt(remote_id=str(message.message_id), remote_url=remote_url)

    async def check(self) -> Identity:
        """getMe (is the token good?), getChat (does the bot see the chat?) and getChatMember
        (may it post there?): the three set-up mistakes that stop a column."""
        bot = self.bot()
        try:
            me = await bot.get_me()
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise self.refusal(exc, "bot_token") from None
        try:
            chat = await bot.get_chat(self.chat_id)
            member = await bot.get_chat_member(self.chat_id, me.id)
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise self.refusal(exc, "chat_id") from None
        name = chat.title or chat.full_name or str(chat.id)
        target = f"{name} (@{chat.username})" if chat.username else name
        warning = None
        if member.status not in ("administrator", "creator"):
            warning = f"the bot is {member.status} in {name}, not an admin: it cannot post there"
        elif chat.type == "channel" and not getattr(member, "can_post_messages", True):
            warning = f"the bot is an admin of {name} but may not post messages"
        url = f"https://t.me/{chat.username}" if chat.username else None
        return Identity(account=f"@{me.username}", target=target, url=url, warning=warning)

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The channel's posts from the bot's updates (``getUpdates``, ``channel_post`` only;
        the bot must be an admin of the channel to receive them). The cursor is the next
        update offset: asking from it confirms, and so drops, every update before it.

        Updates are the bot's, not the channel's: another program (or another column's watcher)
        reading this bot's updates takes them away, and a webhook set on the bot makes
        getUpdates fail (409 Conflict)."""
        bot = self.bot()
        offset = int(cursor) if cursor and cursor.lstrip("-").isdigit() else None
        # One page a look: asking for a second page would confirm the first, and a look whose
        # posts are not recorded yet (a publish of ours in flight) must be able to read them again.
        try:
            updates = await bot.get_updates(
                offset=offset, limit=UPDATES_PAGE, timeout=0, allowed_updates=["channel_post"]
            )
        except TelegramConflictError as exc:
            raise Rejected(
                "Telegram refuses getUpdates: "
                + scrub(exc.message, self._token)
                + " (a webhook is set on the bot, or another program reads its updates)"
            ) from None
        except (TelegramAPIError, ClientDecodeError) as exc:
            error = self.error(exc)
            # Nothing is published by a read: an unclear answer is worth another look.
            raise (
                Transient(error.message) if isinstance(error, OutcomeUnknown) else error
            ) from None
        posts: list[RemotePost] = []
        for update in updates:
            offset = update.update_id + 1
            message = update.channel_post
            if message is None or not self.is_our_chat(message.chat):
                continue
            posted_at = message.date.astimezone(UTC)
            if posted_at < since:
                continue
            posts.append(
                RemotePost(
                    remote_id=str(message.message_id),
                    posted_at=posted_at,
                    text=message.text or message.caption or "",
                    remote_url=message.get_url(),
                )
            )
        posts.sort(key=lambda p: (p.posted_at, int(p.remote_id)))
        return Seen(tuple(posts), str(offset) if offset is not None else cursor)

    def is_our_chat(self, chat: Any) -> bool:
        if isinstance(self.chat_id, int):
            return bool(chat.id == self.chat_id)
        return bool(chat.username) and f"@{chat.username}".lower() == self.chat_id.lower()

    def refusal(self, exc: Exception, field: str) -> PlatformError:
        """A check's error, naming the field at fault when Telegram refused it."""
        error = self.error(exc)
        if isinstance(error, AuthRejected | Rejected):
            is_token = isinstance(exc, TelegramUnauthorizedError) or field == "bot_token"
            error.field = "bot_token" if is_token else field
        return error

    async def send(self, bot: Bot, post: Post, media: Media | None) -> Message:
        if media is None:
            preview = (
                LinkPreviewOptions(url=post.url, prefer_large_media=True) if post.url else None
            )
            return await bot.send_message(
                chat_id=self.chat_id, text=post.text, link_preview_options=preview
            )
        file = input_file(media)
        if media.kind == "video":
            return await bot.send_video(
                chat_id=self.chat_id, video=file, caption=post.text, supports_streaming=True
            )
        return await bot.send_photo(chat_id=self.chat_id, photo=file, caption=post.text)

    def error(self, exc: Exception) -> PlatformError:
        """Map an aiogram error onto the typed errors; every message is scrubbed of the token."""
        message = "Telegram: " + scrub(str(exc), self._token)
        if isinstance(exc, TelegramRetryAfter):
            return RateLimited(exc.retry_after, message)
        if isinstance(
            exc,
            TelegramUnauthorizedError
            | TelegramForbiddenError
            | TelegramNotFound
            | TelegramMigrateToChat,
        ):
            return AuthRejected(message)
        if isinstance(exc, TelegramBadRequest):
            if COLUMN_PROBLEM_RE.search(exc.message):
                return AuthRejected(
                    f"{message} (check chat_id and that the bot is an admin allowed to post)"
                )
            return Rejected(message)
        if isinstance(exc, TelegramEntityTooLarge):  # a TelegramNetworkError subclass: before it
            return Rejected(message)
        if isinstance(exc, TelegramServerError):
            return Transient(message)
        if isinstance(exc, TelegramNetworkError):
            if isinstance(exc.__cause__, aiohttp.InvalidURL):
                return AuthRejected(f"{message} (api_base is not a usable URL)")
            if isinstance(
                exc.__cause__, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
            ):
                return Transient(message)
            # A timeout or a dropped connection after the request left: it may be posted.
            return OutcomeUnknown(message)
        if isinstance(exc, ClientDecodeError):
            # Not the Bot API's JSON (a proxy's error page): we cannot tell what happened.
            return OutcomeUnknown("Telegram: the answer was not Bot API JSON")
        return Rejected(message)

    async def aclose(self) -> None:
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None


class MediaInputFile(InputFile):
    """The stored bytes as aiogram uploads a file: its ``read`` yields chunks, which aiohttp
    streams into the multipart body. aiogram's FSInputFile does the same for a path (reading
    with aiofiles, in a thread); this one reads a disk or S3 alike, off the loop."""

    def __init__(self, media: Media) -> None:
        super().__init__(filename=media.filename, chunk_size=CHUNK)
        self.media = media

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        async for chunk in chunks(self.media, self.chunk_size):
            yield chunk


def input_file(media: Media) -> InputFile | str:
    """Upload the stored bytes (multipart); else let Telegram fetch the public URL."""
    if media.source is not None:
        return MediaInputFile(media)
    if media.public_url:
        return media.public_url
    raise Rejected(f"media {media.filename} has neither a local file nor a public URL")


PLATFORM = TelegramAdapter

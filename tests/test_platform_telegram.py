"""The Telegram adapter through aiogram against a local Bot API (tests/fakes/telegram.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiogram.utils.token import validate_token

from platforms.base import (
    AuthRejected,
    Column,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    PlatformError,
    Post,
    RateLimited,
    Rejected,
    Transient,
)
from platforms.telegram import TelegramAdapter
from tests.fakes.server import free_port
from tests.fakes.telegram import Clock, FakeTelegram, api_error, media_file

TOKEN = "123456789:AAHfakeTOKENfor-tests_0123456789abcd"
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "News", "username": "newsroom"}
PRIVATE = {"id": -1009876543210, "type": "channel", "title": "Private desk"}
# A channel where the bot is only a member (no right to post).
ELSEWHERE = {
    "id": -1005555555555,
    "type": "channel",
    "title": "Elsewhere",
    "username": "elsewhere",
    "bot_status": "member",
}
URL = "https://example.org/news/1?utm_source=telegram&utm_medium=social"


# One server for the module (aiogram makes this file the slow one); ``fake`` resets it per test.
on_module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN, [CHANNEL, PRIVATE, ELSEWHERE])
    async with fake.running():
        yield fake


@pytest_asyncio.fixture(loop_scope="module")
async def fake(server: FakeTelegram) -> AsyncIterator[FakeTelegram]:
    server.reset()
    yield server
    server.release()


@pytest_asyncio.fixture(loop_scope="module")
async def make(fake: FakeTelegram) -> AsyncIterator[Callable[..., TelegramAdapter]]:
    adapters: list[TelegramAdapter] = []
    http = httpx.AsyncClient()

    def make(
        token: str = TOKEN, clock: Callable[[], float] | None = None, **settings: Any
    ) -> TelegramAdapter:
        settings = {"chat_id": "@newsroom", "api_base": fake.base_url, **settings}
        column = Column(
            id=3,
            kind="telegram",
            name="Telegram @newsroom",
            settings=settings,
            secrets={"bot_token": token},
        )
        adapter = (
            TelegramAdapter(column, http, clock=clock) if clock else TelegramAdapter(column, http)
        )
        adapters.append(adapter)
        return adapter

    yield make
    for adapter in adapters:
        await adapter.aclose()
    await http.aclose()


def make_post(
    text: str = f"Big news {URL}", url: str | None = URL, media: tuple[Media, ...] = ()
) -> Post:
    return Post(
        snippet_id=17,
        platform_id=3,
        body="Big news",
        url=url,
        text=text,
        media=media,
        idempotency_key="k17",
    )


@on_module_loop
async def test_text_with_link_is_sent_with_a_link_preview(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """A text card goes out as sendMessage with link_preview_options naming the link."""
    receipt = await make().publish(make_post())
    [seen] = fake.requests
    assert seen.path == f"/bot{TOKEN}/sendMessage"
    assert seen.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert seen.fields["chat_id"] == "@newsroom"
    assert seen.fields["text"] == f"Big news {URL}"
    assert json.loads(seen.fields["link_preview_options"]) == {
        "url": URL,
        "prefer_large_media": True,
    }
    assert "parse_mode" not in seen.fields  # plain text: nothing in the body is taken as markup
    assert (receipt.remote_id, receipt.remote_url) == ("100", "https://t.me/newsroom/100")


@on_module_loop
async def test_photo_is_uploaded_as_multipart(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter], tmp_path: Path
) -> None:
    """A photo card is sendPhoto: photo=attach://<part> and the file's bytes in that part."""
    receipt = await make().publish(make_post(media=(media_file(tmp_path),)))
    [seen] = fake.requests
    assert seen.path.endswith("/sendPhoto")
    assert seen.headers["content-type"].startswith("multipart/form-data")
    assert seen.fields["caption"] == f"Big news {URL}"
    part = seen.fields["photo"].removeprefix("attach://")
    assert seen.files[part].data == b"\xff\xd8\xffjpeg"
    assert seen.files[part].filename == "photo.jpg"
    assert fake.messages[0]["photo"]
    assert receipt.remote_url == "https://t.me/newsroom/100"


@on_module_loop
async def test_video_is_uploaded_as_multipart(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter], tmp_path: Path
) -> None:
    """A video card is sendVideo with the file uploaded and streaming allowed."""
    receipt = await make().publish(make_post(media=(media_file(tmp_path, "video"),)))
    [seen] = fake.requests
    assert seen.path.endswith("/sendVideo")
    assert seen.fields["supports_streaming"] == "true"
    assert seen.files[seen.fields["video"].removeprefix("attach://")].data.endswith(b"ftypmp42")
    assert receipt.remote_id == "100"


@on_module_loop
async def test_media_without_local_copy_goes_by_public_url(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """Media with only a public URL is passed as that URL for Telegram to fetch."""
    media = Media(
        kind="image",
        content_type="image/jpeg",
        filename="a.jpg",
        size=1,
        public_url="https://cdn.example.org/a.jpg",
    )
    await make().publish(make_post(media=(media,)))
    assert fake.requests[0].fields["photo"] == "https://cdn.example.org/a.jpg"


@on_module_loop
@pytest.mark.parametrize(
    ("chat_id", "expected"),
    [
        (str(CHANNEL["id"]), "https://t.me/newsroom/100"),
        (PRIVATE["id"], "https://t.me/c/9876543210/100"),
    ],
)
async def test_numeric_chat_ids_get_a_public_or_private_link(
    make: Callable[..., TelegramAdapter], chat_id: Any, expected: str
) -> None:
    """A numeric chat id links by the chat's username from the answer, else by t.me/c/<id>."""
    receipt = await make(chat_id=chat_id).publish(make_post())
    assert receipt.remote_url == expected


@on_module_loop
async def test_retry_after_becomes_rate_limited(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """A 429 with parameters.retry_after raises RateLimited with that many seconds."""
    fake.fail_next(api_error(429, "Too Many Requests: retry after 7", retry_after=7))
    with pytest.raises(RateLimited) as caught:
        await make().publish(make_post())
    assert caught.value.retry_after == 7


@on_module_loop
async def test_revoked_token_is_auth_rejected(make: Callable[..., TelegramAdapter]) -> None:
    """A 401 Unauthorized (revoked token) raises AuthRejected without the token in it."""
    with pytest.raises(AuthRejected) as caught:
        await make(token="987654321:AAHrevokedTOKEN-0123456789abcdefgh").publish(make_post())
    assert "987654321:AAH" not in caught.value.message


@on_module_loop
@pytest.mark.parametrize(
    "description",
    [
        "Bad Request: chat not found",
        "Bad Request: need administrator rights in the channel chat",
        "Forbidden: bot is not a member of the channel chat",
    ],
)
async def test_chat_problems_stop_the_column(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter], description: str
) -> None:
    """A wrong chat or missing rights is the column's problem: AuthRejected, not one failed card."""
    fake.fail_next(api_error(403 if description.startswith("Forbidden") else 400, description))
    with pytest.raises(AuthRejected, match="chat|rights|member"):
        await make().publish(make_post())


@on_module_loop
async def test_unknown_chat_is_auth_rejected(make: Callable[..., TelegramAdapter]) -> None:
    """The fake answers "chat not found" for a chat the bot does not know."""
    with pytest.raises(AuthRejected, match="chat not found"):
        await make(chat_id="@nosuchchannel").publish(make_post())


@on_module_loop
async def test_content_refusal_is_rejected(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """Any other 400 refuses this card only."""
    fake.fail_next(api_error(400, "Bad Request: wrong file identifier/HTTP URL specified"))
    with pytest.raises(Rejected, match="wrong file identifier"):
        await make().publish(make_post())


@on_module_loop
async def test_too_long_text_is_rejected_before_sending(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter], tmp_path: Path
) -> None:
    """Text over 4096 characters (1024 under media) is refused locally, nothing is sent."""
    with pytest.raises(Rejected, match="4096"):
        await make().publish(make_post(text="x" * 4097))
    with pytest.raises(Rejected, match="1024"):
        await make().publish(make_post(text="x" * 1025, media=(media_file(tmp_path),)))
    assert fake.requests == []


@on_module_loop
async def test_no_answer_is_outcome_unknown(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """A request that got no answer within timeout_s may have been posted: OutcomeUnknown."""
    fake.hang_next()
    with pytest.raises(OutcomeUnknown):
        await make(timeout_s=0.3).publish(make_post())
    assert len(fake.requests) == 1


@on_module_loop
async def test_server_error_and_refused_connection_are_transient(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """A 5xx and a refused connection mean nothing was posted: Transient."""
    fake.fail_next(api_error(500, "Internal Server Error"))
    with pytest.raises(Transient):
        await make().publish(make_post())
    with pytest.raises(Transient):
        await make(api_base=f"http://127.0.0.1:{free_port()}").publish(make_post())


@on_module_loop
async def test_21st_message_in_a_minute_waits_without_a_request(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """20 messages a minute go out; the 21st raises RateLimited locally until the minute has passed."""
    clock = Clock()
    adapter = make(clock=clock)
    for _ in range(20):
        await adapter.publish(make_post())
        clock.now += 1
    with pytest.raises(RateLimited) as caught:
        await adapter.publish(make_post())
    assert len(fake.requests) == 20
    assert caught.value.retry_after == pytest.approx(40.0)
    clock.now += 40
    await adapter.publish(make_post())
    assert len(fake.requests) == 21


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "message"),
    [
        ({}, {"bot_token": TOKEN}, "chat_id", "expected @channelname or a numeric chat id"),
        ({"chat_id": "news room"}, {"bot_token": TOKEN}, "chat_id", "got 'news room'"),
        (
            {"chat_id": "@news", "api_base": "ftp://api.telegram.org"},
            {"bot_token": TOKEN},
            "api_base",
            "expected an http(s) URL",
        ),
        ({"chat_id": "@news", "timeout_s": 0}, {"bot_token": TOKEN}, "timeout_s", "above 0"),
        ({"chat_id": "@news"}, {}, "bot_token", "required"),
        (
            {"chat_id": "@news"},
            {"bot_token": "not-a-token-at-all"},
            "bot_token",
            "malformed: expected",
        ),
        ({"chat_id": "@news"}, {"bot_token": "12345:two words"}, "bot_token", "with no spaces"),
        ({"chat_id": "@news"}, {"bot_token": "bot12345:AAHsecret"}, "bot_token", "numeric id"),
        ({"chat_id": "@news"}, {"bot_token": "12345:"}, "bot_token", "malformed: expected"),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, message: str
) -> None:
    """validate() raises InvalidSettings naming the field and what was expected, never the token."""
    with pytest.raises(InvalidSettings) as caught:
        TelegramAdapter.validate(settings, secrets)
    assert caught.value.field == field
    assert message in str(caught.value)
    token = secrets.get("bot_token")
    assert not token or token not in str(caught.value)


def test_validate_accepts_good_settings() -> None:
    """A channel username or a numeric id with a well-formed token is fine."""
    TelegramAdapter.validate({"chat_id": "@newsroom"}, {"bot_token": TOKEN})
    TelegramAdapter.validate(
        {"chat_id": -1001234567890, "api_base": "http://127.0.0.1:8081"}, {"bot_token": TOKEN}
    )


@pytest.mark.parametrize("token", ["42:AAE-short_secret", "12345678901:" + "Ab9_-" * 12])
def test_validate_takes_tokens_of_other_lengths(token: str) -> None:
    """A token of another length than today's 35-character secret, which aiogram itself (and so
    Bot()) accepts, is accepted: Telegram, not we, decides whether it is real."""
    assert validate_token(token)
    TelegramAdapter.validate({"chat_id": "@newsroom"}, {"bot_token": token})


@on_module_loop
async def test_token_never_appears_in_errors_or_logs(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter], caplog: pytest.LogCaptureFixture
) -> None:
    """No raised message and no log record carries the token, not even an aiohttp error quoting the URL."""
    caplog.set_level(logging.DEBUG)
    errors: list[PlatformError] = []
    fake.fail_next(api_error(400, "Bad Request: chat not found"))
    fake.fail_next(api_error(429, "Too Many Requests: retry after 3", retry_after=3))
    fake.fail_next(api_error(502, "Bad Gateway"))
    fake.hang_next()
    adapter = make(timeout_s=0.3)
    for _ in range(4):
        with pytest.raises(PlatformError) as caught:
            await adapter.publish(make_post())
        errors.append(caught.value)
    # aiohttp quotes the whole /bot<token>/ URL when it cannot parse it.
    with pytest.raises(AuthRejected) as caught:
        await make(api_base="http://[::1").publish(make_post())
    errors.append(caught.value)
    await adapter.publish(make_post())
    for error in errors:
        assert TOKEN not in str(error) and TOKEN.split(":")[1] not in repr(error)
        assert error.__cause__ is None and error.__suppress_context__
    assert "<token>" in errors[-1].message
    assert all(TOKEN.split(":")[1] not in record.getMessage() for record in caplog.records)


@on_module_loop
async def test_check_names_the_bot_and_the_channel(
    fake: FakeTelegram, make: Callable[..., TelegramAdapter]
) -> None:
    """Check connection: getMe, getChat and getChatMember, and nothing is posted."""
    identity = await make().check()
    assert (identity.account, identity.target, identity.url) == (
        "@metronome_bot",
        "News (@newsroom)",
        "https://t.me/newsroom",
    )
    assert identity.warning is None
    assert [seen.path.rsplit("/", 1)[1] for seen in fake.requests] == [
        "getMe",
        "getChat",
        "getChatMember",
    ]
    assert fake.messages == []
    private = await make(chat_id=str(PRIVATE["id"])).check()
    assert (private.target, private.url) == ("Private desk", None)


@on_module_loop
async def test_check_warns_when_the_bot_may_not_post(make: Callable[..., TelegramAdapter]) -> None:
    """A bot that is only a member of the channel passes the check with a warning that says so."""
    identity = await make(chat_id="@elsewhere").check()
    assert identity.warning == "the bot is member in Elsewhere, not an admin: it cannot post there"


@on_module_loop
async def test_check_refusals_name_the_field(make: Callable[..., TelegramAdapter]) -> None:
    """A refused token names bot_token; an unknown chat names chat_id; an unreachable server neither."""
    with pytest.raises(AuthRejected) as refused:
        await make(token="123456789:AAHrevokedTOKENxxxxxxxxxxxxxxxxxxxxx").check()
    assert refused.value.field == "bot_token"
    with pytest.raises(AuthRejected) as unknown:
        await make(chat_id="@nosuchchannel").check()
    assert unknown.value.field == "chat_id" and "chat not found" in unknown.value.message
    with pytest.raises(Transient) as down:
        await make(api_base=f"http://127.0.0.1:{free_port()}").check()
    assert down.value.field is None

"""token_health of the X, Graph and YouTube adapters against their fakes: renewals, expiry,
refusals, each as the network answers them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from platforms.base import AuthRejected, Column, InvalidSettings, Post, Rejected
from platforms.facebook import FacebookAdapter
from platforms.x import XAdapter
from platforms.youtube import YouTubeAdapter
from tests.fakes import x as fakex
from tests.fakes.graph import PAGE_ID, FakeGraph
from tests.fakes.server import serve
from tests.fakes.youtube import REFRESH_TOKEN as YT_REFRESH
from tests.fakes.youtube import FakeYouTube, self_signed_cert

GRAPH_TOKEN = "EAAB-token-health-page"
APP_SECRET = "meta-app-secret-7c1d"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def x_fake() -> AsyncIterator[tuple[fakex.FakeX, str]]:
    fake = fakex.FakeX()
    async with serve(fake.app) as base:
        yield fake, base
        fake.release()


def x_adapter(base: str, http: httpx.AsyncClient, **secrets: str) -> XAdapter:
    column = Column(
        id=5,
        kind="x",
        name="X",
        settings={"api_base": base, "username": "citynews", "client_id": fakex.CLIENT_ID},
        secrets={
            "access_token": fakex.USER_TOKEN,
            "refresh_token": fakex.REFRESH_TOKEN,
            "client_secret": fakex.CLIENT_SECRET,
            **secrets,
        },
    )
    return XAdapter(column, http)


def tweet() -> Post:
    return Post(snippet_id=1, platform_id=5, body="News", url=None, text="News")


async def test_x_renewal_rotates_the_pair(
    x_fake: tuple[fakex.FakeX, str], http: httpx.AsyncClient
) -> None:
    """token_health renews with Basic auth (a confidential client); the new pair is handed back
    to be stored, with the refresh token it came from, and a check before the two hours end."""
    fake, base = x_fake
    adapter = x_adapter(base, http)
    health = await adapter.token_health()
    (call,) = fake.renewals()
    assert call.form == {
        "grant_type": "refresh_token",
        "refresh_token": fakex.REFRESH_TOKEN,
        "client_id": fakex.CLIENT_ID,
    }
    assert call.headers["authorization"].startswith("Basic ")
    assert set(health.renewed) == {"access_token", "refresh_token"}
    assert health.renewed["refresh_token"] in fake.refresh
    assert health.renewed_from == fakex.REFRESH_TOKEN and health.expires_at is None
    assert health.check_again_s is not None and 3600 < health.check_again_s < 7200
    # The adapter uses the new token at once; the old refresh token is spent.
    await adapter.publish(tweet())
    post_call = [c for c in fake.calls if c.path == "/2/tweets"][-1]
    assert post_call.headers["authorization"] == f"Bearer {health.renewed['access_token']}"
    with pytest.raises(AuthRejected) as refused:
        await x_adapter(base, http).token_health()  # the first refresh token again
    assert refused.value.field == "refresh_token"
    assert "authorize the column again" in refused.value.message


async def test_x_public_client_sends_its_id_alone(
    x_fake: tuple[fakex.FakeX, str], http: httpx.AsyncClient
) -> None:
    """Without a client secret the form's client_id identifies the app, with no Basic auth."""
    fake, base = x_fake
    fake.client_secret = None
    adapter = x_adapter(base, http, client_secret="")
    health = await adapter.token_health()
    assert health.renewed
    assert "authorization" not in fake.renewals()[0].headers


async def test_x_wrong_client_secret_names_it(
    x_fake: tuple[fakex.FakeX, str], http: httpx.AsyncClient
) -> None:
    """X refusing the app's Basic auth says so, naming client_secret, not the refresh token."""
    _, base = x_fake
    with pytest.raises(AuthRejected) as refused:
        await x_adapter(base, http, client_secret="not-the-secret").token_health()
    assert refused.value.field == "client_secret"


async def test_x_without_refresh_token_has_nothing_to_renew(
    x_fake: tuple[fakex.FakeX, str], http: httpx.AsyncClient
) -> None:
    fake, base = x_fake
    adapter = x_adapter(base, http, refresh_token="", client_secret="")
    health = await adapter.token_health()
    assert (health.renewed, health.expires_at, fake.renewals()) == ({}, None, [])


async def test_x_401_renews_through_the_attached_store(
    x_fake: tuple[fakex.FakeX, str], http: httpx.AsyncClient
) -> None:
    """A refused access token is renewed once, stored, and the post goes out with the new one;
    without a store attached the 401 stops the column (a rotated token nobody keeps is lost)."""
    fake, base = x_fake
    fake.expire(fakex.USER_TOKEN)
    with pytest.raises(AuthRejected):
        await x_adapter(base, http).publish(tweet())
    assert fake.renewals() == []
    stored: list[tuple[Mapping[str, str], str]] = []

    async def store(secrets: Mapping[str, str], renewed_from: str) -> None:
        stored.append((dict(secrets), renewed_from))

    adapter = x_adapter(base, http)
    adapter.renewed = store
    receipt = await adapter.publish(tweet())
    assert receipt.remote_id
    [(secrets, used)] = stored
    assert used == fakex.REFRESH_TOKEN and secrets["refresh_token"] in fake.refresh
    posts = [c for c in fake.calls if c.path == "/2/tweets"]
    assert [c.headers["authorization"] for c in posts] == [
        f"Bearer {fakex.USER_TOKEN}",
        f"Bearer {fakex.USER_TOKEN}",
        f"Bearer {secrets['access_token']}",
    ]


def test_x_refresh_token_needs_the_client_id() -> None:
    with pytest.raises(InvalidSettings) as bad:
        XAdapter.validate({}, {"access_token": "t", "refresh_token": "r"})
    assert bad.value.field == "client_id"
    XAdapter.validate({"client_id": "c"}, {"access_token": "t", "refresh_token": "r"})


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    async with serve(fake.app) as base:
        yield fake, base
        fake.release()


def facebook(base: str, http: httpx.AsyncClient, **settings: Any) -> FacebookAdapter:
    secrets = {"access_token": GRAPH_TOKEN}
    if settings.get("app_id"):
        secrets["app_secret"] = APP_SECRET
    column = Column(
        id=3,
        kind="facebook",
        name="FB",
        settings={"page_id": PAGE_ID, "api_base": base, **settings},
        secrets=secrets,
    )
    return FacebookAdapter(column, http)


async def test_debug_token_gives_the_earlier_end(
    graph: tuple[FakeGraph, str], http: httpx.AsyncClient
) -> None:
    """expires_at and data_access_expires_at: whichever comes first; 0 means never."""
    fake, base = graph
    soon = int(time.time()) + 3 * 86400
    fake.token_info[GRAPH_TOKEN] = {"expires_at": 0, "data_access_expires_at": soon}
    health = await facebook(base, http).token_health()
    assert health.expires_at == datetime.fromtimestamp(soon, UTC)
    fake.token_info[GRAPH_TOKEN] = {"expires_at": 0, "data_access_expires_at": 0}
    assert (await facebook(base, http).token_health()).expires_at is None
    (first, _) = fake.called("debug_token")
    assert first.query == {"input_token": GRAPH_TOKEN, "access_token": GRAPH_TOKEN}


async def test_debug_token_asked_with_the_app_token(
    graph: tuple[FakeGraph, str], http: httpx.AsyncClient
) -> None:
    """With app_id and app_secret the app's own token asks, as Meta documents."""
    fake, base = graph
    fake.app_token = f"1000000000|{APP_SECRET}"
    await facebook(base, http, app_id="1000000000").token_health()
    (call,) = fake.called("debug_token")
    assert call.query["access_token"] == fake.app_token


async def test_debug_token_refusing_the_caller_is_not_the_tokens_fault(
    graph: tuple[FakeGraph, str], http: httpx.AsyncClient
) -> None:
    """A wrong app secret: Rejected (the expiry is unknown), never AuthRejected (which stops the
    column); a message with a secret in it is masked."""
    fake, base = graph
    fake.app_token = "1000000000|the-right-one"
    with pytest.raises(Rejected) as refused:
        await facebook(base, http, app_id="1000000000").token_health()
    assert not isinstance(refused.value, AuthRejected)
    assert APP_SECRET not in refused.value.message and GRAPH_TOKEN not in refused.value.message


async def test_debug_token_invalid_is_auth_rejected(
    graph: tuple[FakeGraph, str], http: httpx.AsyncClient
) -> None:
    fake, base = graph
    fake.token_info[GRAPH_TOKEN] = {
        "is_valid": False,
        "error": {"code": 190, "message": "Session has expired on Friday."},
    }
    with pytest.raises(AuthRejected) as refused:
        await facebook(base, http).token_health()
    assert refused.value.field == "access_token"
    assert "Session has expired on Friday." in refused.value.message


def test_app_id_and_secret_go_together() -> None:
    with pytest.raises(InvalidSettings) as bad:
        FacebookAdapter.validate({"page_id": "1"}, {"access_token": "t", "app_secret": "s"})
    assert bad.value.field == "app_id"
    with pytest.raises(InvalidSettings) as bad:
        FacebookAdapter.validate({"page_id": "1", "app_id": "12"}, {"access_token": "t"})
    assert bad.value.field == "app_secret"


@pytest.fixture
async def youtube(tmp_path: Path) -> AsyncIterator[tuple[FakeYouTube, str, str]]:
    cert, key = self_signed_cert(tmp_path)
    fake = FakeYouTube()
    async with serve(fake.app, ssl_certfile=cert, ssl_keyfile=key) as base:
        fake.base = base
        yield fake, base, cert
        fake.release()


def youtube_adapter(base: str, cert: str) -> YouTubeAdapter:
    column = Column(
        id=6,
        kind="youtube",
        name="YT",
        settings={"api_base": base, "token_uri": f"{base}/token", "timeout_s": 5},
        secrets={
            "refresh_token": YT_REFRESH,
            "client_id": "123.apps.googleusercontent.com",
            "client_secret": "GOCSPX-token-health",
        },
    )
    return YouTubeAdapter(column, httpx.AsyncClient(), ca_certs=cert)


async def test_youtube_uses_its_refresh_token(youtube: tuple[FakeYouTube, str, str]) -> None:
    """The stored refresh token gets an access token; the watcher's looks then reuse it."""
    fake, base, cert = youtube
    adapter = youtube_adapter(base, cert)
    health = await adapter.token_health()
    assert health.expires_at is None and not health.renewed
    await adapter.recent_posts(datetime.now(UTC), None)
    await adapter.recent_posts(datetime.now(UTC), None)
    assert [c.form["refresh_token"] for c in fake.calls if c.path == "/token"] == [YT_REFRESH]


async def test_youtube_revoked_refresh_token_is_auth_rejected(
    youtube: tuple[FakeYouTube, str, str],
) -> None:
    fake, base, cert = youtube
    fake.revoked = True
    with pytest.raises(AuthRejected) as refused:
        await youtube_adapter(base, cert).token_health()
    assert refused.value.field == "refresh_token"
    assert "invalid_grant: Token has been expired or revoked." in refused.value.message

"""One small driver per watched network's fake, so a watcher test can take every network from a
table: serve the fake, point a column at it, post by hand, count the looks, force a rate limit.

``DRIVERS[kind]()`` builds a driver; ``async with driver.running(tmp_path) as base`` serves its
fake. YouTube's is served over TLS (google-api-python-client uploads over https whatever the
endpoint): an adapter built by a test takes ``ca_certs=driver.ca_certs``, and while it runs
httplib2's default bundle is that certificate, so the app's own adapters trust the fake too.
Then:

- ``driver.settings(base)`` / ``driver.secrets``: a column of that kind on the fake;
- ``driver.hand_post(text)``: a post made on the account by a person; returns its remote id;
- ``driver.looks()``: how many listing calls the fake has answered (or refused);
- ``driver.force_rate_limit()``: the next listing call answers the network's rate limit; returns
  the seconds the adapter's RateLimited must carry (to within ``RATE_SLACK_S``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httplib2

from tests.fakes import graph, x, youtube
from tests.fakes.server import serve

# The adapter computes some delays from a reset time against its own clock.
RATE_SLACK_S = 5.0

GRAPH_TOKEN = "EAAB-watched-page-token"
YOUTUBE_CLIENT_SECRET = "GOCSPX-watched-client-secret"


@dataclass
class WatchDriver:
    kind: str
    app: Any
    settings: Callable[[str], dict[str, Any]]
    secrets: dict[str, str]
    hand_post: Callable[[str], str]
    looks: Callable[[], int]
    force_rate_limit: Callable[[], float]
    fake: Any = None  # the fake itself, for what the table does not cover
    tls: bool = False
    ca_certs: str | None = None
    serve_kwargs: dict[str, Any] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def running(self, tmp_path: Path) -> AsyncIterator[str]:
        kwargs: dict[str, Any] = {}
        if self.tls:
            cert, key = youtube.self_signed_cert(tmp_path)
            self.ca_certs = cert
            kwargs = {"ssl_certfile": cert, "ssl_keyfile": key}
        bundle = httplib2.CA_CERTS
        async with serve(self.app, **kwargs) as base:
            if hasattr(self.fake, "base"):
                self.fake.base = base
            if self.ca_certs:
                httplib2.CA_CERTS = self.ca_certs
            try:
                yield base
            finally:
                httplib2.CA_CERTS = bundle
                if hasattr(self.fake, "release"):
                    self.fake.release()


def facebook() -> WatchDriver:
    fake = graph.FakeGraph()

    def force() -> float:
        fake.fail("posts", "rate_limit")
        return 7 * 60.0  # the usage header's estimated_time_to_regain_access, in minutes

    return WatchDriver(
        kind="facebook",
        app=fake.app,
        settings=lambda base: {"page_id": graph.PAGE_ID, "api_base": base},
        secrets={"access_token": GRAPH_TOKEN},
        hand_post=lambda text: fake.hand_post(text),
        looks=lambda: len(fake.listings("posts")),
        force_rate_limit=force,
        fake=fake,
    )


def instagram() -> WatchDriver:
    fake = graph.FakeGraph()

    def force() -> float:
        fake.fail("media", "rate_limit")
        return 7 * 60.0

    return WatchDriver(
        kind="instagram",
        app=fake.app,
        settings=lambda base: {"ig_user_id": graph.IG_USER_ID, "api_base": base},
        secrets={"access_token": GRAPH_TOKEN},
        hand_post=lambda text: fake.hand_post(text, instagram=True),
        looks=lambda: len(fake.listings("media")),
        force_rate_limit=force,
        fake=fake,
    )


def x_driver() -> WatchDriver:
    fake = x.FakeX()

    def force() -> float:
        fake.fail("timeline", "rate_limit")
        return float(fake.reset_in)  # x-rate-limit-reset, seconds from now

    return WatchDriver(
        kind="x",
        app=fake.app,
        settings=lambda base: {"api_base": base, "username": "citynews"},
        secrets={"access_token": x.USER_TOKEN},
        hand_post=fake.hand_post,
        looks=lambda: len(fake.timelines()),
        force_rate_limit=force,
        fake=fake,
    )


def youtube_driver() -> WatchDriver:
    fake = youtube.FakeYouTube()

    def force() -> float:
        fake.fail("list", "rate_limit")
        return 60.0  # rateLimitExceeded: the adapter waits a minute

    driver = WatchDriver(
        kind="youtube",
        app=fake.app,
        settings=lambda base: {"api_base": base, "token_uri": f"{base}/token", "timeout_s": 5},
        secrets={
            "refresh_token": youtube.REFRESH_TOKEN,
            "client_id": "123.apps.googleusercontent.com",
            "client_secret": YOUTUBE_CLIENT_SECRET,
        },
        hand_post=fake.hand_post,
        looks=lambda: len(fake.listings()),
        force_rate_limit=force,
        fake=fake,
        tls=True,
    )
    return driver


DRIVERS: dict[str, Callable[[], WatchDriver]] = {
    "facebook": facebook,
    "instagram": instagram,
    "x": x_driver,
    "youtube": youtube_driver,
}

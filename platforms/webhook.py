"""`webhook`: POST a JSON body to a URL (Slack, Discord, a CMS, anything). CONTRACT §5."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from platforms.base import (
    Adapter,
    AuthRejected,
    Identity,
    InvalidSettings,
    Post,
    Receipt,
    Rejected,
    Transient,
)
from platforms.http import raise_for_status, send, short_body


class WebhookAdapter(Adapter):
    kind = "webhook"
    text_limit = None
    setting_keys = ("url", "timeout_s")
    secret_keys = ("token",)

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        url = settings.get("url")
        if not isinstance(url, str) or not url:
            raise InvalidSettings(
                "url", "a webhook column needs settings.url, the address to POST to"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidSettings("url", f"expected an http(s) URL, got {url[:100]!r}")
        timeout = settings.get("timeout_s", 10)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 < timeout <= 120
        ):
            raise InvalidSettings("timeout_s", "expected a number of seconds between 0 and 120")

    def headers(self) -> dict[str, str]:
        token = self.column.secrets.get("token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def timeout(self) -> httpx.Timeout:
        seconds = float(self.column.settings.get("timeout_s", 10))
        return httpx.Timeout(seconds, connect=min(5.0, seconds))

    async def check(self) -> Identity:
        """A webhook has no account to ask about: a GET (which no receiver should act on)
        shows whether the address answers, and whether it takes the token."""
        url = self.column.settings["url"]
        response = await send(
            lambda: self.http.get(url, headers=self.headers(), timeout=self.timeout())
        )
        status = response.status_code
        where = f"{response.url.netloc.decode()}{response.url.path}"
        if status in (401, 403):
            raise AuthRejected(
                f"HTTP {status} from {where}: {short_body(response, 200)}", field="token"
            )
        if status in (404, 410):
            raise Rejected(f"HTTP {status}: nothing at {where}", field="url")
        if status >= 500:
            raise Transient(f"HTTP {status} from {where}: {short_body(response, 200)}", field="url")
        return Identity(account=where, url=url)

    async def publish(self, post: Post) -> Receipt:
        settings = self.column.settings
        headers = {"Idempotency-Key": post.idempotency_key, **self.headers()}
        body = {
            "snippet_id": post.snippet_id,
            "platform_id": post.platform_id,
            "body": post.body,
            "url": post.url,
            "text": post.text,
        }
        response = await send(
            lambda: self.http.post(
                settings["url"], json=body, headers=headers, timeout=self.timeout()
            )
        )
        raise_for_status(response)
        remote_id, remote_url = f"{post.snippet_id}", None
        if response.headers.get("content-type", "").startswith("application/json"):
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                remote_id = str(answer.get("id") or remote_id)
                remote_url = answer.get("url") if isinstance(answer.get("url"), str) else None
        return Receipt(remote_id=remote_id, remote_url=remote_url)


PLATFORM = WebhookAdapter

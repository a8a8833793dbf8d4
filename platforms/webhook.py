"""`webhook`: POST a JSON body to a URL (Slack, Discord, a CMS, anything). CONTRACT §5."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from platforms.base import Adapter, InvalidSettings, Post, Receipt
from platforms.http import raise_for_status, send


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

    async def publish(self, post: Post) -> Receipt:
        settings = self.column.settings
        headers = {"Idempotency-Key": post.idempotency_key}
        token = self.column.secrets.get("token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = {
            "snippet_id": post.snippet_id,
            "platform_id": post.platform_id,
            "body": post.body,
            "url": post.url,
            "text": post.text,
        }
        timeout = float(settings.get("timeout_s", 10))
        response = await send(
            lambda: self.http.post(
                settings["url"],
                json=body,
                headers=headers,
                timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
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

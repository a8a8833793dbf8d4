"""Meta's Graph API, shared by the Facebook Page and Instagram adapters.

Graph errors are ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``;
the code decides the typed error. Throttling shows in usage headers (X-Business-Use-Case-Usage,
X-Page-Usage, X-App-Usage): once one says 100 %, or gives ``estimated_time_to_regain_access``
(minutes), we stop calling until then instead of spending errors.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from platforms import http as nethttp
from platforms import upload as streamed
from platforms.base import (
    AuthRejected,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    Rejected,
    Transient,
)
from platforms.recent import MAX_PAGES, parse_time

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v25.0"

# 190 expired/invalid token, 102 session; 10 and 200-299 missing permissions: every card would
# fail the same way, so the column stops and says why.
AUTH_CODES = frozenset({10, 102, 190, *range(200, 300)})
# 4 app, 17 user, 32 page, 613 custom limits; 9 Instagram's publishing limit; 80001-80014 BUC.
RATE_CODES = frozenset({4, 9, 17, 32, 613, *range(80001, 80015)})
# 1/2 API unknown/service, -1/-2 Instagram's "try again" errors.
TRANSIENT_CODES = frozenset({-2, -1, 1, 2})
DUPLICATE_CODES = frozenset({506})
# Meta says a throttled app may wait "up to an hour"; without a usage header we try again in 5 min.
DEFAULT_RATE_WAIT_S = 300.0
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")


def usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until Meta lets us call again, from its usage headers; None when not throttled."""
    waits: list[float] = []
    for name in USAGE_HEADERS:
        try:
            data = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        entries = [data]
        if name == "x-business-use-case-usage" and isinstance(data, dict):
            # BUC maps each business id to a list of entries, one per use case.
            entries = [
                entry for listed in data.values() if isinstance(listed, list) for entry in listed
            ]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            minutes = entry.get("estimated_time_to_regain_access") or 0
            full = any(
                _number(entry.get(k)) >= 100 for k in ("call_count", "total_time", "total_cputime")
            )
            if _number(minutes) > 0:
                waits.append(_number(minutes) * 60)
            elif full:
                waits.append(DEFAULT_RATE_WAIT_S)
    return max(waits) if waits else None


def graph_error(response: httpx.Response, body: Any) -> PlatformError:
    """Map a failed Graph answer onto a typed error."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        try:
            nethttp.raise_for_status(response)
        except PlatformError as exc:
            return exc
        return Transient(f"Graph: unexpected answer {nethttp.short_body(response)}")
    code = error.get("code")
    sub = error.get("error_subcode")
    text = str(error.get("error_user_msg") or error.get("message") or "")[:300]
    message = f"Graph error {code}{f'/{sub}' if sub else ''}: {text} (fbtrace_id {error.get('fbtrace_id', '-')})"
    if code in RATE_CODES:
        return RateLimited(usage_wait(response.headers) or DEFAULT_RATE_WAIT_S, message)
    if code in AUTH_CODES:
        return AuthRejected(message)
    if code in DUPLICATE_CODES:
        return OutcomeUnknown(message)
    if code in TRANSIENT_CODES or error.get("is_transient") or response.status_code >= 500:
        return Transient(message)
    return Rejected(message)


class GraphClient:
    """Calls one Graph node with one token; remembers throttling across calls."""

    def __init__(
        self, http: httpx.AsyncClient, settings: Mapping[str, Any], token: str, log: logging.Logger
    ) -> None:
        self.http = http
        self.base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.version = str(settings.get("graph_version") or DEFAULT_VERSION)
        timeout = settings.get("timeout_s")
        self.timeout = httpx.Timeout(float(timeout)) if timeout else nethttp.DEFAULT_TIMEOUT
        self.token = token
        self.log = log
        self.blocked_until = 0.0

    def check(self) -> None:
        """Raise RateLimited while a usage header told us to hold off."""
        wait = self.blocked_until - time.monotonic()
        if wait > 0:
            raise RateLimited(
                wait, f"Graph usage is at its limit: waiting {wait:.0f} s as Meta asked"
            )

    async def request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        upload: tuple[str, Media] | None = None,
        base: str | None = None,
    ) -> dict[str, Any]:
        """One call; ``upload`` (a form field and the media) sends the form as multipart, streamed."""
        self.check()
        url = f"{(base or self.base).rstrip('/')}/{self.version}/{path.lstrip('/')}"
        auth = {"access_token": self.token}
        query = {**(params or {}), **auth} if method == "GET" else params
        form = None if method == "GET" else {**{k: str(v) for k, v in (data or {}).items()}, **auth}
        if upload is not None and form is not None:
            headers, content = streamed.multipart(form, *upload)
            response = await nethttp.send(
                lambda: self.http.request(
                    method,
                    url,
                    params=query,
                    content=content,
                    headers=headers,
                    timeout=self.timeout,
                )
            )
        else:
            response = await nethttp.send(
                lambda: self.http.request(
                    method, url, params=query, data=form, timeout=self.timeout
                )
            )
        wait = usage_wait(response.headers)
        if wait:
            self.blocked_until = time.monotonic() + wait
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict) and "error" not in body:
            return body
        error = graph_error(response, body)
        # Meta does not echo tokens, but a message that reaches browsers must never hold one.
        error.args = (_masked(error.message, [self.token]),)
        raise error

    async def me(self) -> dict[str, Any]:
        """``GET /me``: whose token this is (a Page token answers as the Page)."""
        try:
            return await self.request("GET", "me", params={"fields": "id,name"})
        except AuthRejected as exc:
            exc.field = "access_token"
            raise

    async def listing(
        self, path: str, params: Mapping[str, Any], oldest: datetime, time_field: str
    ) -> list[dict[str, Any]]:
        """An edge listed newest first, page by page (``paging.cursors.after``), until a page
        reaches back before ``oldest`` or MAX_PAGES were read."""
        items: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.request(
                "GET", path, params={**params, **({"after": after} if after else {})}
            )
            data = [item for item in page.get("data") or [] if isinstance(item, dict)]
            items.extend(data)
            paging: dict[str, Any] = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            last = parse_time(data[-1].get(time_field)) if data else None
            if not data or not after or not paging.get("next") or (last and last < oldest):
                break
        return items

    async def token_expiry(self, app_token: str | None) -> datetime | None:
        """When the token stops working, from ``debug_token``; None: never, or not said.

        Meta asks for an app token (``app_id|app_secret``) or a token of one of the app's
        developers as the caller; without an app token the column's own token asks. A token
        Meta calls invalid raises AuthRejected with Meta's reason."""
        caller = app_token or self.token
        url = f"{self.base}/{self.version}/debug_token"
        response = await nethttp.send(
            lambda: self.http.get(
                url,
                params={"input_token": self.token, "access_token": caller},
                timeout=self.timeout,
            )
        )
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not response.is_success or not isinstance(body, dict) or "error" in body:
            error = graph_error(response, body)
            secret = [s for s in (self.token, app_token) if s]
            error.args = (_masked(error.message, secret),)
            if isinstance(error, AuthRejected) and app_token:
                # The app's credentials were refused, not the column's token.
                raise Rejected(f"debug_token refused the app token: {error.message}")
            raise error
        data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
        if data.get("is_valid") is False:
            reason = (data.get("error") or {}).get("message") or "no reason given"
            raise AuthRejected(
                f"Facebook says the access token is no longer valid: {str(reason)[:300]}",
                field="access_token",
            )
        # 0 (or nothing) means no expiry; data access lapses separately, 90 days after the
        # person behind the token last used the app: whichever comes first stops publishing.
        moments = [_number(data.get(key)) for key in ("expires_at", "data_access_expires_at")]
        stamps = [m for m in moments if m > 0]
        return datetime.fromtimestamp(min(stamps), UTC) if stamps else None

    async def field(self, node: str, name: str) -> str | None:
        """One field of a node, for links after publishing: never raises, the post is already out."""
        try:
            value = (await self.request("GET", node, params={"fields": name})).get(name)
        except PlatformError as exc:
            self.log.warning("could not read %s of %s: %s", name, node, exc.message)
            return None
        return str(value) if value else None


def validate_graph(
    settings: Mapping[str, Any], secrets: Mapping[str, str], id_field: str, what: str
) -> None:
    """Checks shared by the Graph adapters: the node id, the base URL, the version, the token."""
    node = str(settings.get(id_field, ""))
    if not node.isdigit():
        raise InvalidSettings(
            id_field,
            f"expected the numeric {what} id such as 1234567890, got {settings.get(id_field)!r}",
        )
    for key in ("api_base", "video_api_base"):
        value = settings.get(key)
        if value is not None and not str(value).startswith(("http://", "https://")):
            raise InvalidSettings(
                key, f"expected an http(s) URL such as {DEFAULT_API_BASE}, got {value!r}"
            )
    version = str(settings.get("graph_version") or DEFAULT_VERSION)
    if not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
        raise InvalidSettings(
            "graph_version",
            f"expected a Graph API version such as {DEFAULT_VERSION}, got {version!r}",
        )
    timeout = settings.get("timeout_s")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise InvalidSettings("timeout_s", f"expected a number of seconds above 0, got {timeout!r}")
    if not secrets.get("access_token"):
        raise InvalidSettings(
            "access_token", f"required: a long-lived access token that may publish to the {what}"
        )
    app_id = settings.get("app_id")
    if app_id is not None and not str(app_id).isdigit():
        raise InvalidSettings("app_id", f"expected the numeric Meta app id, got {app_id!r}")
    if bool(app_id) != bool(secrets.get("app_secret")):
        missing = "app_secret" if app_id else "app_id"
        raise InvalidSettings(
            missing,
            "app_id and app_secret go together: with both, the token's expiry is asked with the"
            " app's own token",
        )


def app_token(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> str | None:
    """The app access token (``app_id|app_secret``) that asks ``debug_token``, when configured."""
    app_id, app_secret = settings.get("app_id"), secrets.get("app_secret")
    return f"{app_id}|{app_secret}" if app_id and app_secret else None


def _masked(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0

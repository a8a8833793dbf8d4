"""Security headers on every page and API answer, as a pure ASGI middleware.

The board is a signed-in page that changes what goes out on a newsroom's accounts: no other
site may frame it (clickjacking), run script in it, or have a response read as another type.
Pure ASGI (no BaseHTTPMiddleware): a WebSocket passes through untouched, and an HTTP answer
costs one header merge on its start message.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere (the pages load modules and stylesheets from /static;
# style set from script goes through CSSOM, which CSP allows); the WebSocket is 'self'.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# A tracked link's redirect (/l/<code>) leads a reader to the newsroom's site: it leaves the
# referrer as the browser would have sent it without us (its default policy), so the site's
# analytics still see where the reader came from.
REDIRECT_PREFIX = "/l/"
REDIRECT_REFERRER = b"strict-origin-when-cross-origin"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        redirect = scope.get("path", "").startswith(REDIRECT_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS:
                    if name == b"referrer-policy" and redirect:
                        value = REDIRECT_REFERRER
                    if name not in present:  # a response that set its own keeps it
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

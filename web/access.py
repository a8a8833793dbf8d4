"""The access log: a line per request to the board, and none for a reader's tracked link.

uvicorn's own access log is off (web/cli.py WS_OPTIONS): it wrote every request with the
client's address, readers' clicks included, and cost a log record per redirect (a tenth of
its CPU). Here a request to /l/ passes straight through; any other is logged as uvicorn did.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("web.access")

TRACKED = "/l/"  # web/redirect.py: readers' requests, never logged (CONTRACT §11)


class AccessLog:
    """ASGI middleware: ``client - "GET /path HTTP/1.1" 200`` at INFO after each response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(TRACKED)
            or not log.isEnabledFor(logging.INFO)
        ):
            await self.app(scope, receive, send)
            return
        status = 0

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500  # Starlette's error middleware, outside us, answers it
            raise
        finally:
            client = scope.get("client")
            query = scope.get("query_string", b"").decode("latin-1")
            log.info(
                '%s - "%s %s HTTP/%s" %d',
                f"{client[0]}:{client[1]}" if client else "-",
                scope["method"],
                scope.get("root_path", "") + scope["path"] + (f"?{query}" if query else ""),
                scope.get("http_version", "1.1"),
                status,
                extra={"action": "http.access"},
            )

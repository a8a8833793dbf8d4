"""A local server speaking the OpenAI chat completions HTTP protocol, as the `openai` client calls it.

`mode` picks the answer: "ok" (the configured content), "slow" (holds the request until
released, for timeouts) or "error" (an OpenAI-shaped 500). Every request body is kept.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# How long a "slow" answer waits at most when nobody releases it.
SLOW_MAX_S = 10.0


@dataclass
class FakeOpenAI:
    mode: str = "ok"
    content: str = '{"texts": ["One", "Two", "Three"]}'
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            body = orjson.loads(await request.body())
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if self.mode == "slow":
                try:
                    await asyncio.wait_for(self.release.wait(), SLOW_MAX_S)
                except TimeoutError:
                    pass
            if self.mode == "error":
                return JSONResponse(
                    {
                        "error": {
                            "message": "The server had an error while processing your request.",
                            "type": "server_error",
                            "param": None,
                            "code": None,
                        }
                    },
                    status_code=500,
                )
            return JSONResponse(
                {
                    "id": f"chatcmpl-{len(self.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "unknown"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "logprobs": None,
                            "message": {"role": "assistant", "content": self.content},
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
                }
            )

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])

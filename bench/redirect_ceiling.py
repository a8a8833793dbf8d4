"""The ceiling for bench/clicks.py: a bare Starlette redirect endpoint with no database.

`GET /l/<code>` looks the code up in a dict read at start (a JSON file of code -> target)
and answers 302 to it, or 404; nothing is counted, nothing logged. That is the least a
Python redirect can do under Starlette and uvicorn: Metronome's redirect adds the reader
rules, the count in memory and its flushes on top. `/api/health` and `/api/login` are there
for the bench's harness (bench/ceiling.py HARNESS).

    python bench/redirect_ceiling.py --links links.json --port 8766
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
import uvicorn
from ceiling import HARNESS
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


def build_app(targets: dict[str, str]) -> Starlette:
    async def redirect(request: Request) -> Response:
        target = targets.get(request.path_params["code"])
        if target is None:
            return PlainTextResponse("not found", status_code=404)
        return RedirectResponse(target, status_code=302)

    return Starlette(routes=[Route("/l/{code}", redirect), *HARNESS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--links", required=True, help="a JSON object: code -> target URL")
    args = parser.parse_args()
    targets = orjson.loads(Path(args.links).read_bytes())
    uvicorn.run(
        build_app(targets),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()

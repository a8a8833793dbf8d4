"""The HTTP API fuzzed from its published description (/api/openapi.json, web/openapi.py) with
schemathesis, and every parameter and body field given each hostile value: never a 5xx, and
nothing logged as a failure (issue 17: `?limit=²`, `/media/99999999999999999999`, a
`published_at` of year 1 at +14:00 were 500s)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.hostile import HOSTILE, Raw, Troubles, to_json
from tests.support import Running, make_token, make_user, running_app
from web.openapi import describe

FAST_EXAMPLES = int(os.environ.get("METRONOME_FUZZ_HTTP", "12"))
# Query and path values as a client could send them (text only: a URL carries no types).
TEXTS = [v if isinstance(v, str) else to_json(v) for v in HOSTILE if not isinstance(v, Raw)] + [
    "99999999999999999999",
    "-1",
    "0",
    "../../etc/passwd",
    "%00",
    "a%00b",
]


@pytest.fixture
async def fuzz_server(database_url: str) -> AsyncIterator[Running]:
    async with running_app(database_url) as running:
        yield running


def _record(seen: Counter[str], failures: list[str], label: str, response: Any) -> None:
    seen["requests"] += 1
    seen[f"{response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code} {response.text[:200]}")


def _schemathesis(
    url: str, headers: dict[str, str], examples: int
) -> tuple[Counter[str], list[str]]:
    """schemathesis' own cases, valid and invalid, for every operation described."""
    seen: Counter[str] = Counter()
    failures: list[str] = []
    schema = schemathesis.openapi.from_dict(describe())
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the description is valid OpenAPI
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                response = case.call(base_url=url, headers=headers, timeout=30)
                _record(seen, failures, f"{case.method} {case.formatted_path}", response)

            try:
                one()
            except Unsatisfiable:
                # Nothing to make invalid (an operation without parameters or body).
                assert mode is GenerationMode.NEGATIVE, operation.label
                continue
            seen["operations"] += 1
    return seen, failures


def _hostile(url: str, headers: dict[str, str]) -> tuple[Counter[str], list[str]]:
    """Each described parameter and each material field, given each hostile value in turn."""
    seen: Counter[str] = Counter()
    failures: list[str] = []
    spec = describe()
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for path, methods in spec["paths"].items():
            for method, operation in methods.items():
                for parameter in operation.get("parameters", []):
                    # The others as a client would fill them (a signature is checked only
                    # beside an expiry), or left out.
                    queries = [p for p in operation["parameters"] if p["in"] == "query"]
                    fills = ("1", None) if len(queries) > 1 else ("1",)
                    for value, others in itertools.product(TEXTS, fills):
                        target, params = path, {}
                        for other in operation["parameters"]:
                            given = value if other is parameter else others
                            if other["in"] == "path":
                                filled = quote(given or "1", safe="")
                                target = target.replace("{" + other["name"] + "}", filled)
                            elif given is not None:
                                params[other["name"]] = given
                        response = http.request(method.upper(), target, params=params)
                        _record(seen, failures, f"{method} {target} {params}", response)
        fields = list(spec["components"]["schemas"]["Material"]["properties"])
        for name in fields:
            for value in HOSTILE:
                body = {"external_id": "fuzz-1", "url": "https://example.org/", "title": "T"}
                body[name] = value
                response = http.post(
                    "/api/materials",
                    content=to_json(body),
                    headers={"content-type": "application/json"},
                )
                _record(
                    seen, failures, f"POST /api/materials {name}={to_json(value)[:80]}", response
                )
        for value in HOSTILE[::3]:  # a sign-in costs an argon2 hash: a third of them
            for name in ("email", "password"):
                body = {"email": "someone@example.org", "password": "x", name: value}
                response = http.post(
                    "/api/login",
                    content=to_json(body),
                    headers={"content-type": "application/json"},
                )
                _record(seen, failures, f"POST /api/login {name}={to_json(value)[:80]}", response)
    return seen, failures


async def _run(server: Running, examples: int) -> Counter[str]:
    email = await make_user(server.database_url, "admin")
    headers = {"Authorization": f"Bearer {await make_token(server.database_url, email)}"}
    started = time.monotonic()
    with Troubles() as troubles:
        seen, failures = await asyncio.to_thread(_schemathesis, server.url, headers, examples)
        more, more_failures = await asyncio.to_thread(_hostile, server.url, headers)
        await asyncio.sleep(0.2)
    seen.update(more)
    failures += more_failures
    print(
        f"\nHTTP fuzz: {seen['requests']} requests ({seen['operations']} operation x mode runs of"
        f" schemathesis, {more['requests']} hostile values) in {time.monotonic() - started:.1f} s,"
        f" 5xx = {seen['5xx']}; statuses {dict(seen)}"
    )
    assert not failures, "\n".join(failures[:10])
    assert seen["5xx"] == 0
    assert not troubles.records, troubles.report()
    return seen


async def test_http_api_never_fails_on_bad_input(fuzz_server: Running) -> None:
    """Every described operation, fuzzed and given hostile values: never a 5xx."""
    seen = await _run(fuzz_server, FAST_EXAMPLES)
    assert seen["4xx"] > 0 and seen["2xx"] > 0


@pytest.mark.slow
async def test_http_api_never_fails_on_bad_input_long(fuzz_server: Running) -> None:
    """The same with ten times as many schemathesis cases per operation."""
    await _run(fuzz_server, 10 * FAST_EXAMPLES)


def test_the_description_is_served_signed_in() -> None:
    """The description parses as OpenAPI (schemathesis loads it) and is JSON all the way."""
    schema = schemathesis.openapi.from_dict(describe())
    assert len(list(schema.get_all_operations())) >= 10
    assert orjson.loads(orjson.dumps(describe())) == describe()

"""GET /api/stats?platform_id=&since=: clicks per card and per hour (CONTRACT §11), as JSON
or, with ``format=csv``, as a spreadsheet's rows (one per card, hour and referrer).

``platform_id`` is optional (every column); ``since`` is a UTC ISO time within the last
MAX_RANGE days (default: 24 hours ago) and counts from the start of its hour.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from board import clicks, rows
from board.args import param_int
from board.errors import BadRequest, NotFound
from web.routes import current_actor, json_error

DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=400)
# A CSV cell a spreadsheet would run as a formula starts with one of these (OWASP).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT = 200  # characters of a card's text in the export


class BadParam(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name


def read_platform(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return param_int(raw, "platform_id", "stats", minimum=1)
    except BadRequest:
        raise BadParam("platform_id", f"expected a column id, got {raw[:40]!r}") from None


def read_since(raw: str | None, now: datetime) -> datetime:
    if raw is None or raw == "":
        return now - DEFAULT_RANGE
    try:
        since = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadParam(
            "since", f"expected a UTC ISO time like 2026-11-22T10:00:00Z, got {raw[:40]!r}"
        ) from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if since > now:
        raise BadParam("since", "expected a time in the past")
    if since < now - MAX_RANGE:
        raise BadParam("since", f"expected a time within the last {MAX_RANGE.days} days")
    return since


def link_of(public_url: str | None, code: str | None) -> str | None:
    return f"{public_url}/l/{code}" if public_url and code else None


def as_json(result: clicks.Stats, platform_id: int | None, public_url: str | None) -> bytes:
    cards = []
    for card in result.cards:
        item = clicks.card_state(card)
        item["link"] = link_of(public_url, card.code)
        cards.append(item)
    body: dict[str, Any] = {
        "platform_id": platform_id,
        "since": rows.iso(result.since),
        "until": rows.iso(result.until),
        "total": result.total,
        "hours": [{"hour": rows.iso(h), "clicks": n} for h, n in sorted(result.hours.items())],
        "cards": cards,
        "more_cards": result.more_cards,
        "referrers": [{"domain": d or None, "clicks": n} for d, n in result.referrers],
    }
    return orjson.dumps(body)


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def as_csv(records: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["hour", "platform_id", "platform", "snippet_id", "text", "url", "referrer", "clicks"]
    )
    for r in records:
        text = " ".join((r.body or "").split())[:CSV_TEXT]
        writer.writerow(
            [
                rows.iso(r.hour),
                r.platform_id,
                cell(r.platform_name),
                r.snippet_id,
                cell(text),
                cell(r.url),
                cell(r.referrer),
                r.count,
            ]
        )
    return out.getvalue()


async def endpoint(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    services = request.app.state.services
    now = services.clock.now()
    query = request.query_params
    try:
        platform_id = read_platform(query.get("platform_id"))
        since = read_since(query.get("since"), now)
        form = query.get("format") or "json"
        if form not in ("json", "csv"):
            raise BadParam("format", f"expected json or csv, got {form[:20]!r}")
    except BadParam as exc:
        return json_error(400, "bad_request", str(exc), exc.field)
    async with services.database.connect() as db:
        try:
            if platform_id is not None:
                await rows.platform_row(db, platform_id)
        except NotFound as exc:
            return json_error(404, "not_found", exc.message)
        if form == "csv":
            records = await clicks.export_rows(db, platform_id, since, now)
        else:
            result = await clicks.stats(db, platform_id, since, now)
    if form == "csv":
        name = f"metronome-clicks-{platform_id or 'all'}-{since:%Y%m%d-%H}.csv"
        return Response(
            as_csv(records),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="{name}"',
                "cache-control": "no-store",
            },
        )
    return Response(
        as_json(result, platform_id, services.settings.public_url),
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )

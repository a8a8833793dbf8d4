"""AI drafts from an OpenAI-compatible API: `snippet.suggest` (two or three status texts for a
column's network) and `snippet.draft` (a new card with one of them).

Nothing here publishes: suggested texts go back to the editor, who may put one on a card, and
a drafted card waits for an editor's approval (CONTRACT §12).
Settings (environment): METRONOME_OPENAI_API_KEY (none: drafting is off),
METRONOME_OPENAI_BASE_URL, METRONOME_OPENAI_MODEL, METRONOME_OPENAI_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from board import approval, cards, prompts, rows
from board.args import Args
from board.commands import Call
from board.db import Db, fetchrow
from board.errors import BadRequest, CommandError, NotFound, RateLimited

if TYPE_CHECKING:
    import openai

DEFAULT_MODEL = "gpt-4o-mini"
# An editor waits for the answer with the card open; past this it is better to say so.
DEFAULT_TIMEOUT_S = 20.0
# Drafts in flight per app: each is a request to the AI server an editor waits for.
MAX_CONCURRENT = 4


class DraftingOff(CommandError):
    """AI drafting is off: set METRONOME_OPENAI_API_KEY to turn it on."""

    code = "drafting_off"


class DraftingFailed(CommandError):
    """The AI server gave no usable answer; nothing was changed."""

    code = "unavailable"


class Drafter:
    """The `snippet.suggest` op, configured from the app's settings."""

    def __init__(self, extra: Mapping[str, str], text_limits: Mapping[str, int]) -> None:
        self.text_limits = text_limits
        self.api_key = extra.get("METRONOME_OPENAI_API_KEY") or None
        self.base_url = extra.get("METRONOME_OPENAI_BASE_URL") or None  # None: api.openai.com
        self.model = extra.get("METRONOME_OPENAI_MODEL") or DEFAULT_MODEL
        try:
            self.timeout_s = float(extra.get("METRONOME_OPENAI_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
        except ValueError:
            self.timeout_s = DEFAULT_TIMEOUT_S
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)

    async def suggest(self, call: Call, args: Args) -> dict[str, Any]:
        """The op (run outside any transaction: the AI call takes seconds and must not hold a
        pooled connection meanwhile). Reads what it drafts from, then asks the AI server."""
        if self.api_key is None:
            raise DraftingOff()
        snippet_id = args.int("snippet_id", required=False, nullable=True)
        material_id = args.int("material_id", required=False, nullable=True)
        platform_id = args.int("platform_id", required=False, nullable=True)
        if (snippet_id is None) == (material_id is None):
            raise BadRequest(f"{args.op}: give snippet_id or material_id (one of them)")
        texts, platform_id, room = await self._texts(
            call, args, snippet_id, material_id, platform_id
        )
        return {"texts": texts, "platform_id": platform_id, "limit": room, "model": self.model}

    async def draft(self, call: Call, args: Args) -> dict[str, Any]:
        """``snippet.draft`` {platform_id, material_id, after_id?}: a new card in the column
        with the AI's first text for the material. No person wrote it: it waits for an
        editor's approval (board/approval.py), whoever asked. Nothing is created when the AI
        gives no usable text."""
        if self.api_key is None:
            raise DraftingOff()
        platform_id = args.int("platform_id")
        material_id = args.int("material_id")
        texts, _, _ = await self._texts(call, args, None, material_id, platform_id)
        raw = {k: args.raw[k] for k in ("after_id", "before_id") if k in args.raw}
        raw.update(platform_id=platform_id, material_id=material_id, body=texts[0])
        async with call.unit() as ctx:
            return await cards.create_post(
                ctx, Args(raw, args.op), approval.PENDING, meta={"drafted_by": self.model}
            )

    async def _texts(
        self,
        call: Call,
        args: Args,
        snippet_id: int | None,
        material_id: int | None,
        platform_id: int | None,
    ) -> tuple[list[str], int | None, int | None]:
        """The AI's texts for a card or a material, fitted to the column's network, with the
        column and the room a text has there."""
        async with call.read() as db:
            source, card_platform = await _source(db, snippet_id, material_id)
            platform_id = platform_id if platform_id is not None else card_platform
            kind = settings = None
            if platform_id is not None:
                column = await rows.platform_row(db, platform_id)
                kind, settings = column.kind, dict(column.settings or {})
        limit = self.text_limits.get(kind) if kind else None
        room = prompts.budget(limit, kind, source.url)
        content = await self._ask(prompts.messages(source, kind, settings, limit))
        texts = prompts.texts(content, room)
        if not texts:
            raise DraftingFailed(f"{args.op}: the model's answer held no usable text")
        return texts, platform_id, room

    async def _ask(self, messages: list[dict[str, str]]) -> str:
        if self._slots.locked():
            raise RateLimited(
                "snippet.suggest: drafts are being written for others; try again in a moment"
            )
        # Imported on first use: the client library takes seconds to import, and every
        # `metronome` start (and restart) would pay for it.
        import openai

        async with self._slots:
            client = openai.AsyncOpenAI(
                base_url=self.base_url, api_key=self.api_key, max_retries=0, timeout=self.timeout_s
            )
            try:
                answer = await asyncio.wait_for(
                    client.chat.completions.create(
                        model=self.model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=0.8,
                    ),
                    self.timeout_s + 1,
                )
            except (openai.APITimeoutError, TimeoutError):
                raise DraftingFailed(
                    f"snippet.suggest: the AI server did not answer within {self.timeout_s:g} s"
                ) from None
            except openai.APIStatusError as exc:
                raise DraftingFailed(
                    f"snippet.suggest: the AI server answered HTTP {exc.status_code}: "
                    f"{_message(exc)}"
                ) from None
            except openai.APIConnectionError:
                raise DraftingFailed(
                    f"snippet.suggest: cannot reach the AI server at {client.base_url}"
                ) from None
            finally:
                await client.close()
        if not answer.choices or not answer.choices[0].message.content:
            raise DraftingFailed("snippet.suggest: the AI server answered without text")
        return answer.choices[0].message.content


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:200]
    return str(exc.message)[:200]


async def _source(
    db: Db, snippet_id: int | None, material_id: int | None
) -> tuple[prompts.Source, int | None]:
    """The text to draft from, and the card's column when drafting for a card."""
    body = url = None
    platform_id = None
    if snippet_id is not None:
        card = await rows.snippet_row(db, snippet_id)
        if card.kind != "post":
            raise BadRequest(f"card {snippet_id} is an interval marker: it has no text to draft")
        body, url, platform_id, material_id = (
            card.body,
            card.url,
            card.platform_id,
            card.material_id,
        )
    material = None
    if material_id is not None:
        material = await fetchrow(db, "SELECT * FROM materials WHERE id = $1", material_id)
        if material is None and snippet_id is None:
            raise NotFound(f"no material with id {material_id}")
    if material is None:
        return prompts.Source(None, None, None, body, url), platform_id
    return prompts.Source(
        material.title,
        material.lead,
        material.social_text,
        body,
        url or material.url,
        material.section,
    ), platform_id

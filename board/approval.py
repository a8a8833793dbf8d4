"""Approval (CONTRACT §12): what an author writes waits for an editor.

A card is ``approved`` (it takes its slot in the schedule walk) or ``pending`` (it keeps its
place in the queue, takes no slot and is never published). A card an author creates or edits
is pending, and so is a card no person wrote (a feed's draft); a card an editor or an admin
creates is approved from the start; ``snippet.approve`` (editor or admin, board/cards.py)
approves one.
Approval is not an edit of the card's text: it bumps no version and keeps the card's last
editor, so an author's edit in flight is not refused because an editor approved meanwhile.
"""

from __future__ import annotations

from typing import Any

from board.args import Args
from board.context import Actor
from board.errors import Conflict, Forbidden

PENDING = "pending"
APPROVED = "approved"
# The role whose writing waits for approval.
AUTHOR = "author"


def is_author(actor: Actor) -> bool:
    return actor.role == AUTHOR


def of_new_card(actor: Actor) -> str:
    """The approval of a card ``actor`` creates."""
    return PENDING if is_author(actor) else APPROVED


def author_edit(args: Args, card: Any) -> dict[str, Any]:
    """What an author's edit of ``card`` sets besides the text: the card waits again.

    An author edits post cards only (an interval card changes the column's rhythm: editors'
    business). A "send now" asked for the card's old text is dropped with its approval."""
    if card.kind != "post":
        raise Forbidden(f"{args.op}: card {card.id} is an interval card; authors edit post cards")
    values: dict[str, Any] = {"approval": PENDING}
    meta = dict(card.meta or {})
    if meta.pop("send_now", None) is not None:
        values["meta"] = meta
    return values


def refuse_waiting(args: Args, card: Any) -> None:
    """Nothing publishes a card that waits for approval, not even an editor's "send now"."""
    if card.approval == PENDING:
        raise Conflict(
            f"{args.op}: card {card.id} waits for approval; approve it first",
            reason="awaiting_approval",
        )

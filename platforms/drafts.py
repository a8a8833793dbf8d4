"""`drafts`: an inbox that publishes nowhere and has no timer."""

from __future__ import annotations

from platforms.base import Adapter, Identity, Post, Receipt, Rejected


class DraftsAdapter(Adapter):
    kind = "drafts"
    text_limit = None

    async def publish(self, post: Post) -> Receipt:
        # Only "send now" could get here: an inbox has no network behind it.
        raise Rejected("the drafts inbox publishes nowhere: drag the card to a network's column")

    async def check(self) -> Identity:
        return Identity(account="nowhere (an inbox)")


PLATFORM = DraftsAdapter

"""`log`: publishes to the server log. The demo default, and a column to try the board with."""

from __future__ import annotations

import itertools
import logging
import time

from platforms.base import Adapter, Identity, Post, Receipt

log = logging.getLogger(__name__)
_counter = itertools.count(1)


class LogAdapter(Adapter):
    kind = "log"
    text_limit = None

    async def publish(self, post: Post) -> Receipt:
        # The body is logged at DEBUG only: message texts stay out of INFO logs.
        log.info(
            "column %s published card %s",
            self.column.id,
            post.snippet_id,
            extra={"action": "log.publish"},
        )
        log.debug("card %s text: %s", post.snippet_id, post.text)
        return Receipt(remote_id=f"log-{int(time.time())}-{next(_counter)}")

    async def check(self) -> Identity:
        return Identity(account="the server log")


PLATFORM = LogAdapter

"""Ord arithmetic: a card's place is a float between its neighbours'."""

from __future__ import annotations

from collections.abc import Sequence

# Ords of a renumbered column: 1, 2, 3… with room for ~50 halvings in each gap.
STEP = 1.0
# Below this gap a midpoint loses meaningful precision, so the column is renumbered first.
MIN_GAP = 1e-9


class NeedsRenumber(Exception):
    """The neighbours are too close for a float between them."""


def between(before: float | None, after: float | None) -> float:
    """An ord strictly between two neighbours (None: the top or the end of the queue)."""
    if before is None and after is None:
        return STEP
    if before is None:
        assert after is not None
        return after - STEP
    if after is None:
        return before + STEP
    if not before < after:
        raise NeedsRenumber(f"expected before < after, got {before!r} and {after!r}")
    if after - before < MIN_GAP * max(1.0, abs(before), abs(after)):
        raise NeedsRenumber(f"gap between {before!r} and {after!r} is too small")
    middle = (before + after) / 2
    if not before < middle < after:
        raise NeedsRenumber(f"no float between {before!r} and {after!r}")
    return middle


def renumbered(count: int) -> list[float]:
    """Evenly spaced ords for a queue of ``count`` cards."""
    return [STEP * (i + 1) for i in range(count)]


def neighbours(
    ords: Sequence[tuple[int, float]],
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    top: bool = False,
) -> tuple[float | None, float | None]:
    """The ords around the target slot in a queue of (id, ord) in order, the moving card excluded.

    ``top``: the first slot; ``after_id``: right after that card; ``before_id``: right before
    it; none of them: the end. Raises KeyError for an id that is not in the queue.
    """
    if top:
        return None, (ords[0][1] if ords else None)
    ids = [card_id for card_id, _ in ords]
    if after_id is not None:
        i = ids.index(after_id) if after_id in ids else -1
        if i < 0:
            raise KeyError(after_id)
        return ords[i][1], (ords[i + 1][1] if i + 1 < len(ords) else None)
    if before_id is not None:
        i = ids.index(before_id) if before_id in ids else -1
        if i < 0:
            raise KeyError(before_id)
        return (ords[i - 1][1] if i > 0 else None), ords[i][1]
    return (ords[-1][1] if ords else None), None

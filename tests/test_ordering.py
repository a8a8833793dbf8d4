"""Ord arithmetic: midpoints, the top and the end, and when to renumber."""

from __future__ import annotations

import pytest

from board.ordering import NeedsRenumber, between, neighbours, renumbered


def test_between_ends_and_middle() -> None:
    """Top, end and middle slots get ords that keep the order."""
    assert between(None, None) == 1.0
    assert between(None, 1.0) < 1.0
    assert between(3.0, None) > 3.0
    assert 1.0 < between(1.0, 2.0) < 2.0


def test_too_close_needs_renumber() -> None:
    """Neighbours closer than the float precision we keep ask for a renumber."""
    with pytest.raises(NeedsRenumber):
        between(1.0, 1.0 + 1e-12)
    with pytest.raises(NeedsRenumber):
        between(2.0, 1.0)


def test_neighbours() -> None:
    """The slot around an anchor card, the top and the end."""
    q = [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert neighbours(q, top=True) == (None, 1.0)
    assert neighbours(q, after_id=2) == (2.0, 3.0)
    assert neighbours(q, after_id=3) == (3.0, None)
    assert neighbours(q, before_id=1) == (None, 1.0)
    assert neighbours(q) == (3.0, None)
    with pytest.raises(KeyError):
        neighbours(q, after_id=9)


def test_renumbered() -> None:
    """Renumbered ords are evenly spaced."""
    assert renumbered(3) == [1.0, 2.0, 3.0]

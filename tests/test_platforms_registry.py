"""The adapter registry: every kind loads, and the board's text limits match the adapters'."""

from __future__ import annotations

import pytest

from platforms import KINDS, TEXT_LIMITS, UnknownKind, adapter_class, load_class


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_loads_with_its_text_limit(kind: str) -> None:
    """Each kind's module loads lazily, names its kind and has the limit the board shows."""
    cls = adapter_class(kind)
    assert cls.kind == kind
    assert TEXT_LIMITS[kind] == cls.text_limit


async def test_unknown_kind() -> None:
    """An unknown kind is refused with the list of known ones."""
    with pytest.raises(UnknownKind, match="telegram"):
        await load_class("myspace")

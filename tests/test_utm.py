"""UTM tagging of links."""

from __future__ import annotations

import pytest

from poster.utm import tag


@pytest.mark.parametrize(
    ("url", "setting", "expected"),
    [
        (
            "https://n.example/a",
            True,
            "https://n.example/a?utm_source=telegram&utm_medium=social&utm_campaign=metronome",
        ),
        (
            "https://n.example/a",
            None,
            "https://n.example/a?utm_source=telegram&utm_medium=social&utm_campaign=metronome",
        ),
        (
            "https://n.example/a?id=5#top",
            {"campaign": "night"},
            "https://n.example/a?id=5&utm_source=telegram&utm_medium=social&utm_campaign=night#top",
        ),
        (
            "https://n.example/a?utm_source=old&x=1",
            True,
            "https://n.example/a?x=1&utm_source=telegram&utm_medium=social&utm_campaign=metronome",
        ),
        ("https://n.example/a", False, "https://n.example/a"),
        ("mailto:desk@n.example", True, "mailto:desk@n.example"),
    ],
)
def test_tag(url: str, setting: object, expected: str) -> None:
    """Tags are added, replaced or left off as the column's utm setting says."""
    assert tag(url, "telegram", setting) == expected  # type: ignore[arg-type]

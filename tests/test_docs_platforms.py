"""docs/platforms.md keeps up with the code: every kind, its settings and secrets, the media settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from platforms import KINDS, adapter_class

DOC = (Path(__file__).parent.parent / "docs" / "platforms.md").read_text()


def section(kind: str) -> str:
    """The text under the '## … (`kind`)' heading, up to the next one."""
    match = re.search(rf"^## [^\n]*\(`{re.escape(kind)}`\)\n(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    assert match, f"docs/platforms.md has no section for kind {kind!r}"
    return match.group(1)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_and_field_is_documented(kind: str) -> None:
    """Each kind has a section naming every setting and secret its adapter reads."""
    text = section(kind)
    cls = adapter_class(kind)
    for name in (*cls.setting_keys, *cls.secret_keys):
        assert f"`{name}`" in text, f"{kind}: `{name}` is not documented"


def test_media_settings_are_documented() -> None:
    """Every media setting the store reads is in the media section's table."""
    source = (Path(__file__).parent.parent / "media" / "settings.py").read_text()
    names = set(re.findall(r'"(METRONOME_[A-Z0-9_]+)"', source))
    assert names >= {
        "METRONOME_PUBLIC_URL",
        "METRONOME_S3_BUCKET",
        "METRONOME_S3_ENDPOINT_URL",
        "METRONOME_S3_REGION",
    }
    for name in names:
        assert f"`{name}`" in DOC, f"{name} is not documented"

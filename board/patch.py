"""RFC 7386 JSON Merge Patch: apply one, and make one from two documents."""

from __future__ import annotations

from typing import Any


def merge(target: Any, patch: Any) -> Any:
    """Apply ``patch`` to ``target`` (not modified); returns the result."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def compose(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any] | None:
    """One merge patch with the effect of ``first`` then ``second``; None when merge patches
    cannot say it (``second`` merges an object into what ``first`` set to a scalar or null:
    applied at once, the old object's other keys would survive)."""
    out = dict(first)
    for key, value in second.items():
        if isinstance(value, dict) and key in out:
            before = out[key]
            if not isinstance(before, dict):
                return None
            inner = compose(before, value)
            if inner is None:
                return None
            out[key] = inner
        else:
            out[key] = value
    return out


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The smallest merge patch turning ``old`` into ``new`` (None values mean absent)."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if value is None:
            if before is not None:
                patch[key] = None
        elif isinstance(value, dict) and isinstance(before, dict):
            inner = diff(before, value)
            if inner:
                patch[key] = inner
        elif value != before or key not in old:
            patch[key] = value
    for key, before in old.items():
        if key not in new and before is not None:
            patch[key] = None
    return patch


class PatchBuilder:
    """Collects the row changes of one command and turns them into one state patch.

    Each row is remembered as first seen and as last written, so several steps of one
    command (an update, then the etas it moved) make one minimal delta per row.
    """

    def __init__(self) -> None:
        self._old: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._new: dict[tuple[str, int], dict[str, Any] | None] = {}

    def change(
        self, section: str, key: int, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """Record a row going from ``old`` to ``new`` (None: absent from the state)."""
        self._old.setdefault((section, key), old)
        self._new[(section, key)] = new

    def change_fields(
        self, section: str, key: int, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        """Record a change of some fields of a row that may already be recorded."""
        if (section, key) in self._new:
            current = self._new[(section, key)]
            if current is not None:
                self._new[(section, key)] = {**current, **new}
            return
        self._old[(section, key)] = old
        self._new[(section, key)] = new

    def build(self) -> dict[str, dict[str, Any]]:
        patch: dict[str, dict[str, Any]] = {}
        for (section, key), new in self._new.items():
            old = self._old[(section, key)]
            if new is None:
                if old is not None:
                    patch.setdefault(section, {})[str(key)] = None
                continue
            if old is None:
                delta = {k: v for k, v in new.items() if v is not None}
            else:
                delta = diff(old, new)
            if delta:
                patch.setdefault(section, {})[str(key)] = delta
        return patch

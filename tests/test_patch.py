"""RFC 7386 merge patches: apply and generate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from board.patch import PatchBuilder, compose, diff, merge

# Small JSON objects over few keys, so that patches often touch the same keys.
_keys = st.sampled_from(["a", "b", "c"])
_scalars = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "y"]))
_objects = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=3),
    lambda inner: st.dictionaries(_keys, st.one_of(_scalars, inner), max_size=3),
    max_leaves=8,
)


def test_merge_rfc_examples() -> None:
    """The examples of RFC 7386 §3."""
    assert merge({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge({"a": "b"}, {"a": None}) == {}
    assert merge({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_diff_roundtrip() -> None:
    """diff(old, new) applied to old gives new, with nested deletions."""
    old = {"a": 1, "meta": {"error": "x", "n": 1}, "gone": 2}
    new = {"a": 1, "meta": {"n": 2}, "added": [1]}
    patch = diff(old, new)
    assert patch == {"meta": {"error": None, "n": 2}, "gone": None, "added": [1]}
    assert merge(old, patch) == new


def test_builder_merges_steps_of_one_command() -> None:
    """A row changed twice in one command gives one delta from the first to the last state."""
    b = PatchBuilder()
    b.change("snippets", 1, {"id": 1, "ord": 1.0, "eta": "a"}, {"id": 1, "ord": 2.0, "eta": "a"})
    b.change_fields("snippets", 1, {"eta": "a"}, {"eta": "b"})
    b.change_fields("snippets", 2, {"eta": "a"}, {"eta": None})
    b.change("snippets", 3, {"id": 3}, None)
    assert b.build() == {"snippets": {"1": {"ord": 2.0, "eta": "b"}, "2": {"eta": None}, "3": None}}


@given(_objects, _objects, _objects)
def test_compose_is_applying_one_then_the_other(state: dict, first: dict, second: dict) -> None:
    """A composed patch does to any state what the two do in turn; when it cannot, it says so."""
    composed = compose(first, second)
    if composed is not None:
        assert merge(state, composed) == merge(merge(state, first), second)


def test_compose_refuses_what_merge_patches_cannot_say() -> None:
    """A row deleted then written anew cannot be one patch: the old row's other keys would stay."""
    assert compose({"snippets": {"1": None}}, {"snippets": {"1": {"id": 1}}}) is None
    assert compose({"snippets": {"1": {"body": "a"}}}, {"snippets": {"2": {"body": "b"}}}) == {
        "snippets": {"1": {"body": "a"}, "2": {"body": "b"}}
    }

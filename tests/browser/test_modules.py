"""The page's pure modules, run in the browser itself: merge patches and time formatting."""

from __future__ import annotations

import pytest

# RFC 7386, Appendix A: target, patch, result.
RFC_7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.fixture
async def login_page(open_page, live_server):
    page = await open_page(sign=False)
    await page.goto(live_server.url + "/login")
    return page


async def test_merge_patch_follows_rfc_7386(login_page):
    """Every example of RFC 7386's appendix gives the RFC's result."""
    results = await login_page.evaluate(
        """async (examples) => {
            const { applyMergePatch } = await import("/static/js/patch.js");
            return examples.map(([target, patch]) => applyMergePatch(structuredClone(target), patch));
        }""",
        [[target, patch] for target, patch, _ in RFC_7386_EXAMPLES],
    )
    assert results == [result for _, _, result in RFC_7386_EXAMPLES]


async def test_time_formats(login_page):
    """Relative times and intervals read the way the cards show them."""
    out = await login_page.evaluate(
        """async () => {
            const t = await import("/static/js/time.js");
            const now = Date.parse("2026-11-22T10:00:00Z");
            const at = (minutes) => new Date(now + minutes * 60000).toISOString();
            return {
                soon: t.relative(at(12), now),
                countdown: t.relative(at(0.5), now),
                minute: t.relative(at(1), now),
                now: t.relative(at(-0.5), now),
                hours: t.relative(at(65), now),
                whole: t.relative(at(120), now),
                past: t.relative(at(-3), now),
                days: t.relative(at(2 * 24 * 60), now),
                none: t.relative(null, now),
                intervals: [45, 60, 300, 3600, 5400, 7200, 9000].map(t.interval),
            };
        }"""
    )
    assert out == {
        "soon": "in 12 min",
        "countdown": "in 0:30",
        "minute": "in 1 min",
        "now": "now",
        "hours": "in 1h 5m",
        "whole": "in 2h",
        "past": "3 min ago",
        "days": "in 2 days",
        "none": "",
        "intervals": ["45 s", "1 min", "5 min", "60 min", "90 min", "2 h", "150 min"],
    }

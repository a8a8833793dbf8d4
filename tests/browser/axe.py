"""axe-core inside the browser tests: inject the vendored engine and fail on serious findings.

The engine is tests/browser/vendor/axe.min.js (its version and licence in vendor/README), put
evaluated in the page through the DevTools protocol (`page.evaluate`), so no network is
needed and the board's CSP, which refuses inline scripts (web/headers.py), stays as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# The engine, then a value for evaluate to return (the script's own last value is not JSON).
AXE_SOURCE = AXE.read_text(encoding="utf-8") + "\n;true"
# The impacts that fail a test; "moderate" and "minor" findings are reported, not failed.
FAILING = ("critical", "serious")


async def axe_violations(page: Page, context: str | None = None) -> list[dict[str, Any]]:
    """Run axe on the page (or on the element matching the selector `context`)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_SOURCE)
    result = await page.evaluate(
        """async (selector) => {
          const where = selector ? document.querySelector(selector) : document;
          const r = await axe.run(where, { resultTypes: ["violations"] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })) }));
        }""",
        context,
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


async def assert_accessible(page: Page, where: str, context: str | None = None) -> None:
    """No critical or serious axe violation on the page (or inside `context`)."""
    found = [v for v in await axe_violations(page, context) if v["impact"] in FAILING]
    assert not found, f"axe-core found on {where}:\n{describe(found)}"

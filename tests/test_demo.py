"""The demo board: `board.demo` (the empty board's button) and `metronome demo`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support import Client


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_demo_cards_go_out_within_a_minute(
    server: Any, admin: Client, viewer: Client
) -> None:
    """The demo adds log columns with cards made from sample materials; every board sees them,
    and the first card of each log column goes out at once (this server's lead is 0)."""
    made = await admin.ok("board.demo")
    assert len(made["columns"]) == 4 and len(made["materials"]) == 7
    await viewer.wait_for(lambda s: all(str(i) in s["platforms"] for i in made["columns"]))
    kinds = sorted(viewer.state["platforms"][str(i)]["kind"] for i in made["columns"])
    assert kinds == ["drafts", "log", "log", "log"]
    cards = [
        viewer.state["snippets"][str(i)]
        for i in made["cards"]
        if str(i) in viewer.state["snippets"]
    ]
    posts = [c for c in cards if c["kind"] == "post"]
    assert posts and all(
        c["body"] and c["url"].startswith("https://news.example.org/demo/") for c in posts
    )
    assert any(c["kind"] == "interval" for c in cards), "one column shows an interval card"
    logs = [i for i in made["columns"] if viewer.state["platforms"][str(i)]["kind"] == "log"]

    def first_sent(state: dict[str, Any]) -> bool:
        sent = {s["platform_id"] for s in state["snippets"].values() if s["status"] == "sent"}
        return set(logs) <= sent

    await viewer.wait_for(first_sent, timeout=10)
    assert await viewer.fails("board.demo") == "forbidden"


def test_metronome_demo_respects_the_default_lead(database_url: str, tmp_path: Path) -> None:
    """`metronome demo` fills the board through the same op; with the default settings the first
    card waits the 30 s grace, the next ones keep the column's interval."""
    env = {**os.environ, "DATABASE_URL": database_url, "METRONOME_DATA_DIR": str(tmp_path)}
    env.pop("METRONOME_MIN_LEAD_S", None)
    before = datetime.now().astimezone()
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Created the admin user" in result.stdout, "an empty database gets its admin first"
    assert "Added 4 demo columns" in result.stdout

    async def etas() -> list[tuple[str, int, datetime]]:
        import asyncpg

        db = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            rows = await db.fetch(
                "SELECT p.name, p.interval_s, s.eta FROM snippets s JOIN platforms p ON p.id = s.platform_id"
                " WHERE p.kind = 'log' AND s.kind = 'post' ORDER BY p.id, s.ord"
            )
        finally:
            await db.close()
        return [(r["name"], r["interval_s"], r["eta"]) for r in rows]

    rows = asyncio.run(etas())
    firsts = {}
    for name, interval, eta in rows:
        firsts.setdefault(name, (interval, []))[1].append(eta)
    assert len(firsts) == 3
    for interval, times in firsts.values():
        assert times[0] >= before + timedelta(seconds=29), "the first card waits the grace period"
        assert times[1] - times[0] == timedelta(seconds=interval)

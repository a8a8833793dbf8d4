"""A dead alert target (a webhook that hangs, an SMTP server that never answers) delays no
publish: a column publishing every second stays within the punctuality targets."""

from __future__ import annotations

from tests.fakes.alerting import Hook, mute_server
from tests.fakes.server import serve
from tests.support import Running
from tests.test_alerts import app, column, signed_in, until_failed

# bench/punctuality.py's targets for the lateness of a publish after its eta.
MAX_TARGET = 0.250
CARDS = 12
# Columns whose network refuses every card: a stream of failures to alert about.
FAILING = 3


async def test_dead_targets_do_not_delay_publishing(database_url: str) -> None:
    """With every alert hanging on its targets, each card reaches the network within 250 ms
    of its eta ."""
    hook = Hook(hang_alerts=True)
    async with (
        serve(hook.app()) as base,
        mute_server() as smtp_port,
        app(database_url) as running,
        signed_in(running) as admin,
    ):
        for kind, settings in (
            ("webhook", {"url": f"{base}/alerts"}),
            ("email", {"to": "desk@example.org", "host": "127.0.0.1", "port": smtp_port}),
        ):
            await admin.ok("alert.create", {"kind": kind, "name": kind, "settings": settings})
        pid = await column(admin, base, "ok")
        refusing = [await column(admin, base, "reject") for _ in range(FAILING)]
        for each in [pid, *refusing]:
            await admin.ok("platform.update", {"id": each, "interval_s": 1})
            await admin.ok("platform.pause", {"id": each})
            for i in range(CARDS):
                await admin.ok("snippet.create", {"platform_id": each, "body": f"card {i}"})
        ids = admin.queue(pid)
        for each in [pid, *refusing]:
            await admin.ok("platform.resume", {"id": each})
        alerter = running.services.extras["alerter"]
        await admin.wait_for(
            lambda s: all(s["snippets"][str(i)]["status"] == "sent" for i in ids), timeout=40
        )
        # The alerts were there all along, stuck on their targets.
        assert len(alerter.deliveries) >= 2 * (1 + FAILING)
        assert not hook.alerts
        for each in refusing:
            await until_failed(running, each, CARDS)
        lateness = await late(running, ids, hook)
        assert len(lateness) == CARDS - 1
        print(f"lateness with dead alert targets: max {max(lateness) * 1000:.1f} ms")
        assert max(lateness) < MAX_TARGET, lateness


async def late(running: Running, ids: list[int], hook: Hook) -> list[float]:
    """Each card's arrival at the network after the eta it had when taken: the previous
    card's end plus the interval (the first card, due at the resume, is left out)."""
    async with running.services.database.connect() as db:
        rows = await db.fetch(
            "SELECT id, finished_at FROM snippets WHERE id = ANY($1::int[]) ORDER BY ord", ids
        )
    arrived = {a.body["snippet_id"]: a.at for a in hook.cards}
    due = {}
    for previous, row in zip(rows, rows[1:], strict=False):
        due[row["id"]] = previous["finished_at"].timestamp() + 1
    return [arrived[i] - due[i] for i in ids[1:]]

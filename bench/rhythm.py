"""The schedule walk with a rhythm: 500 cards under a newsroom's day of rules. Target: under
2 ms a walk (issue 18).

    python bench/rhythm.py                # 9 runs of 200 walks each: ~5 seconds
    python bench/rhythm.py --runs 3       # a rough look

The column is in Europe/Riga with five rules (half-hourly by day, every 20 minutes at lunch,
hourly at night, hourly all weekend), quiet hours 02:00–06:00 and an interval card every 100
posts; its 500 cards run for about two weeks across the October daylight-saving change. Each
walk builds its calendar afresh, as every reschedule does. It prints the median and the 95th
percentile of a walk in each run, the median of the runs' medians, the same for the walk
without a rhythm (CONTRACT §4 alone), and the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from board.rhythm import parse
from board.schedule import ColumnClock, QueuedCard, plan

TARGET_MS = 2.0
SETTINGS = {
    "timezone": "Europe/Riga",
    "rhythm": [
        {"from": "07:00", "interval_s": 1800},
        {"from": "12:00", "interval_s": 1200},
        {"from": "14:00", "interval_s": 1800},
        {"from": "23:00", "interval_s": 3600},
        {"from": "00:00", "interval_s": 3600, "days": ["sat", "sun"]},
    ],
    "quiet": [{"from": "02:00", "to": "06:00"}],
}


def queue(n: int) -> list[QueuedCard]:
    return [
        QueuedCard(i, "interval", 2400) if i % 100 == 50 else QueuedCard(i, "post")
        for i in range(1, n + 1)
    ]


def run(clock: ColumnClock, cards: list[QueuedCard], now: datetime, walks: int) -> list[float]:
    """Milliseconds per walk."""
    lead = timedelta(seconds=30)
    times = []
    for _ in range(walks):
        start = time.perf_counter()
        plan(clock, cards, now, lead)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, runs: list[list[float]]) -> float:
    medians = [statistics.median(r) for r in runs]
    for i, r in enumerate(runs, 1):
        p95 = sorted(r)[int(len(r) * 0.95)]
        print(f"  {name} run {i}: median {statistics.median(r):.3f} ms, p95 {p95:.3f} ms")
    median = statistics.median(medians)
    print(f"{name}: median of {len(runs)} runs' medians {median:.3f} ms a walk")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--walks", type=int, default=200)
    parser.add_argument("--cards", type=int, default=500)
    args = parser.parse_args()
    now = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    cards = queue(args.cards)
    rhythm = ColumnClock(1800, now - timedelta(minutes=10), rhythm=parse(SETTINGS, 60))
    plain = ColumnClock(1800, now - timedelta(minutes=10))
    last = plan(rhythm, cards, now).etas[args.cards]
    print(
        f"{args.cards} cards, the last at {last:%Y-%m-%d %H:%M} UTC; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    with_rhythm = report(
        "with a rhythm", [run(rhythm, cards, now, args.walks) for _ in range(args.runs)]
    )
    report("§4 alone", [run(plain, cards, now, args.walks) for _ in range(args.runs)])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = with_rhythm < TARGET_MS
    print(f"target: under {TARGET_MS} ms a walk with a rhythm: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

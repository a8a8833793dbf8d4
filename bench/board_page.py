"""The board page in Chromium: a board of 46 columns and 2,370 cards against one of 6 columns.

Two `metronome serve`, each on a fresh database seeded with SQL: the big board (46 columns,
2,370 queued cards, ten sent cards each) and the small one (6 columns, 60 cards), the
in-run ceiling: what the same page does on the same machine when the board is small.
Each run opens each board in a new Chromium context and measures with the browser's own
instruments:

- load to painted: navigation start to the first frame painted after the full state is on
  the page (the board's `aria-busy` removed, then a frame: rAF, then a task);
- longest task: PerformanceObserver `longtask`, during the load and over the whole run;
- elements (`document.getElementsByTagName("*")`) and event listeners (CDP
  `DOMDebugger.getEventListeners` on the document, the whole tree, and on `window`);
- drag frames: a card dragged down its column with synthetic DragEvents, one `dragover` a
  frame, the column scrolling under it as Chromium's auto-scroll would; the gaps between
  rAF timestamps, p95 and max;
- live patch on screen: another client changes a visible card's text (`snippet.update`);
  from the WebSocket frame reaching the page to the frame painted after the card showed it
  (MutationObserver, then rAF and a task); median and max of 10.

    python bench/board_page.py              # 5 runs, ~2 minutes
    python bench/board_page.py --runs 1     # a rough look

Targets (issue 21), on the big board: load to painted < 1.0 s, no long task > 200 ms, drag
p95 frame < 20 ms and none > 50 ms, a live patch on screen < 16 ms. The exit code is 1 when
a median misses one. Figures are medians over the runs; each run's are on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import websockets
from _loadgen import BenchError
from fanout import login, wait_healthy
from playwright.async_api import Browser, Page, async_playwright
from punctuality import Server, database, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
# Issue 21's targets: (bound, whether the figure must stay strictly under it). "No long
# task over 200 ms" and "no frame over 50 ms" allow the bound itself; the rest are "under".
TARGETS = {
    "load_ms": (1000.0, True),
    "task_ms": (200.0, False),
    "drag_p95_ms": (20.0, True),
    "drag_max_ms": (50.0, False),
    "patch_ms": (16.0, True),
}
PATCHES = 10
DRAG_FRAMES = 150

WORDS = (
    "council budget vote tonight river flood warning mayor resigns after inquiry school "
    "strike enters second week transit fares rise hospital wait times fall market opens "
    "higher storm heads north election debate highlights court ruling on housing plan"
).split()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def body_for(column: int, card: int) -> str:
    """A card's text of 40-260 characters, different for every card."""
    n = 6 + (column * 7 + card * 13) % 34
    words = [WORDS[(column * 3 + card * 5 + i * 11) % len(WORDS)] for i in range(n)]
    return f"{' '.join(words).capitalize()} (column {column}, card {card})."


async def seed(dsn: str, columns: int, cards: int, history: int) -> None:
    """`columns` log columns (every seventh paused) holding `cards` queued cards between
    them, timed as the server's walk would (last send now, 30 min apart), and `history`
    sent cards each."""
    now = datetime.now(UTC)
    interval = 1800
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            pids = []
            for c in range(columns):
                pid = await conn.fetchval(
                    "INSERT INTO platforms (kind, name, position, interval_s, paused, last_sent_at,"
                    " settings) VALUES ('log', $1, $2, $3, $4, $5, '{}'::jsonb) RETURNING id",
                    f"Desk {c + 1:02d} · {WORDS[c % len(WORDS)].capitalize()}",
                    c + 1,
                    interval,
                    c % 7 == 6,
                    now,
                )
                pids.append(pid)
            rows: list[
                tuple[int, float, str, str, str | None, datetime | None, datetime | None]
            ] = []
            for k in range(cards):
                c = k % columns
                place = k // columns + 1
                paused = c % 7 == 6
                eta = None if paused else now + timedelta(seconds=interval * place)
                url = f"https://news.example.org/2026/12/story-{c}-{place}"
                rows.append((pids[c], float(place), "pending", body_for(c, place), url, eta, None))
            for c, pid in enumerate(pids):
                for h in range(history):
                    done = now - timedelta(seconds=interval * (h + 1))
                    rows.append((pid, float(-h), "sent", body_for(c, 1000 + h), None, None, done))
            await conn.executemany(
                "INSERT INTO snippets (platform_id, ord, kind, status, body, url, eta, finished_at)"
                " VALUES ($1, $2, 'post', $3, $4, $5, $6, $7)",
                rows,
            )
    finally:
        await conn.close()


# What the page records: long tasks from the start, and when each WebSocket frame carrying a
# marker arrived (a listener added first, so it runs before the page's own).
INIT_SCRIPT = """
window.__bench = { longtasks: [], frames: new Map() };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    this.addEventListener("open", () => { window.__bench.opened ??= performance.now(); });
    this.addEventListener("message", (event) => {
      window.__bench.first ??= performance.now();
      const m = typeof event.data === "string" && event.data.match(/@@patch-(\\d+)/);
      if (m) window.__bench.frames.set(m[1], performance.now());
    });
  }
};
const painted = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
window.__bench.painted = painted;
window.__bench.loaded = new Promise((resolve) => {
  const watch = new MutationObserver(() => {
    const board = document.getElementById("board");
    if (board && !board.hasAttribute("aria-busy")) {
      watch.disconnect();
      painted().then(() => resolve(performance.now()));
    }
  });
  watch.observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-busy"], childList: true });
});
"""

DRAG_SCRIPT = """
async (frames) => {
  const column = [...document.querySelectorAll("#board .column")].find((c) => c.querySelector(".queue [draggable='true']"));
  const body = column.querySelector(".column-body");
  const card = column.querySelector(".queue [draggable='true']");
  const box = body.getBoundingClientRect();
  const x = box.left + box.width / 2;
  const data = new DataTransfer();
  const fire = (type, target, y) => target.dispatchEvent(new DragEvent(type, {
    bubbles: true, cancelable: true, clientX: x, clientY: y, dataTransfer: data }));
  const start = performance.now();
  fire("dragstart", card, box.top + 10);
  const stamps = [];
  await new Promise((resolve) => {
    let n = 0;
    const step = (t) => {
      stamps.push(t);
      // Down the visible part, then along the bottom edge, where the column scrolls.
      const y = Math.min(box.top + 20 + n * 8, box.bottom - 12);
      if (y >= box.bottom - 12) body.scrollTop += 24;
      fire("dragover", document.elementFromPoint(x, y) ?? body, y);
      n += 1;
      if (n < frames) requestAnimationFrame(step);
      else resolve();
    };
    requestAnimationFrame(step);
  });
  card.dispatchEvent(new DragEvent("dragend", { bubbles: true, dataTransfer: data }));
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
  const tasks = window.__bench.longtasks.filter(([t]) => t >= start).map(([, d]) => d);
  return { gaps, tasks, scrolled: body.scrollTop };
}
"""

PATCH_WATCH = """
(marker) => new Promise((resolve) => {
  const watch = new MutationObserver(() => {
    const shown = [...document.querySelectorAll("#board .card-body")].some((el) => el.textContent.includes(marker));
    if (!shown) return;
    watch.disconnect();
    const seen = performance.now();
    window.__bench.painted().then(() => resolve({ seen, painted: performance.now() }));
  });
  watch.observe(document.getElementById("board"), { subtree: true, childList: true, characterData: true });
  window.__bench.watching = true;
})
"""


@dataclass
class Run:
    load_ms: float = math.nan
    state_ms: float = math.nan  # the socket open -> the full state's frame in the page
    apply_ms: float = math.nan  # that frame -> painted
    load_task_ms: float = 0.0
    task_ms: float = 0.0
    elements: int = 0
    listeners: int = 0
    drag_p95_ms: float = math.nan
    drag_max_ms: float = math.nan
    patch_ms: float = math.nan
    patch_max_ms: float = math.nan


@dataclass
class Board:
    label: str
    columns: int
    cards: int
    server: Server
    cookie: str
    runs: list[Run] = field(default_factory=list)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


async def command(board: Board, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """One command from another client (the page sees its effect as a patch)."""
    headers = {"Cookie": board.cookie, "Origin": f"http://127.0.0.1:{board.server.port}"}
    async with websockets.connect(
        f"ws://127.0.0.1:{board.server.port}/ws", additional_headers=headers, max_size=None
    ) as ws:
        await ws.send(orjson.dumps({"id": "bench", "op": op, "args": args}).decode())
        async for raw in ws:
            frame = orjson.loads(raw)
            if frame.get("type") == "reply" and frame.get("id") == "bench":
                if not frame.get("ok"):
                    raise BenchError(f"expected {op} to succeed, got {frame.get('error')}")
                return dict(frame.get("result") or {})
    raise BenchError(f"{op}: the connection closed before the reply")


async def listeners(page: Page) -> int:
    cdp = await page.context.new_cdp_session(page)
    try:
        total = 0
        for expression in ("document", "window"):
            handle = await cdp.send("Runtime.evaluate", {"expression": expression})
            object_id = handle["result"]["objectId"]
            args: dict[str, Any] = {"objectId": object_id}
            if expression == "document":
                args.update(depth=-1, pierce=True)
            found = await cdp.send("DOMDebugger.getEventListeners", args)
            total += len(found["listeners"])
        return total
    finally:
        await cdp.detach()


async def measure(browser: Browser, board: Board, run_no: int) -> Run:
    # The board's CSP refuses eval, which Playwright's wait_for_function polls with; the
    # page's own scripts run the same either way.
    context = await browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # type: ignore[arg-type]
    name, value = board.cookie.split("=", 1)
    await context.add_cookies([{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}])
    await context.add_init_script(INIT_SCRIPT)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    run = Run()
    try:
        await page.goto(f"http://127.0.0.1:{board.server.port}/")
        run.load_ms = float(await page.evaluate("window.__bench.loaded"))
        opened, first = await page.evaluate("[window.__bench.opened, window.__bench.first]")
        run.state_ms = float(first) - float(opened)
        run.apply_ms = run.load_ms - float(first)
        await page.wait_for_timeout(1000)
        run.load_task_ms = float(
            await page.evaluate(
                "(end) => Math.max(0, ...window.__bench.longtasks.filter(([t]) => t <= end)"
                ".map(([, d]) => d))",
                run.load_ms,
            )
        )
        run.elements = int(await page.evaluate("document.getElementsByTagName('*').length"))
        run.listeners = await listeners(page)
        drag = await page.evaluate(DRAG_SCRIPT, DRAG_FRAMES)
        run.drag_p95_ms = p95(drag["gaps"])
        run.drag_max_ms = max(drag["gaps"])
        await page.wait_for_timeout(300)
        # The first visible card of the first column: its text changes on the server.
        target = int(
            await page.evaluate(
                "Number(document.querySelector('#board .column .queue .card[data-snippet-id]')"
                ".dataset.snippetId)"
            )
        )
        times = []
        for i in range(PATCHES):
            marker = f"@@patch-{run_no * 100 + i}"
            snippet = await page.evaluate(f"window.metronome.store.state.snippets[{target}]")
            watching = asyncio.ensure_future(page.evaluate(PATCH_WATCH, marker))
            await page.wait_for_function("window.__bench.watching === true")
            await page.evaluate("window.__bench.watching = false")
            await command(
                board,
                "snippet.update",
                {"id": target, "version": snippet["version"], "body": f"Updated {marker} text"},
            )
            shown = await asyncio.wait_for(watching, 10)
            arrived = await page.evaluate(f"window.__bench.frames.get('{marker[8:]}')")
            times.append(float(shown["painted"]) - float(arrived))
        run.patch_ms = statistics.median(times)
        run.patch_max_ms = max(times)
        run.task_ms = float(
            await page.evaluate("Math.max(0, ...window.__bench.longtasks.map(([, d]) => d))")
        )
    finally:
        await context.close()
    if errors:
        raise BenchError(f"the page raised: {errors[:3]}")
    return run


@contextlib.asynccontextmanager
async def serving(pg: str, label: str, columns: int, cards: int) -> AsyncIterator[Board]:
    async with database(pg, label) as (dsn, url):
        await seed(dsn, columns, cards, history=10)
        with tempfile.TemporaryDirectory() as tmp:
            server = start_server(url, Path(tmp))
            try:
                await asyncio.to_thread(
                    wait_healthy, server.port, server.process, 60, server.log_path
                )
                cookie = await asyncio.to_thread(login, server.port, server.email, server.password)
                yield Board(label, columns, cards, server, cookie)
            finally:
                stop_server(server)


def median(board: Board, name: str) -> float:
    return float(statistics.median(getattr(run, name) for run in board.runs))


ROWS = [
    ("load to painted, ms", "load_ms", "load_ms", "{:.0f}"),
    ("  of which: socket open to full state, ms", "state_ms", None, "{:.0f}"),
    ("  of which: full state to painted, ms", "apply_ms", None, "{:.0f}"),
    ("longest task during load, ms", "load_task_ms", None, "{:.0f}"),
    ("longest task in the run, ms", "task_ms", "task_ms", "{:.0f}"),
    ("elements", "elements", None, "{:.0f}"),
    ("event listeners", "listeners", None, "{:.0f}"),
    ("drag frame p95, ms", "drag_p95_ms", "drag_p95_ms", "{:.1f}"),
    ("drag frame max, ms", "drag_max_ms", "drag_max_ms", "{:.1f}"),
    ("live patch on screen (median), ms", "patch_ms", "patch_ms", "{:.1f}"),
    ("live patch on screen (max), ms", "patch_max_ms", None, "{:.1f}"),
]


def report(big: Board, small: Board) -> bool:
    head = f"{big.columns} col × {big.cards:,}"
    base = f"{small.columns} col × {small.cards}"
    print(f"\nBoard page in Chromium, medians of {len(big.runs)} runs (1280×800)\n")
    print(f"{'figure':<44}{head:>18}{base:>16}{'target':>10}")
    ok = True
    for label, name, target, fmt in ROWS:
        value = median(big, name)
        bound, strict = TARGETS[target] if target else (None, True)
        missed = bound is not None and (value >= bound if strict else value > bound)
        ok = ok and not missed
        mark = " MISSED" if missed else ""
        limit = "" if bound is None else f"{'<' if strict else '≤'} {bound:g}"
        print(
            f"{label:<44}{fmt.format(value):>18}{fmt.format(median(small, name)):>16}"
            f"{limit:>10}{mark}"
        )
    return ok


async def main_async(opts: argparse.Namespace) -> bool:
    async with (
        serving(opts.pg, "page_big", 46, 2370) as big,
        serving(opts.pg, "page_small", 6, 60) as small,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            for n in range(opts.runs):
                for board in (big, small):
                    started = time.monotonic()
                    run = await measure(browser, board, n * 2 + (board is small))
                    board.runs.append(run)
                    log(
                        f"  run {n + 1} {board.label}: load {run.load_ms:.0f} ms, tasks "
                        f"{run.load_task_ms:.0f}/{run.task_ms:.0f} ms, {run.elements} elements, "
                        f"{run.listeners} listeners, drag p95 {run.drag_p95_ms:.1f} max "
                        f"{run.drag_max_ms:.1f} ms, patch {run.patch_ms:.1f} (max "
                        f"{run.patch_max_ms:.1f}) ms [{time.monotonic() - started:.0f} s]"
                    )
        finally:
            await browser.close()
    return report(big, small)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    opts = parser.parse_args()
    try:
        return 0 if asyncio.run(main_async(opts)) else 1
    except BenchError as error:
        print(f"board_page: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""A board to learn on: `board.demo` (the empty board's button) and `metronome demo`.

Three `log` columns (they publish to the server log, nowhere else) with short intervals, a
drafts inbox, sample materials and cards made from them, so a newcomer sees cards count down
and go out within a minute, and has something to drag. It runs the ordinary ops in one
transaction, so the schedule, the patches and the event log are the usual ones.
"""

from __future__ import annotations

from typing import Any

from board import cards, columns, materials
from board.args import Args
from board.context import Ctx

OP = "board.demo"

# (name, interval in seconds): short, so cards go out while the newcomer watches.
COLUMNS = (("Demo: site news", 60), ("Demo: breaking", 90), ("Demo: evening digest", 120))

STORIES = (
    (
        "Storm warning for the coast tonight",
        "Ferries are cancelled until Sunday morning.",
        "Storm warning: ferries cancelled until Sunday morning. Stay off the piers tonight.",
        "weather",
    ),
    (
        "Parliament passes the budget after a 14-hour debate",
        "The opposition walked out before the vote.",
        "After 14 hours of debate, parliament passed the budget. What changes for you:",
        "politics",
    ),
    (
        "The new museum director puts the collection online first",
        "An interview about open access.",
        "Why the city museum puts its whole collection online before the new wing opens.",
        "culture",
    ),
    (
        "Five charts that explain this winter's energy prices",
        "Gas, wind and the weather.",
        "Five charts that explain this winter's energy prices.",
        "economy",
    ),
    (
        "A late equaliser keeps the title race open",
        "Two points separate the top three.",
        "A 94th-minute equaliser keeps the title race open.",
        "sport",
    ),
    (
        "A sunny weekend ahead, up to 24 °C in the south",
        "Rain returns on Tuesday.",
        "Sun all weekend, up to 24 °C in the south. Rain returns Tuesday.",
        "weather",
    ),
    (
        "Night trams return on three lines from Monday",
        "Every 20 minutes until 2 a.m.",
        "Night trams are back on lines 3, 7 and 12 from Monday.",
        "city",
    ),
)


def material_payload(n: int, title: str, lead: str, social: str, section: str) -> dict[str, Any]:
    slug = "-".join(word.lower().strip(",.:'") for word in title.split()[:6])
    return {
        "external_id": f"demo-{n}",
        "url": f"https://news.example.org/demo/{slug}",
        "title": title,
        "lead": lead,
        "social_text": social,
        "section": section,
        "tags": ["demo"],
    }


async def fill(ctx: Ctx, args: Args) -> dict[str, Any]:
    """Make the demo columns, materials and cards; returns their ids."""
    material_ids = []
    for n, story in enumerate(STORIES, 1):
        item = materials.parse(material_payload(n, *story), partial=False)
        material_ids.append((await materials.upsert(ctx, item)).id)
    interval = max(ctx.config.min_interval_s, 60)
    column_ids, card_ids = [], []
    for index, (name, seconds) in enumerate(COLUMNS):
        created = await columns.create(
            ctx,
            Args(
                {"kind": "log", "name": name, "interval_s": max(seconds, interval), "settings": {}},
                OP,
            ),
        )
        column_ids.append(created["id"])
        for offset in range(4):
            material_id = material_ids[(index * 2 + offset) % len(material_ids)]
            card = await cards.create(
                ctx, Args({"platform_id": created["id"], "material_id": material_id}, OP)
            )
            card_ids.append(card["id"])
        if index == 0:
            # An interval card: from the third card on, this column slows down.
            marker = await cards.create_marker(
                ctx,
                Args(
                    {
                        "platform_id": created["id"],
                        "interval_s": 2 * max(seconds, interval),
                        "after_id": card_ids[-3],
                    },
                    OP,
                ),
            )
            card_ids.append(marker["id"])
    inbox = await columns.create(
        ctx, Args({"kind": "drafts", "name": "Demo: drafts", "settings": {}}, OP)
    )
    column_ids.append(inbox["id"])
    for material_id in material_ids[-2:]:
        card_ids.append(
            (
                await cards.create(
                    ctx, Args({"platform_id": inbox["id"], "material_id": material_id}, OP)
                )
            )["id"]
        )
    return {"columns": column_ids, "cards": card_ids, "materials": material_ids}

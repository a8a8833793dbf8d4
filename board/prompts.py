"""AI drafts, the pure part: what to ask for a column's network and how to read the answer.

A news tweet is not a Telegram post: each network gets its own tone (a column may set its
own in settings ``tone``) and the room its length limit leaves once the link is added.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Default tones by platform kind; a column's settings.tone replaces them.
TONES = {
    "telegram": "a Telegram channel post: informative, two or three short sentences, may open "
    "with one fitting emoji, no hashtags",
    "x": "a news tweet: the key fact first, short and punchy, at most one hashtag",
    "vk": "a VK community post: friendly and informative, two to four sentences",
    "facebook": "a Facebook Page post: conversational, one to three sentences that invite to read on",
    "instagram": "an Instagram caption: vivid, a few relevant hashtags at the end; links are not "
    "clickable there",
    "mastodon": "a Mastodon post: plain and factual, no clickbait, one or two CamelCase hashtags",
    "bluesky": "a Bluesky post: short, factual, conversational",
    "youtube": "a YouTube video description whose first line sums the video up",
}
NEUTRAL = "a neutral, factual social media post about a news story"
# Networks that count any link as a fixed length (t.co wrapping).
LINK_COST = {"x": 23}
# When a network sets no limit, drafts still should be status-sized.
DEFAULT_BUDGET = 500
MAX_TEXTS = 3


@dataclass(frozen=True)
class Source:
    """What the drafts are about."""

    title: str | None
    lead: str | None
    social_text: str | None
    body: str | None  # the card's current text, if drafting for a card
    url: str | None
    section: str | None = None


def tone(kind: str | None, settings: dict[str, object] | None) -> str:
    custom = (settings or {}).get("tone")
    if isinstance(custom, str) and custom.strip():
        return custom.strip()
    return TONES.get(kind or "", NEUTRAL)


def budget(text_limit: int | None, kind: str | None, url: str | None) -> int:
    """Characters a draft may use: the network's limit less the link and its space."""
    if text_limit is None:
        return DEFAULT_BUDGET
    if not url:
        return text_limit
    return max(40, text_limit - LINK_COST.get(kind or "", len(url)) - 1)


def messages(
    source: Source, kind: str | None, settings: dict[str, object] | None, text_limit: int | None
) -> list[dict[str, str]]:
    room = budget(text_limit, kind, source.url)
    system = (
        f"You are a newsroom's social media editor. Write {MAX_TEXTS} different versions of "
        f"{tone(kind, settings)}. Each version must be at most {room} characters. Write in the "
        "language of the material. Do not include the link: it is added to the post "
        "automatically. Do not invent facts that the material does not state. Answer with JSON "
        'only, in the form {"texts": ["…", "…", "…"]}.'
    )
    lines = [
        f"Title: {source.title}" if source.title else "",
        f"Lead: {source.lead}" if source.lead else "",
        f"The author's suggested status: {source.social_text}" if source.social_text else "",
        f"The editor's current text: {source.body}" if source.body else "",
        f"Section: {source.section}" if source.section else "",
    ]
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(line for line in lines if line) or "(no text)"},
    ]


def _candidates(content: str) -> list[str]:
    """The texts in a model's answer: JSON as asked, else a numbered or bulleted list."""
    fenced = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    match = re.search(r"[\[{].*[\]}]", fenced, re.S)
    if match:
        try:
            data = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict):
            data = (
                data.get("texts")
                or data.get("variants")
                or next((v for v in data.values() if isinstance(v, list)), None)
            )
        if isinstance(data, list):
            return [
                t if isinstance(t, str) else str(t.get("text", "")) if isinstance(t, dict) else ""
                for t in data
            ]
    parts = re.split(r"\n\s*(?:\d+[.)]|[-*•])\s+|\n{2,}", "\n" + fenced)
    return parts


def fit(text: str, room: int) -> str:
    """A text cut at a word boundary to fit ``room`` characters, with an ellipsis if cut."""
    if len(text) <= room:
        return text
    cut = text[: room - 1].rsplit(None, 1)[0] if " " in text[: room - 1] else text[: room - 1]
    return cut.rstrip(" ,;:—-") + "…"


def texts(content: str, room: int) -> list[str]:
    """Clean, fitted, distinct drafts from the answer, at most MAX_TEXTS."""
    result: list[str] = []
    for raw in _candidates(content):
        text = raw.strip()
        if len(text) >= 2 and text[0] + text[-1] in ('""', "«»", "“”"):
            text = text[1:-1].strip()  # the whole text quoted, not a quote inside it
        if not text:
            continue
        text = fit(text, room)
        if text not in result:
            result.append(text)
    return result[:MAX_TEXTS]

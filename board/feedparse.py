"""RSS 2.0, RSS 1.0 (RDF) and Atom parsed into ElementTree by defusedxml, as real feeds come.

Real feeds mix namespaces (content:, dc:, media:, yandex:), wrap HTML in CDATA, leave out
dates, use HTML entities XML does not know, and are sometimes not XML at all. Everything
here is lenient about what is optional and strict only about what makes an item: a link or
a guid to know it by. A feed comes from anywhere, so the document is parsed by defusedxml,
which refuses entity declarations (a billion laughs, an external entity that reads a local
file) before anything expands; a DOCTYPE alone, as old RSS 0.91 feeds have, is fine.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.entities import name2codepoint
from html.parser import HTMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from board.args import MAX_YEAR, MIN_YEAR

# Namespaces whose elements mean what their local name says (title, link, description…).
_ATOM = "http://www.w3.org/2005/Atom"
_RSS1 = "http://purl.org/rss/1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_CORE = {"", _ATOM, _RSS1, "http://backend.userland.com/rss2", "http://purl.org/net/rss1.1#"}
_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_MEDIA = "http://search.yahoo.com/mrss/"
# Bounds that keep one odd feed from filling the table.
MAX_ITEMS = 200
MAX_SUMMARY = 5000
MAX_TITLE = 1000
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


class FeedError(ValueError):
    """The document is not an RSS or Atom feed we can read."""


@dataclass(frozen=True)
class FeedItem:
    guid: str | None
    link: str | None
    title: str
    summary: str | None
    published_at: datetime | None
    categories: tuple[str, ...] = ()
    image_url: str | None = None
    video_url: str | None = None

    @property
    def key(self) -> str:
        """What the item is known by across polls: its guid, else its link."""
        return self.guid or self.link or ""


@dataclass(frozen=True)
class Feed:
    title: str | None
    items: list[FeedItem]


def _split(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):  # comments and processing instructions
        return "#", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain(text: str | None, limit: int = MAX_SUMMARY) -> str | None:
    """Text without HTML tags and entities, whitespace collapsed; None when empty."""
    if not text:
        return None
    if "<" in text or "&" in text:
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    text = " ".join(text.split())
    return text[:limit] or None


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, dc:date); None for anything else."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a zoneless date: UTC is the only fair guess
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00: before the start of time in UTC
        return None
    # The years board/args.py takes anywhere: at the ends of datetime's range a day of
    # arithmetic overflows.
    return parsed if MIN_YEAR <= parsed.year <= MAX_YEAR else None


def _html_entities(data: bytes) -> bytes:
    """HTML's named entities (&nbsp;, &mdash;) as numeric references XML understands."""

    def fix(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode()
        if name in _XML_ENTITIES or name not in name2codepoint:
            return match.group(0)
        return f"&#{name2codepoint[name]};".encode()

    return re.sub(rb"&([A-Za-z][A-Za-z0-9]*);", fix, data)


def _root(data: bytes) -> ET.Element:
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")  # a BOM or blank lines before <?xml
    if not data:
        raise FeedError("the answer was empty")
    try:
        return _fromstring(data)
    except ET.ParseError as first:
        try:
            return _fromstring(_html_entities(data))
        except ET.ParseError:
            raise FeedError(f"not well-formed XML ({first})") from None


def _fromstring(data: bytes) -> ET.Element:
    try:
        root: ET.Element = defused_fromstring(data)
    except DefusedXmlException:
        raise FeedError(
            "refused: the document declares XML entities (<!ENTITY …>), which a feed does not"
            " need and which can expand without bound or read local files"
        ) from None
    return root


def _text(el: ET.Element) -> str:
    """An element's text; Atom's type="xhtml" keeps its markup inside a div."""
    if el.get("type") == "xhtml":
        return " ".join("".join(el.itertext()).split())
    return (el.text or "").strip()


def _item(el: ET.Element) -> FeedItem | None:
    fields: dict[str, str] = {}
    links: list[tuple[str, str, str]] = []  # (rel, type, href)
    categories: list[str] = []
    image = video = None
    for child in el:
        ns, name = _split(child.tag)
        core = ns in _CORE
        if core and name == "link":
            href = child.get("href")
            if href:
                links.append((child.get("rel", "alternate"), child.get("type", ""), href.strip()))
            elif child.text and child.text.strip():
                links.append(("alternate", "", child.text.strip()))
        elif (
            core
            and name
            in (
                "title",
                "guid",
                "id",
                "description",
                "summary",
                "content",
                "pubDate",
                "published",
                "updated",
            )
            and name not in fields
        ):
            fields[name] = _text(child)
        elif core and name == "category":
            term = child.get("term") or child.text or ""
            if term.strip():
                categories.append(term.strip())
        elif core and name == "enclosure" and child.get("url"):
            kind = child.get("type", "")
            if kind.startswith("image/") and image is None:
                image = child.get("url")
            elif kind.startswith("video/") and video is None:
                video = child.get("url")
        elif ns == _DC and name in ("date", "subject"):
            if name == "date":
                fields.setdefault("dc_date", _text(child))
            elif child.text and child.text.strip():
                categories.append(child.text.strip())
        elif ns == _CONTENT and name == "encoded":
            fields.setdefault("encoded", child.text or "")
        elif ns == _MEDIA and name in ("content", "thumbnail") and child.get("url"):
            medium = child.get("medium") or child.get("type", "").split("/")[0] or "image"
            if medium == "video" and video is None:
                video = child.get("url")
            elif medium == "image" and image is None:
                image = child.get("url")
    for rel, kind, href in links:
        if rel == "enclosure" and kind.startswith("image/") and image is None:
            image = href
    link = next((h for r, _, h in links if r == "alternate"), None)
    guid = fields.get("guid") or fields.get("id") or el.get(f"{{{_RDF}}}about") or None
    if link is None and guid and guid.startswith(("http://", "https://")):
        link = guid  # an RSS guid with isPermaLink is the link
    if not (guid or link):
        return None
    summary = plain(
        fields.get("description")
        or fields.get("summary")
        or fields.get("content")
        or fields.get("encoded")
    )
    title = plain(fields.get("title"), MAX_TITLE) or (summary or link or guid or "")[:120]
    published = parse_date(
        fields.get("pubDate")
        or fields.get("published")
        or fields.get("dc_date")
        or fields.get("updated")
    )
    return FeedItem(
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        published_at=published,
        categories=tuple(dict.fromkeys(categories)),
        image_url=image,
        video_url=video,
    )


def parse(data: bytes) -> Feed:
    """Parse a feed document; raises FeedError for broken XML or something that is not a feed."""
    root = _root(data)
    ns, name = _split(root.tag)
    if name == "rss":
        channel = next((c for c in root if _split(c.tag)[1] == "channel"), None)
        if channel is None:
            raise FeedError("an <rss> document without a <channel>")
        container, item_name = channel, "item"
    elif name == "RDF":
        channel = next((c for c in root if _split(c.tag)[1] == "channel"), None)
        container, item_name = root, "item"  # RSS 1.0 items are the channel's siblings
    elif name == "feed" and ns == _ATOM:
        channel, container, item_name = root, root, "entry"
    else:
        raise FeedError(f"expected <rss>, <rdf:RDF> or an Atom <feed>, got <{name}>")
    title = None
    if channel is not None:
        title_el = next(
            (
                c
                for c in channel
                if _split(c.tag) in ((ns, "title"), ("", "title"), (_RSS1, "title"))
            ),
            None,
        )
        title = plain(title_el.text if title_el is not None else None, MAX_TITLE)
    items = []
    for el in container:
        if _split(el.tag)[1] == item_name:
            item = _item(el)
            if item is not None:
                items.append(item)
            if len(items) >= MAX_ITEMS:
                break
    return Feed(title=title, items=items)

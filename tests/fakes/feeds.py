"""A local feed server: real-world-shaped RSS 2.0, RSS 1.0 and Atom, with ETag/Last-Modified and 304s.

Each path serves a document the test can change; the server records what each request
asked for (its conditional headers) so a test can see the poller's manners.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Новости &amp; события</title>
  <link>https://news.example/</link>
  <atom:link href="https://news.example/rss.xml" rel="self" type="application/rss+xml"/>
  <description>Лента</description>
  {items}
</channel>
</rss>
"""

RSS_ITEM = """<item>
    <title><![CDATA[{title}]]></title>
    <link>{link}</link>
    <guid isPermaLink="false">{guid}</guid>
    <description><![CDATA[<p>{lead}&nbsp;<b>подробнее</b></p>]]></description>
    <content:encoded><![CDATA[<div>Полный текст</div>]]></content:encoded>
    <dc:creator>Редакция</dc:creator>
    <category>Политика</category>
    <media:content url="https://cdn.example/{guid}.jpg" medium="image"/>
    {date}
  </item>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Blog &lt;b&gt;news&lt;/b&gt;</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-22T09:00:00Z</updated>
  <entry>
    <title>Elections in Ohio</title>
    <link rel="alternate" type="text/html" href="https://blog.example/ohio"/>
    <link rel="enclosure" type="image/png" href="https://blog.example/ohio.png"/>
    <id>tag:blog.example,2026:ohio</id>
    <published>2026-11-22T08:30:00+02:00</published>
    <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Turnout <em>was</em> high</div></summary>
    <category term="politics"/>
  </entry>
  <entry>
    <title>Undated entry</title>
    <link href="https://blog.example/undated"/>
    <id>tag:blog.example,2026:undated</id>
    <content type="html">&lt;p&gt;No date at all&lt;/p&gt;</content>
  </entry>
</feed>
"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example/">
    <title>Old school</title>
    <link>https://old.example/</link>
  </channel>
  <item rdf:about="https://old.example/1">
    <title>RDF item</title>
    <link>https://old.example/1</link>
    <dc:date>2026-11-21T10:00:00+03:00</dc:date>
    <dc:subject>history</dc:subject>
  </item>
</rdf:RDF>
"""

BROKEN = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>
<item><title>Unclosed <link>https://broken.example/1</link></item></channel>"""

NOT_A_FEED = b"<!doctype html><html><body>Moved</body></html>"


def rss_items(count: int, *, start: int = 1, dated: bool = True, guid: str = "news") -> str:
    items = []
    for i in range(start, start + count):
        date = (
            f"<pubDate>{format_datetime(datetime(2026, 11, 22, 8, i % 60, tzinfo=UTC))}</pubDate>"
            if dated
            else ""
        )
        items.append(
            RSS_ITEM.format(
                title=f"Выборы: новость {i}",
                link=f"https://news.example/n/{i}",
                guid=f"{guid}-{i}",
                lead=f"Лид {i}",
                date=date,
            )
        )
    return "\n  ".join(items)


def rss(count: int, **kwargs: object) -> bytes:
    return RSS.replace("{items}", rss_items(count, **kwargs)).encode()  # type: ignore[arg-type]


@dataclass
class Doc:
    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    # Validators; None: the server sends none (and never answers 304).
    etag: str | None = "auto"
    last_modified: str | None = "Sun, 22 Nov 2026 09:00:00 GMT"


@dataclass
class FeedServer:
    docs: dict[str, Doc] = field(default_factory=dict)
    # (path, If-None-Match, If-Modified-Since, status) of every request, in order.
    requests: list[tuple[str, str | None, str | None, int]] = field(default_factory=list)

    def hits(self, path: str) -> list[tuple[str, str | None, str | None, int]]:
        return [r for r in self.requests if r[0] == path]

    def app(self) -> Starlette:
        async def serve(request: Request) -> Response:
            path = request.path_params["path"]
            doc = self.docs.get(path)
            match = request.headers.get("if-none-match")
            since = request.headers.get("if-modified-since")
            if doc is None:
                self.requests.append((path, match, since, 404))
                return Response("not found", status_code=404)
            etag = doc.etag
            if etag == "auto":
                etag = '"' + hashlib.sha1(doc.body).hexdigest()[:16] + '"'
            headers = {}
            if etag:
                headers["ETag"] = etag
            if doc.last_modified:
                headers["Last-Modified"] = doc.last_modified
            if doc.status == 200 and etag and match == etag:
                self.requests.append((path, match, since, 304))
                return Response(status_code=304, headers=headers)
            self.requests.append((path, match, since, doc.status))
            if doc.status != 200:
                return Response(
                    "server error", status_code=doc.status, headers={"Retry-After": "1"}
                )
            return Response(doc.body, media_type=doc.content_type, headers=headers)

        return Starlette(routes=[Route("/{path:path}", serve)])

"""The project's docs in the browser: `GET /docs/{page}` renders docs/*.md as HTML.

The column dialog links each kind to its section of docs/platforms.md (how to get the token,
what each setting means), so the guide must be where the board is, whatever the install.
Only the Markdown our docs use is understood: headings (with GitHub's anchors, so the same
links work here and on a forge), paragraphs, lists, tables, fenced code, and inline code,
emphasis, links and images.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

# The repository's docs/ (a checkout, `pip install -e`), else ./docs (the Docker image copies it).
CANDIDATES = (Path(__file__).resolve().parents[1] / "docs", Path.cwd() / "docs")
PAGE = re.compile(r"^[a-z][a-z0-9_-]*\.(md|png)$")

_INLINE = re.compile(
    r"(?P<code>`[^`]+`)|!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)|\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)"
    r"|\*\*(?P<strong>[^*]+)\*\*|(?<![\w*])\*(?P<em>[^*\s][^*]*)\*(?![\w*])"
)
_LIST = re.compile(r"^(\s*)(?:[-*]|(\d+)\.)\s+(.*)$")


def docs_dir() -> Path | None:
    return next((path for path in CANDIDATES if (path / "platforms.md").is_file()), None)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _href(target: str) -> str:
    """Links between docs stay inside /docs; the README's own paths too."""
    if target.startswith("docs/"):
        target = target.removeprefix("docs/")
    if re.match(r"^[a-z][a-z0-9_-]*\.md(#.*)?$", target):
        return "/docs/" + target
    return target


def inline(text: str) -> str:
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        last = match.end()
        if match["code"]:
            out.append(f"<code>{html.escape(match['code'][1:-1])}</code>")
        elif match["src"]:
            out.append(
                f'<img src="{html.escape(_href(match["src"]))}" alt="{html.escape(match["alt"])}">'
            )
        elif match["href"]:
            out.append(f'<a href="{html.escape(_href(match["href"]))}">{inline(match["text"])}</a>')
        elif match["strong"]:
            out.append(f"<strong>{inline(match['strong'])}</strong>")
        else:
            out.append(f"<em>{inline(match['em'])}</em>")
    out.append(html.escape(text[last:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def render(markdown: str) -> str:
    """The body HTML of one of our docs."""
    lines = markdown.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("```"):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines)
            )
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1 : end])) + "</code></pre>")
            i = end + 1
        elif match := re.match(r"^(#{1,4})\s+(.*)$", line):
            level, text = len(match[1]), match[2]
            out.append(f'<h{level} id="{slug(text)}">{inline(text)}</h{level}>')
            i += 1
        elif (
            line.startswith("|")
            and i + 1 < len(lines)
            and re.match(r"^\|[\s:|-]+\|$", lines[i + 1].strip())
        ):
            head = "".join(f"<th>{inline(c)}</th>" for c in _cells(line))
            i += 2
            body = []
            while i < len(lines) and lines[i].startswith("|"):
                body.append(
                    "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in _cells(lines[i])) + "</tr>"
                )
                i += 1
            out.append(
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            )
        elif _LIST.match(line):
            i = _list(lines, i, out)
        else:
            para = [line.strip()]
            i += 1
            while (
                i < len(lines)
                and lines[i].strip()
                and not re.match(r"^(#|```|\|)", lines[i])
                and not _LIST.match(lines[i])
            ):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(para))}</p>")
    return "\n".join(out)


def _list(lines: list[str], i: int, out: list[str]) -> int:
    """A list and its nested lists; an indented line continues the item above it."""
    first = _LIST.match(lines[i])
    assert first is not None
    indent, tag = len(first[1]), "ol" if first[2] else "ul"
    items: list[list[str]] = []
    nested: list[list[str]] = []
    while i < len(lines) and lines[i].strip():
        match = _LIST.match(lines[i])
        depth = len(lines[i]) - len(lines[i].lstrip())
        if match and depth == indent:
            items.append([match[3]])
            nested.append([])
            i += 1
        elif match and depth > indent:
            inner: list[str] = []
            i = _list(lines, i, inner)
            nested[-1].extend(inner)
        elif depth > indent and items:
            items[-1].append(lines[i].strip())
            i += 1
        else:
            break
    body = "".join(
        f"<li>{inline(' '.join(text))}{''.join(sub)}</li>"
        for text, sub in zip(items, nested, strict=True)
    )
    out.append(f"<{tag}>{body}</{tag}>")
    return i


PAGE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>{title} · Metronome</title>
<link rel="icon" href="/favicon.ico" sizes="any"><link rel="stylesheet" href="/static/css/base.css">
<link rel="stylesheet" href="/static/css/docs.css"></head>
<body class="docs-page"><nav class="docs-nav"><a href="/">← The board</a></nav><main class="docs">{body}</main></body></html>
"""


async def page(request: Request) -> Response:
    from web.routes import current_actor

    if await current_actor(request) is None:
        return RedirectResponse("/login", status_code=303)
    name = request.path_params["name"]
    root = docs_dir()
    if not PAGE.match(name) or root is None or not (root / name).is_file():
        return HTMLResponse(
            "<!doctype html><title>Not found</title><p>No such page in the docs.</p>",
            status_code=404,
        )
    if name.endswith(".png"):
        return FileResponse(root / name, headers={"Cache-Control": "max-age=3600"})
    text = (root / name).read_text()
    title = next(
        (line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), name
    )
    return HTMLResponse(
        PAGE_HTML.format(title=html.escape(title), body=render(text)),
        headers={"Cache-Control": "no-cache"},
    )

"""The page's words: every language's table has exactly the English keys and signatures, every
language the page offers has a table, and no module outside the tables hard-codes a word.

The JavaScript is read by a small tokenizer (strings, templates, comments, regular
expressions) and a parser of object literals: enough for the tables and for the calls and
assignments that put text on the page, with no JavaScript engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest

from board.errors import BadRequest, Conflict
from ws.protocol import reply_error

JS = Path(__file__).resolve().parent.parent / "web" / "static" / "js"
STATIC = JS.parent

PUNCT = ("...", "=>", "===", "!==", "==", "!=", "&&", "||", "??", "?.", "<=", ">=", "+=", "-=")
# After these a "/" starts a regular expression, not a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"=>", "&&", "||", "??", "===", "!==", "==", "!="}
REGEX_KEYWORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void"}


@dataclass
class Token:
    kind: str  # "str" (a string or a template: text is its literal parts), "id", "num", "punct"
    text: str
    line: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)

    def line_at(pos: int) -> int:
        return source.count("\n", 0, pos) + 1

    def string_end(start: int, quote: str) -> int:
        j = start + 1
        while source[j] != quote:
            j += 2 if source[j] == "\\" else 1
        return j + 1

    def template_end(start: int) -> tuple[int, str]:
        """The end of a template from its backtick, and its literal parts joined by spaces."""
        j, parts, part = start + 1, [], []
        while source[j] != "`":
            if source[j] == "\\":
                part.append(source[j : j + 2])
                j += 2
            elif source.startswith("${", j):
                parts.append("".join(part))
                part = []
                j = expression_end(j + 2)
            else:
                part.append(source[j])
                j += 1
        parts.append("".join(part))
        return j + 1, " ".join(parts)

    def expression_end(j: int) -> int:
        """From inside ${, the position after its closing brace."""
        depth = 1
        while True:
            c = source[j]
            if c in "\"'":
                j = string_end(j, c)
            elif c == "`":
                j, _ = template_end(j)
            elif c == "{":
                depth, j = depth + 1, j + 1
            elif c == "}":
                depth, j = depth - 1, j + 1
                if depth == 0:
                    return j
            else:
                j += 1

    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
        elif source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else n
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif c in "\"'":
            end = string_end(i, c)
            tokens.append(Token("str", source[i + 1 : end - 1], line_at(i)))
            i = end
        elif c == "`":
            end, text = template_end(i)
            tokens.append(Token("str", text, line_at(i)))
            i = end
        elif c == "/" and (
            not tokens
            or (tokens[-1].kind == "punct" and tokens[-1].text in REGEX_AFTER)
            or (tokens[-1].kind == "id" and tokens[-1].text in REGEX_KEYWORDS)
        ):
            j, in_class = i + 1, False
            while in_class or source[j] != "/":
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            j += 1
            while j < n and source[j].isalpha():
                j += 1
            tokens.append(Token("regex", source[i:j], line_at(i)))
            i = j
        elif c.isalpha() or c in "_$":
            m = re.compile(r"[\w$]+").match(source, i)
            assert m
            tokens.append(Token("id", m.group(), line_at(i)))
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"[\d_.xXa-fA-FeEn]+").match(source, i)
            assert m
            tokens.append(Token("num", m.group(), line_at(i)))
            i = m.end()
        else:
            op = next((p for p in PUNCT if source.startswith(p, i)), c)
            tokens.append(Token("punct", op, line_at(i)))
            i += len(op)
    return tokens


@dataclass
class Fn:
    params: tuple[str, ...]


@dataclass
class Leaf:
    kind: str  # "str" or "expr"


OPEN = {"(": ")", "[": "]", "{": "}"}


class TableParser:
    """Object literals as trees: dict (keys → values), list, Fn (its parameters), Leaf."""

    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens

    def is_(self, i: int, text: str) -> bool:
        return i < len(self.t) and self.t[i].kind in ("punct", "id") and self.t[i].text == text

    def skip_balanced(self, i: int) -> int:
        """From an opening bracket, the position after its match."""
        depth = 0
        while True:
            tok = self.t[i]
            if tok.kind == "punct" and tok.text in OPEN:
                depth += 1
            elif tok.kind == "punct" and tok.text in OPEN.values():
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1

    def skip_expression(self, i: int) -> int:
        """To the comma or closing bracket that ends an expression."""
        while True:
            tok = self.t[i]
            if tok.kind == "punct" and tok.text in OPEN:
                i = self.skip_balanced(i)
            elif tok.kind == "punct" and (tok.text == "," or tok.text in OPEN.values()):
                return i
            else:
                i += 1

    def params(self, i: int) -> tuple[tuple[str, ...], int]:
        """From "(", the parameter names and the position after ")"."""
        end = self.skip_balanced(i)
        names, j = [], i + 1
        while j < end - 1:
            tok = self.t[j]
            if tok.kind == "punct" and tok.text in ("{", "["):
                k = self.skip_balanced(j)
                names.append("".join(t.text for t in self.t[j:k]))
                j = k
            else:
                if tok.kind == "id":
                    names.append(tok.text)
                j = self.skip_expression(j) + 1
        return tuple(names), end

    def value(self, i: int) -> tuple[Any, int]:
        tok = self.t[i]
        if self.is_(i, "{"):
            return self.object(i)
        if self.is_(i, "["):
            items, j = [], i + 1
            while not self.is_(j, "]"):
                item, j = self.value(j)
                items.append(item)
                if self.is_(j, ","):
                    j += 1
            return items, j + 1
        if self.is_(i, "("):
            close = self.skip_balanced(i)
            if self.is_(close, "=>"):
                names, _ = self.params(i)
                return Fn(names), self.skip_expression(close + 1)
        if tok.kind == "id" and self.is_(i + 1, "=>"):
            return Fn((tok.text,)), self.skip_expression(i + 2)
        if self.is_(i, "function"):
            j = i + 1 if self.is_(i + 1, "(") else i + 2
            names, _ = self.params(j)
            return Fn(names), self.skip_expression(j)
        end = self.skip_expression(i)
        return Leaf("str" if end == i + 1 and tok.kind == "str" else "expr"), end

    def object(self, i: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        j = i + 1
        while not self.is_(j, "}"):
            tok = self.t[j]
            if self.is_(j, "..."):
                out[f"...{self.t[j + 1].text}"] = Leaf("expr")
                j = self.skip_expression(j)
            else:
                key = tok.text
                if self.is_(j + 1, ":"):
                    out[key], j = self.value(j + 2)
                elif self.is_(j + 1, "("):  # a method: name(args) { … }
                    names, body = self.params(j + 1)
                    out[key], j = Fn(names), self.skip_balanced(body)
                else:  # shorthand {name}
                    out[key], j = Leaf("expr"), j + 1
            if self.is_(j, ","):
                j += 1
        return out, j + 1


def table(path: Path, name: str) -> dict[str, Any]:
    """The object literal assigned to `name` in the module at `path`."""
    tokens = tokenize(path.read_text(encoding="utf-8"))
    parser = TableParser(tokens)
    for i, tok in enumerate(tokens):
        if tok.text == name and parser.is_(i + 1, "=") and parser.is_(i + 2, "{"):
            return parser.object(i + 2)[0]
    raise AssertionError(f"{path.name} has no `{name} = {{…}}`")


def differences(en: Any, other: Any, path: str = "M") -> list[str]:
    """Where `other` does not have the shape of `en`: keys, kinds of value, parameters."""
    if isinstance(en, dict):
        if not isinstance(other, dict):
            return [f"{path}: expected an object"]
        out = [f"{path}.{key}: missing" for key in en if key not in other]
        out += [f"{path}.{key}: not in English" for key in other if key not in en]
        for key in en.keys() & other.keys():
            out += differences(en[key], other[key], f"{path}.{key}")
        return out
    if isinstance(en, list):
        if not isinstance(other, list) or len(other) != len(en):
            return [f"{path}: expected a list of {len(en)}"]
        return [
            d
            for k, (a, b) in enumerate(zip(en, other, strict=True))
            for d in differences(a, b, f"{path}[{k}]")
        ]
    if isinstance(en, Fn):
        if not isinstance(other, Fn):
            return [f"{path}: expected a function{en.params}"]
        if other.params != en.params:
            return [f"{path}: parameters {other.params}, English has {en.params}"]
        return []
    if isinstance(other, (dict, list, Fn)):
        return [f"{path}: expected a plain value"]
    return []


def languages() -> list[str]:
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    block = re.search(r"export const LANGUAGES = \{(.*?)\};", source, re.S)
    assert block, "i18n.js has no LANGUAGES"
    return re.findall(r"^\s*(\w+):", block.group(1), re.M)


def test_the_parser_reads_shapes() -> None:
    """The parser tells functions, their parameters, nested tables and lists apart."""
    source = 'const T = { a: "x", b: (n, {p}) => `${n} y`, c: { d: x => x }, e: [["k", "v"]], f(z) { return 1; } };'
    tokens = tokenize(source)
    parsed = TableParser(tokens).object(3)[0]
    assert parsed["a"] == Leaf("str")
    assert parsed["b"] == Fn(("n", "{p}"))
    assert parsed["c"] == {"d": Fn(("x",))}
    assert parsed["e"] == [[Leaf("str"), Leaf("str")]]
    assert parsed["f"] == Fn(("z",))
    assert differences(parsed, {**parsed, "b": Fn(("n",))}) == [
        "M.b: parameters ('n',), English has ('n', '{p}')"
    ]


def test_every_language_has_a_table() -> None:
    """Each language i18n.js offers has js/messages.<code>.js, and messages.js uses it."""
    codes = languages()
    assert codes[0] == "en" and len(codes) >= 2
    messages = (JS / "messages.js").read_text(encoding="utf-8")
    for code in codes[1:]:
        assert (JS / f"messages.{code}.js").exists(), f"no messages.{code}.js"
        assert re.search(rf"\b{code}: {code.upper()}\b", messages), (
            f"messages.js TABLES lacks {code}"
        )


@pytest.mark.parametrize("code", [c for c in languages() if c != "en"])
def test_a_table_has_exactly_the_english_keys(code: str) -> None:
    """Same keys at every level, same kind of value, same parameters for every function."""
    english = table(JS / "messages.js", "EN")
    other = table(JS / f"messages.{code}.js", code.upper())
    problems = differences(english, other)
    assert not problems, f"messages.{code}.js differs from English:\n" + "\n".join(problems)


# A word: two letters or more of any script (units like "h" alone are caught inside templates).
WORD = re.compile(r"[^\W\d_]{2,}")
# What is not prose: a URL, a path, an address, a handle, an identifier-like value.
MACHINE = re.compile(r"^(?:\w+:|/|#|@|\.)|://|^[\w.+-]+@[\w.-]+$|^[\w-]+(\.[\w-]+)+$")
TEXT_PROPS = {"textContent", "innerText", "title", "placeholder", "ariaLabel", "alt", "label"}
TEXT_KEYS = TEXT_PROPS | {
    "aria-label",
    "message",
    "confirm",
    "help",
    "hint",
    "intro",
    "text",
    "okLabel",
    "cancelLabel",
}
TEXT_ATTRS = {"title", "aria-label", "placeholder", "alt", "aria-description"}
# Calls whose string arguments land on the page: (first such argument, how many; None: all).
CHILD_CALLS = {
    "h": (2, None),
    "setText": (1, 1),
    "toast": (0, 1),
    "errorToast": (0, 1),
    "iconButton": (1, 1),
}


def prose(tok: Token) -> bool:
    text = tok.text.strip()
    return tok.kind == "str" and bool(WORD.search(text)) and not MACHINE.search(text)


def hard_coded(path: Path) -> list[str]:
    """User-visible strings written in the module itself, as "file:line: text"."""
    tokens = tokenize(path.read_text(encoding="utf-8"))
    parser = TableParser(tokens)
    found: set[tuple[int, str]] = set()

    def flag(tok: Token) -> None:
        if prose(tok):
            found.add((tok.line, tok.text))

    for i, tok in enumerate(tokens):
        nxt = tokens[i + 2] if i + 2 < len(tokens) else None
        if nxt is None:
            break
        following = tokens[i + 1]
        # el.textContent = "…", el.title = `…`
        if (
            tok.kind == "id"
            and tok.text in TEXT_PROPS
            and following.text == "="
            and i
            and tokens[i - 1].text == "."
        ):
            flag(nxt)
        # { title: "…", "aria-label": "…" }; a placeholder of one token is an example value
        if tok.kind in ("id", "str") and tok.text in TEXT_KEYS and following.text == ":":
            if not (
                tok.text == "placeholder" and nxt.kind == "str" and not re.search(r"\s", nxt.text)
            ):
                flag(nxt)
        # setAttr(el, "title", "…")
        if tok.text in ("setAttr", "setAttribute") and following.text == "(":
            args = call_args(parser, i + 1)
            first = 1 if tok.text == "setAttr" else 0  # setAttr(el, name, value)
            if len(args) > first + 1 and tokens[args[first]].text in TEXT_ATTRS:
                flag(tokens[args[first + 1]])
        # h("p", {…}, "…", `…`), setText(el, "…"), toast("…")
        if (
            tok.kind == "id"
            and tok.text in CHILD_CALLS
            and following.text == "("
            and tokens[i - 1].text != "."
        ):
            first, many = CHILD_CALLS[tok.text]
            args = call_args(parser, i + 1)[first:]
            for start in args[:many] if many else args:
                flag(tokens[start])
                # A conditional child: cond ? "…" : "…"
                end, k = parser.skip_expression(start), start
                while k < end:
                    if tokens[k].kind == "punct" and tokens[k].text in OPEN:
                        k = parser.skip_balanced(k)
                        continue
                    if tokens[k].text in ("?", ":", "??", "||") and k + 1 < end:
                        flag(tokens[k + 1])
                    k += 1
    return [f"{path.name}:{line}: {text!r}" for line, text in sorted(found)]


def call_args(parser: TableParser, open_at: int) -> list[int]:
    """The token positions where each argument of the call opening at `open_at` starts."""
    starts, j = [], open_at + 1
    while not parser.is_(j, ")"):
        starts.append(j)
        j = parser.skip_expression(j)
        if parser.is_(j, ","):
            j += 1
    return starts


def test_the_heuristic_finds_hard_coded_words() -> None:
    """It catches text in DOM helpers, assignments and attribute maps, and lets markup be."""
    sample = JS.parent / "sample.js"
    source = """
        el.textContent = "Loading";
        const b = h("button", { class: "btn", title: `Open ${name}` }, "Save", n ? "one" : "many");
        setAttr(el, "aria-label", 'Close it');
        el.setAttribute("title", "Hello there");
        h("a", { href: "https://example.org/x", placeholder: "@channel" }, M.ok, `${a} · ${b}`);
        const re = /"not a string"/g;
    """
    try:
        sample.write_text(source, encoding="utf-8")
        found = hard_coded(sample)
    finally:
        sample.unlink()
    assert [entry.split(": ", 1)[1] for entry in found] == [
        "'Loading'",
        "'Open  '",
        "'Save'",
        "'many'",
        "'one'",
        "'Close it'",
        "'Hello there'",
    ]


def test_no_module_hard_codes_words() -> None:
    """Text on the page comes from the tables (js/messages*.js), never from a module."""
    modules = [p for p in sorted(JS.glob("*.js")) if not p.name.startswith("messages")]
    found = [entry for path in modules for entry in hard_coded(path)]
    assert not found, "words outside js/messages.js:\n" + "\n".join(found)


class _Texts(HTMLParser):
    """Words between tags, and labelling attributes, not bound to a key of the table."""

    VOID = {"meta", "link", "img", "input", "br"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.unbound: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for attr in TEXT_ATTRS:
            if WORD.search(found.get(attr) or "") and f"data-m-{attr}" not in found:
                self.unbound.append(f"<{tag} {attr}={found[attr]!r}>")
        if tag not in self.VOID:
            self.stack.append({**found, "tag": tag})

    def handle_endtag(self, tag: str) -> None:
        if any(item["tag"] == tag for item in self.stack):
            while self.stack.pop()["tag"] != tag:
                pass

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not WORD.search(text) or text == "Metronome":  # the product's name is not translated
            return
        if not self.stack or "data-m" not in self.stack[-1]:
            where = self.stack[-1]["tag"] if self.stack else "document"
            self.unbound.append(f"<{where}> {text!r}")


@pytest.mark.parametrize("page", ["index.html", "login.html"])
def test_static_pages_are_translated(page: str) -> None:
    """Every text and labelling attribute of the HTML pages is bound to a key of the table."""
    html = (STATIC / page).read_text(encoding="utf-8")
    english = table(JS / "messages.js", "EN")
    for key in re.findall(r'data-m(?:-[a-z-]+)?="([\w.]+)"', html):
        value: Any = english
        for part in key.split("."):
            assert isinstance(value, dict) and part in value, f"{page}: no key {key} in messages.js"
            value = value[part]
        assert isinstance(value, Leaf) and value.kind == "str", (
            f"{page}: {key} is not a plain string"
        )
    texts = _Texts()
    texts.feed(html)
    assert not texts.unbound, f"{page}: words not bound to a key:\n" + "\n".join(texts.unbound)


def test_error_replies_keep_code_and_message_and_add_reason() -> None:
    """A refusal's reply: CONTRACT §3's code and message, then field, reason and params."""
    exc = BadRequest("op: too small", field="interval_s", reason="too_small", params={"min": 60})
    reply = orjson.loads(reply_error("7", exc.code, exc.message, None, exc.extra()))
    assert reply["error"] == {
        "code": "bad_request",
        "message": "op: too small",
        "field": "interval_s",
        "reason": "too_small",
        "params": {"min": 60},
    }
    stale = Conflict("op: stale", reason="stale_version", params={"by": "a@x"}, version=4)
    reply = orjson.loads(reply_error("8", stale.code, stale.message, stale.details, stale.extra()))
    assert reply["error"] == {
        "code": "conflict",
        "message": "op: stale",
        "reason": "stale_version",
        "params": {"by": "a@x"},
        "details": {"version": 4},
    }
    assert BadRequest("plain").extra() == {}


def test_every_reason_the_server_gives_has_words() -> None:
    """Each `reason=` raised in board/ and ws/ is in the English table's errorReasons."""
    root = JS.parents[2]
    sources = [*(root / "board").glob("*.py"), *(root / "ws").glob("*.py")]
    given = {
        reason
        for path in sources
        for reason in re.findall(r"""["']?reason["']?\s*[=:]\s*["'](\w+)["']""", path.read_text())
    }
    assert {"too_small", "stale_version", "too_fast"} <= given
    english = table(JS / "messages.js", "EN")["errorReasons"]
    known = {key.rsplit(".", 1)[-1] for key in english}
    assert not given - known, f"reasons without words in messages.js: {sorted(given - known)}"

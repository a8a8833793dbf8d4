"""Materials from the CMS over HTTP, live patches, linked cards, the drafts inbox and duplicate links."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from board import materials
from tests import db
from tests.support import Client, make_token, make_user


async def token_for(server: Any, role: str = "editor") -> str:
    return await make_token(server.database_url, await make_user(server.database_url, role))


async def post(server: Any, token: str, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(
            "/api/materials", json=body, headers={"Authorization": f"Bearer {token}"}
        )


async def column(client: Client, kind: str = "log", **settings: Any) -> int:
    """A paused column: its cards wait in the queue instead of going out to the log."""
    result = await client.ok(
        "platform.create", {"kind": kind, "name": kind, "interval_s": 600, "settings": settings}
    )
    await client.ok("platform.pause", {"id": result["id"]})
    return int(result["id"])


async def sql(server: Any, statement: str, *params: Any) -> None:
    async with db.connect(server.database_url) as conn:
        await conn.execute(statement, *params)


ARTICLE = {
    "external_id": "cms-1",
    "url": "https://news.example/a/1",
    "title": "Итоги выборов",
    "lead": "Подсчёт голосов завершён",
    "social_text": "Выборы: итоги",
    "section": "politics",
    "tags": ["выборы", "регионы"],
    "image_url": "https://cdn.example/1.jpg",
    "published_at": "2026-11-22T09:00:00Z",
}


async def test_upsert_creates_then_updates(server: Any, admin: Client) -> None:
    """The first POST creates (201) and a board sees it; a second with the same external_id updates (200)."""
    token = await token_for(server)
    first = await post(server, token, ARTICLE)
    assert first.status_code == 201, first.text
    mid = first.json()["id"]
    item = await admin.wait_for(lambda s: s.get("materials", {}).get(str(mid)))
    assert item["title"] == "Итоги выборов" and item["tags"] == ["выборы", "регионы"]
    assert item["published_at"] == "2026-11-22T09:00:00.000Z"
    second = await post(
        server, token, {"external_id": "cms-1", "title": "Итоги выборов: обновлено"}
    )
    assert second.status_code == 200 and second.json()["changed"] == ["title"]
    await admin.wait_for(lambda s: s["materials"][str(mid)]["title"].endswith("обновлено"))
    assert admin.state["materials"][str(mid)]["lead"] == "Подсчёт голосов завершён"
    same = await post(server, token, {"external_id": "cms-1", "title": "Итоги выборов: обновлено"})
    assert same.json()["changed"] == [] and same.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://x.example/1", "title": "t"}, "external_id"),
        ({"external_id": "n", "title": "t"}, "url"),
        ({"external_id": "n", "url": "ftp://x.example/1", "title": "t"}, "url"),
        ({"external_id": "n", "url": "https://x.example/1"}, "title"),
        ({**ARTICLE, "tags": "politics"}, "tags"),
        ({**ARTICLE, "published_at": "2026-11-22 09:00"}, "published_at"),
        ({**ARTICLE, "image_url": "not a url"}, "image_url"),
        ({**ARTICLE, "titel": "typo"}, "titel"),
        ([ARTICLE, {**ARTICLE, "external_id": "cms-2", "lead": 5}], "[1].lead"),
        ("just a string", "body"),
    ],
)
async def test_bad_payload_is_422_naming_the_field(server: Any, body: Any, field: str) -> None:
    """A bad payload gets a 422 whose error names the offending field; nothing is stored."""
    response = await post(server, await token_for(server), body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert field in response.json()["error"]["message"]


async def test_auth_and_roles(server: Any) -> None:
    """No credentials is 401, a viewer's token is 403, a session cookie works like a token."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/api/materials", json=ARTICLE)).status_code == 401
        assert (await http.get("/api/materials?q=x")).status_code == 401
    assert (await post(server, await token_for(server, "viewer"), ARTICLE)).status_code == 403


async def test_batch_upsert(server: Any) -> None:
    """An array upserts every material in one transaction and answers with each result."""
    body = [
        {**ARTICLE, "external_id": f"b-{i}", "url": f"https://news.example/b/{i}"} for i in range(3)
    ]
    response = await post(server, await token_for(server), body)
    assert response.status_code == 200
    assert [r["created"] for r in response.json()["items"]] == [True, True, True]


async def test_url_change_moves_pending_cards_only(server: Any, admin: Client) -> None:
    """A new material URL reaches pending cards that carried the old one; their text and hand-set links stay."""
    token = await token_for(server)
    mid = (await post(server, token, ARTICLE)).json()["id"]
    pid = await column(admin)
    following = (await admin.ok("snippet.create", {"platform_id": pid, "material_id": mid}))["id"]
    card = await admin.wait_for(lambda s: s["snippets"].get(str(following)))
    assert card["body"] == "Выборы: итоги" and card["url"] == ARTICLE["url"]
    await admin.ok(
        "snippet.update", {"id": following, "version": card["version"], "body": "my text"}
    )
    own = (
        await admin.ok(
            "snippet.create",
            {"platform_id": pid, "material_id": mid, "url": "https://elsewhere.example/x"},
        )
    )["id"]
    sent = (await admin.ok("snippet.create", {"platform_id": pid, "material_id": mid}))["id"]
    await sql(
        server, "UPDATE snippets SET status = 'sent', finished_at = now() WHERE id = $1", sent
    )
    response = await post(
        server, token, {"external_id": "cms-1", "url": "https://news.example/a/1-new"}
    )
    assert response.json()["cards"] == [following]
    moved = await admin.wait_for(
        lambda s: (
            s["snippets"][str(following)]["url"].endswith("1-new") and s["snippets"][str(following)]
        )
    )
    assert moved["body"] == "my text"
    assert admin.card(own)["url"] == "https://elsewhere.example/x"


async def test_new_material_can_drop_into_drafts(server: Any, admin: Client) -> None:
    """drafts_platform_id puts a new material's card on top of a drafts inbox; a non-inbox column is a 422."""
    inbox = await column(admin, "drafts")
    network = await column(admin)
    token = await token_for(server)
    response = await post(server, token, {**ARTICLE, "drafts_platform_id": inbox})
    (card_id,) = response.json()["drafts"]
    card = await admin.wait_for(lambda s: s["snippets"].get(str(card_id)))
    assert card["platform_id"] == inbox and card["body"] == "Выборы: итоги" and "eta" not in card
    bad = await post(
        server, token, {**ARTICLE, "external_id": "cms-9", "drafts_platform_id": network}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "drafts_platform_id"


async def test_duplicate_link_is_flagged_not_refused(server: Any, admin: Client) -> None:
    """A link already queued or sent on a column is flagged on the new card and in the reply."""
    pid = await column(admin)
    other = await column(admin)
    url = "https://news.example/dup"
    first = await admin.ok("snippet.create", {"platform_id": pid, "body": "one", "url": url})
    assert "warning" not in first
    second = await admin.ok("snippet.create", {"platform_id": pid, "body": "two", "url": url})
    assert second["duplicate"] == {"snippet_id": first["id"], "status": "pending"}
    assert second["warning"] == "this link is already queued on this column: “one”", (
        "named by its text, not its id"
    )
    card = await admin.wait_for(lambda s: s["snippets"].get(str(second["id"])))
    assert card["meta"]["duplicate"] == {"snippet_id": first["id"], "status": "pending"}
    elsewhere = await admin.ok(
        "snippet.create", {"platform_id": other, "body": "three", "url": url}
    )
    assert "warning" not in elsewhere
    await sql(
        server,
        "UPDATE snippets SET status = 'sent', finished_at = now() WHERE id = $1",
        first["id"],
    )
    moved = await admin.ok("snippet.move", {"id": elsewhere["id"], "platform_id": pid})
    assert moved["duplicate"]["status"] in ("sent", "pending") and "warning" in moved
    back = await admin.ok("snippet.move", {"id": elsewhere["id"], "platform_id": other})
    assert "warning" not in back
    await admin.wait_for(
        lambda s: "duplicate" not in s["snippets"][str(elsewhere["id"])].get("meta", {})
    )


async def test_duplicate_window_setting(server: Any, admin: Client) -> None:
    """A link sent longer ago than duplicate_window_h is not a duplicate; 0 turns the check off."""
    pid = await column(admin, duplicate_window_h=2)
    url = "https://news.example/old"
    old = (await admin.ok("snippet.create", {"platform_id": pid, "body": "old", "url": url}))["id"]
    await sql(
        server,
        "UPDATE snippets SET status = 'sent', finished_at = now() - interval '3 hours' "
        "WHERE id = $1",
        old,
    )
    assert "warning" not in await admin.ok(
        "snippet.create", {"platform_id": pid, "body": "x", "url": url}
    )
    off = await column(admin, duplicate_window_h=0)
    await admin.ok("snippet.create", {"platform_id": off, "body": "a", "url": url})
    assert "warning" not in await admin.ok(
        "snippet.create", {"platform_id": off, "body": "b", "url": url}
    )


def test_parse_keeps_only_named_fields() -> None:
    """A partial payload changes only the fields it names; null clears an optional one."""
    item = materials.parse({"external_id": 7, "lead": None, "tags": [" a ", "a", "b"]})
    assert item.external_id == "7" and item.values == {"lead": None, "tags": ["a", "b"]}
    with pytest.raises(materials.Invalid) as exc:
        materials.parse({"external_id": "x", "lead": None}, partial=False)
    assert exc.value.field == "url"

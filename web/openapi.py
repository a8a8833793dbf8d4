"""GET /api/openapi.json: the HTTP API described in OpenAPI 3.0, written here by hand.

By hand because the routes read their parameters themselves (board/args.py at the edge),
with nothing a generator could read. tests/test_openapi.py holds it to the app: every
route the app serves (but the pages, static files and the WebSocket) is described, and
nothing else; tests/test_fuzz_http.py fuzzes each operation from it (schemathesis).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from board import history, search
from board.args import INT4_MAX
from board.materials import LIMITS, MAX_TAG, MAX_TAGS, MAX_URL
from web.routes import current_actor, json_error

PATH = "/api/openapi.json"
# Routes that are not the API: pages for people, static files, this description, the
# WebSocket (described in CONTRACT.md §3, not an HTTP operation).
NOT_DESCRIBED = ("/", "/login", "/favicon.ico", "/static", "/ws")

_ID = {"type": "integer", "minimum": 1, "maximum": INT4_MAX}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


_SIGNED_IN = {
    "400": _error("a parameter is not what the route expects (error.field names it)"),
    "401": _error("not signed in"),
}

_MATERIAL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id"],
    "properties": {
        "external_id": {"type": "string", "minLength": 1, "maxLength": LIMITS["external_id"]},
        "url": {"type": "string", "format": "uri", "maxLength": MAX_URL},
        "title": {"type": "string", "minLength": 1, "maxLength": LIMITS["title"]},
        "lead": {"type": "string", "maxLength": LIMITS["lead"], "nullable": True},
        "social_text": {"type": "string", "maxLength": LIMITS["social_text"], "nullable": True},
        "section": {"type": "string", "maxLength": LIMITS["section"], "nullable": True},
        "image_url": {"type": "string", "format": "uri", "maxLength": MAX_URL, "nullable": True},
        "video_url": {"type": "string", "format": "uri", "maxLength": MAX_URL, "nullable": True},
        "tags": {
            "type": "array",
            "maxItems": MAX_TAGS,
            "items": {"type": "string", "maxLength": MAX_TAG},
            "nullable": True,
        },
        "published_at": {"type": "string", "format": "date-time", "nullable": True},
        "drafts_platform_id": {**_ID, "nullable": True},
    },
}


def describe() -> dict[str, Any]:
    """The description (a new dict each call)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Metronome",
            "version": "1",
            "description": "The HTTP side of CONTRACT.md §2; the WebSocket is §3.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "metronome_session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        }
                    },
                },
                "Material": _MATERIAL,
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/login": {
                "post": {
                    "summary": "Sign in: a session cookie",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["email", "password"],
                                    "properties": {
                                        "email": {"type": "string"},
                                        "password": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("signed in; the cookie is set"),
                        "400": _error("not a JSON body with string email and password"),
                        "401": _error("wrong e-mail or password"),
                        "403": _error("an origin that may not sign in here"),
                        "429": _error("too many failed sign-ins (web/throttle.py)"),
                    },
                }
            },
            "/api/logout": {
                "post": {
                    "summary": "End the session",
                    "responses": {"200": _json("signed out"), "403": _error("cross-origin")},
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Is the database reachable",
                    "security": [],
                    "responses": {
                        "200": _json("ok"),
                        "503": _json("the database is unreachable"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus text format",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "metrics",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/api/state": {
                "get": {
                    "summary": "The full state the WebSocket sends first",
                    "responses": {"200": _json("the state"), "401": _error("not signed in")},
                }
            },
            "/api/snippets/{id}/history": {
                "get": {
                    "summary": "A card's story, oldest first",
                    "parameters": [
                        _path("id", _ID, "the card"),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": history.MAX_LIMIT},
                            f"events at most (default {history.DEFAULT_LIMIT})",
                        ),
                    ],
                    "responses": {
                        "200": _json("the story"),
                        **_SIGNED_IN,
                        "404": _error("no such card"),
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "summary": "Clicks per card and per hour",
                    "parameters": [
                        _query("platform_id", _ID, "one column (default: every live column)"),
                        _query(
                            "since",
                            {"type": "string", "format": "date-time"},
                            "a UTC ISO time within the last 400 days (default: 24 h ago)",
                        ),
                        _query(
                            "format", {"type": "string", "enum": ["json", "csv"]}, "json or csv"
                        ),
                    ],
                    "responses": {
                        "200": _json("the clicks"),
                        **_SIGNED_IN,
                        "404": _error("no such column"),
                    },
                }
            },
            "/api/materials": {
                "get": {
                    "summary": "Full-text search over materials, newest first",
                    "parameters": [
                        _query("q", {"type": "string", "maxLength": 500}, "the words sought"),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": search.MAX_LIMIT},
                            f"at most this many (default {search.DEFAULT_LIMIT})",
                        ),
                        _query(
                            "offset",
                            {"type": "integer", "minimum": 0, "maximum": search.MAX_OFFSET},
                            "skip this many",
                        ),
                        _query("section", {"type": "string", "maxLength": 200}, "one section"),
                    ],
                    "responses": {"200": _json("{items: [...]}"), **_SIGNED_IN},
                },
                "post": {
                    "summary": "Upsert one material, or a batch",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Material"},
                                        {
                                            "type": "array",
                                            "maxItems": 500,
                                            "items": {"$ref": "#/components/schemas/Material"},
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("updated (or a batch)"),
                        "201": _json("created"),
                        "401": _error("not signed in"),
                        "403": _error("needs the editor role, or a cross-origin request"),
                        "422": _error("a field is not what the API expects (error.field)"),
                    },
                },
            },
            "/api/media": {
                "post": {
                    "summary": "Upload a file (stored once by its bytes)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("already stored"),
                        "201": _json("stored"),
                        "400": _error("not a multipart form with a file part"),
                        "401": _error("not signed in"),
                        "403": _error("needs the author role, or a cross-origin request"),
                        "413": _error("too large"),
                        "415": _error("not a kind of file we take"),
                    },
                }
            },
            "/media/{id}": {
                "get": {
                    "summary": "A stored file (signed in, or a signed link)",
                    "parameters": [
                        _path("id", _ID, "the media id"),
                        _query("exp", {"type": "string"}, "a signed link's expiry"),
                        _query("sig", {"type": "string"}, "a signed link's signature"),
                    ],
                    "responses": {
                        "200": {"description": "the file"},
                        "302": {"description": "the bucket's presigned link"},
                        **_SIGNED_IN,
                        "403": _error("a signed link that expired or is not valid"),
                        "404": _error("no such media"),
                    },
                }
            },
            "/docs/{name}": {
                "get": {
                    "summary": "A page of the project's docs, rendered",
                    "parameters": [_path("name", {"type": "string"}, "e.g. platforms.md")],
                    "responses": {
                        "200": {"description": "the page", "content": {"text/html": {}}},
                        "303": {"description": "not signed in: to /login"},
                        "404": {"description": "no such page"},
                    },
                }
            },
            "/l/{code}": {
                "get": {
                    "summary": "A tracked link: 302 to the card's link, counting the click",
                    "security": [],
                    "parameters": [_path("code", {"type": "string"}, "the card's short code")],
                    "responses": {
                        "302": {"description": "to the card's UTM-tagged link"},
                        "404": {"description": "no such code", "content": {"text/html": {}}},
                        "503": {
                            "description": "cannot be looked up now",
                            "content": {"text/html": {}},
                        },
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": _json("OpenAPI 3.0"), "401": _error("not signed in")},
                }
            },
        },
    }


async def endpoint(request: Request) -> Response:
    # Signed in, as every endpoint but login, health and metrics (CONTRACT §2).
    if await current_actor(request) is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    return JSONResponse(describe())

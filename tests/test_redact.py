"""web/redact.py: what libraries print at DEBUG leaves the process without credentials."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from websockets.frames import Frame, Opcode

from board.rows import platform_row
from web.redact import MASK, Redactor, install

BOT = "123456789:AAHfakeTOKENfor-redaction_0123456789ab"


@pytest.fixture
def redactor() -> Iterator[Redactor]:
    """A Redactor installed on the process's record factory for the test."""
    redactor = Redactor()
    uninstall = install(redactor)
    yield redactor
    uninstall()


@pytest.mark.parametrize(
    "line",
    [
        f"Make request: POST https://api.telegram.org/bot{BOT}/sendMessage",
        "< Authorization: Bearer abcDEF123._-token",
        "> Cookie: metronome_session=Zm9vYmFyYmF6cXV4",
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'set-cookie', b'metronome_session=Zm9vYmFy; HttpOnly')])",
        "HTTP Request: GET https://graph.facebook.com/v25.0/17841400000000001?fields=permalink&access_token=EAABsecret HTTP/1.1 200",
        'payload {"access_token": "IGQVsecret", "x": 1}',
        '{"op":"platform.create","args":{"kind":"x","secrets":{"access_token":"zzz-secret-zzz"}}}',
    ],
)
def test_credential_shapes_are_masked(line: str) -> None:
    """Tokens in URLs, headers, header tuples, query strings and JSON are masked whatever the value."""
    redacted = Redactor().redact(line)
    assert MASK in redacted
    for secret in (BOT, "abcDEF123", "Zm9vYmFy", "EAABsecret", "IGQVsecret", "zzz-secret-zzz"):
        assert secret not in redacted


def test_records_are_scrubbed_as_they_are_made(
    redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    """Known secret values, websockets frames and exception texts are scrubbed before any handler sees them."""
    redactor.add(["column-secret-value-77", "short"])
    log = logging.getLogger("tests.redact")
    with caplog.at_level(logging.DEBUG, logger="tests.redact"):
        log.debug("token is %s and short stays", "column-secret-value-77 short")
        log.debug("< %s", Frame(Opcode.TEXT, b'{"secrets":{"bot_token":"abc"}}'))
        try:
            raise RuntimeError("failed at https://x/column-secret-value-77")
        except RuntimeError:
            log.exception("publish failed")
    first, frame, failure = caplog.records
    assert first.getMessage() == f"token is {MASK} short and short stays"
    assert frame.getMessage() == "< TEXT [31 bytes]"
    assert "column-secret-value-77" not in caplog.text and MASK in (failure.exc_text or "")


def test_formatters_that_read_args_still_work(redactor: Redactor) -> None:
    """uvicorn's access formatter unpacks the record's five args: a line without a secret keeps
    them as they were, and a line with one keeps them too, each scrubbed."""
    from uvicorn.logging import AccessFormatter

    redactor.add(["column-secret-value-88"])
    formatter = AccessFormatter(
        '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
    )
    access = logging.getLogger("tests.redact.access")
    lines = []
    for path in ("/metrics", "/hook?token=column-secret-value-88"):
        record = access.makeRecord(
            access.name,
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 200),
            None,
        )
        lines.append(formatter.format(record))
    assert lines[0] == '127.0.0.1:5000 - "GET /metrics HTTP/1.1" 200 OK'
    assert lines[1] == f'127.0.0.1:5000 - "GET /hook?token={MASK} HTTP/1.1" 200 OK'


def test_uninstall_restores_the_factory() -> None:
    """Apps come and go in one process (tests): the last one out restores the factory it found."""
    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        undo_a, undo_b = install(Redactor()), install(Redactor())
        assert logging.getLogRecordFactory() is not logging.LogRecord
        undo_a()
        undo_b()
        assert logging.getLogRecordFactory() is logging.LogRecord
    finally:
        logging.setLogRecordFactory(before)


async def test_an_app_masks_its_columns_secrets(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A running app masks the exact secret values of the columns it builds adapters for, until it stops."""
    from tests.support import Client, login, make_user, running_app

    secret = "plain-value-no-credential-shape"
    log = logging.getLogger("tests.redact.app")
    async with running_app(database_url) as server:
        cookie = await login(server.url, await make_user(database_url, "admin"))
        async with Client.connect(server, cookie=cookie) as admin:
            pid = (
                await admin.ok(
                    "platform.create",
                    {
                        "kind": "webhook",
                        "name": "w",
                        "interval_s": 60,
                        "paused": True,
                        "settings": {"url": "http://127.0.0.1:9/hook"},
                        "secrets": {"token": secret},
                    },
                )
            )["id"]
        async with server.services.database.connect() as db:
            await server.services.registry.adapter_for(await platform_row(db, pid))
        with caplog.at_level(logging.INFO, logger="tests.redact.app"):
            log.info("value %s", secret)
        assert caplog.records[-1].getMessage() == f"value {MASK}"
    with caplog.at_level(logging.INFO, logger="tests.redact.app"):
        log.info("after %s", "plain-value-no-credential")
    assert caplog.records[-1].getMessage() == "after plain-value-no-credential"

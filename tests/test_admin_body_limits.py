"""Issue 17 item 19: console forms have their own body limit (ADMIN_MAX_BODY_BYTES), big
enough for what the document limit allows, and a body over it gets a console page naming
the limit, never the API's JSON. A real server (`kelisim serve`, the RSGI front)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_console_languages import sign_in

from livesrv import demo_server

pytestmark = pytest.mark.slow

APP = "jana-courier"
PASSWORD = "body limits test password"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("body-limits")
    with demo_server(tmp) as served:
        owner = sign_in(served["url"], "owner@localhost", served["password"], PASSWORD)
        status, _, where = owner.post(f"/admin/apps/{APP}/drafts",
                                      form_from=f"/admin/apps/{APP}")
        assert status == 303
        yield {"base": served["url"], "owner": owner, "draft": where.rsplit("/", 1)[1]}


def test_a_russian_document_saved_back_from_the_editor_is_taken(
        console: dict[str, Any]) -> None:
    """713 KB of Cyrillic, URL-encoded, is 2.1 MB: over MAX_BODY_BYTES, under the
    console's limit."""
    owner, draft = console["owner"], console["draft"]
    text = "# Политика конфиденциальности\n\n" + (
        "Мы храним ваши данные один год и затем удаляем их.\n\n" * 7_800)
    assert 700_000 < len(text.encode()) < 1_048_576
    path = f"/admin/drafts/{draft}/doc/ru"
    status, body, _ = owner.post(path, {"text": text, "title": "Политика"}, form_from=path)
    assert status == 303, body[:2000]
    status, page = owner.get(path)
    assert status == 200 and "Мы храним ваши данные один год" in page


def test_an_upload_just_under_the_document_limit_is_taken(console: dict[str, Any]) -> None:
    """A 1,048,554-byte .md was refused: the whole multipart request counted against the
    document limit."""
    owner = console["owner"]
    line = "We keep the data you give us for one year, and then we delete it.\n\n"
    head = "# Privacy Policy\n\n"
    data = (head + line * ((1_048_554 - len(head)) // len(line))).encode()
    data += b"." * (1_048_554 - len(data))
    assert len(data) == 1_048_554
    status, body, where = owner.post(f"/admin/apps/{APP}/drafts/upload", {"locale": "en"},
                                     form_from=f"/admin/apps/{APP}",
                                     files={"file": ("policy.md", data)})
    assert status == 303, body[:2000]
    assert "/admin/drafts/" in where


def test_a_form_over_the_console_limit_gets_a_console_page(console: dict[str, Any]) -> None:
    owner, draft = console["owner"], console["draft"]
    path = f"/admin/drafts/{draft}/doc/en"
    # A browser sends the whole body, then reads the answer: the console's page.
    status, body, _ = owner.post(path, {"text": "x" * 4_300_000}, form_from=path)
    assert status == 413
    assert "<html" in body and "ADMIN_MAX_BODY_BYTES, 4.06 MiB (4,259,840 bytes)" in body
    # The API keeps its own limit and its JSON answer, at once from the declared length
    # (it does not read a body it will refuse: a client still sending may see the
    # connection close, so only the headers are sent here).
    host, port = console["base"].removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("POST", f"/v1/apps/{APP}/installs")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", "1100002")
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413 and b'"too_large"' in resp.read()
    finally:
        conn.close()


def test_under_a_plain_wsgi_server_too(client: Any, published: Path, kelisim: Any,
                                       users: dict[str, int]) -> None:
    """Flask's own form limits (MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE) follow the
    console's limit on /admin, and BodyLimit hands an over-limit console form to the
    console's page."""
    from admin_support import csrf
    from admin_support import sign_in as sign_in_client

    sign_in_client(client, kelisim, users["publisher"])
    resp = client.post(f"/admin/apps/{APP}/drafts", data={"csrf_token": csrf(client)})
    draft = resp.headers["Location"].rsplit("/", 1)[1]
    # 970 KB: over Flask's default form memory (500 KB), under MAX_DOCUMENT_BYTES (the
    # form now counts bytes; 20,000 lines were 1.1 MB, over it).
    text = "# Политика\n\n" + "Мы храним ваши данные один год.\n\n" * 17_000
    assert 900_000 < len(text.encode()) < 1_048_576
    resp = client.post(f"/admin/drafts/{draft}/doc/ru",
                       data={"text": text, "csrf_token": csrf(client)})
    assert resp.status_code == 303, resp.get_data(True)[-2000:]
    resp = client.post(f"/admin/drafts/{draft}/doc/ru",
                       data={"text": "x" * 4_300_000, "csrf_token": csrf(client)})
    assert resp.status_code == 413 and "ADMIN_MAX_BODY_BYTES" in resp.get_data(True)
    assert resp.mimetype == "text/html"

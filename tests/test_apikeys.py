"""API keys of the operator API (issue 21 part 1), managed in the CLI and the console:
stored hashed and shown once, named and scoped, listed with a public prefix, rotated and
revoked, owner only in the console, every change in the admin audit log; bad input named
and nothing stored. The keys at work against a real server: tests/test_operator_api.py."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, assert_owner_only, events, post, sign_in
from server import Kelisim
from server.consent.apikeys import find_key
from server.models import ApiKey

KEY = re.compile(r"kls_live_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def _rows(kelisim: Kelisim) -> list[ApiKey]:
    with kelisim.db.session(readonly=True) as s:
        return list(s.scalars(sa.select(ApiKey).order_by(ApiKey.id)))


def test_cli_creates_lists_rotates_and_revokes(cli: Any, published: Path,
                                               kelisim: Kelisim) -> None:
    out = cli("api-keys", "create", APP, "--name", "CRM sync", "--scope", "consent:read",
              "--scope", "requests:read").stdout
    key = out.strip()
    match = KEY.fullmatch(key)
    assert match, out
    key_id = match.group(1)
    [row] = _rows(kelisim)
    # Only the SHA-256 of the key is stored; the key itself is nowhere in the row.
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr([getattr(row, c.key) for c in sa.inspect(ApiKey).columns])
    assert (row.key_id, row.name, row.scopes) == (key_id, "CRM sync",
                                                  ["consent:read", "requests:read"])
    with kelisim.db.session(readonly=True) as s:
        found = find_key(s, key)
        assert found is not None and found.key_id == key_id
        assert find_key(s, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    header, line = cli("api-keys", "list", APP).stdout.splitlines()
    assert header.startswith("key_id\tprefix\tname\tscopes")
    assert line.split("\t")[:4] == [key_id, f"kls_live_{key_id}", "CRM sync",
                                    "consent:read,requests:read"]
    assert line.endswith("\tactive") and key not in line

    new = cli("api-keys", "rotate", APP, key_id).stdout.strip()
    new_id = KEY.fullmatch(new).group(1)  # type: ignore[union-attr]
    assert new_id != key_id
    cli("api-keys", "revoke", APP, new_id)
    lines = cli("api-keys", "list", APP).stdout.splitlines()[1:]
    assert sorted(line.split("\t")[-1] for line in lines) == ["revoked", f"rotated:{new_id}"]
    again = cli("api-keys", "revoke", APP, key_id, ok=False)
    assert "revoked" in again.output
    assert "no API key nosuchkey" in cli("api-keys", "revoke", APP, "nosuchkey",
                                         ok=False).output
    # Every change in the audit log, by the CLI, naming the key and never the secret.
    logged = [(e.actor, e.action, e.target) for e in events(kelisim)
              if e.action.startswith("apikey.")]
    assert logged == [("cli", "apikey.create", f"{APP}/{key_id}"),
                      ("cli", "apikey.rotate", f"{APP}/{key_id}"),
                      ("cli", "apikey.revoke", f"{APP}/{new_id}")]
    assert all(key not in str(e.details) and new not in str(e.details)
               for e in events(kelisim))


def test_cli_refuses_bad_input_naming_it(cli: Any, published: Path, kelisim: Kelisim) -> None:
    bad_scope = cli("api-keys", "create", APP, "--name", "x", "--scope", "consent:write",
                    ok=False)
    assert "--scope" in bad_scope.output and "consent:write" in bad_scope.output
    assert "name: must say what the key is for" in cli(
        "api-keys", "create", APP, "--name", "  ", "--scope", "consent:read",
        ok=False).output
    assert "name: at most 100 characters" in cli(
        "api-keys", "create", APP, "--name", "x" * 101, "--scope", "consent:read",
        ok=False).output
    assert "name: one line" in cli("api-keys", "create", APP, "--name", "a\u202eb",
                                   "--scope", "consent:read", ok=False).output
    assert "unknown app 'nosuch'" in cli("api-keys", "create", "nosuch", "--name", "x",
                                         "--scope", "consent:read", ok=False).output
    assert _rows(kelisim) == []
    assert [e for e in events(kelisim) if e.action.startswith("apikey.")] == []


def test_console_owner_manages_keys_shown_once(client: FlaskClient, published: Path,
                                               kelisim: Kelisim,
                                               users: dict[str, int]) -> None:
    page = f"/admin/apps/{APP}/api-keys"
    assert_owner_only(client, kelisim, users, page)
    # Bad input: the field named, nothing stored.
    resp = post(client, page, {"name": "", "scope": "consent:read"})
    assert resp.status_code == 422 and 'data-field="name"' in resp.get_data(True)
    resp = post(client, page, {"name": "CRM"})
    assert resp.status_code == 422 and 'data-field="scopes"' in resp.get_data(True)
    resp = post(client, page, {"name": "CRM", "scope": "root:all"})
    assert resp.status_code == 422 and 'data-field="scopes"' in resp.get_data(True)
    assert _rows(kelisim) == []
    # Without the CSRF token: refused.
    assert client.post(page, data={"name": "CRM", "scope": "consent:read"}).status_code == 400
    assert _rows(kelisim) == []

    resp = post(client, page, {"name": "CRM", "scope": ["consent:read", "requests:write"]})
    html = resp.get_data(True)
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    [key] = [m.group(0) for m in KEY.finditer(html)]
    key_id = KEY.fullmatch(key).group(1)  # type: ignore[union-attr]
    assert 'id="new-key"' in html
    # Shown once: the list shows the prefix only.
    listed = client.get(page).get_data(True)
    assert key not in listed and f"kls_live_{key_id}" in listed and "requests:write" in listed
    # Rotate and revoke cannot be undone: refused, nothing changed, without their box.
    for action in ("rotate", "revoke"):
        resp = post(client, f"{page}/{key_id}/{action}")
        assert resp.status_code == 422 and 'data-field="confirm"' in resp.get_data(True)
    assert [r.revoked_at for r in _rows(kelisim)] == [None]
    yes = {"confirm": "yes"}
    resp = post(client, f"{page}/{key_id}/rotate", yes)
    new = [m.group(0) for m in KEY.finditer(resp.get_data(True))]
    assert resp.status_code == 200 and len(new) == 1 and new[0] != key
    new_id = KEY.fullmatch(new[0]).group(1)  # type: ignore[union-attr]
    assert post(client, f"{page}/{key_id}/rotate", yes).status_code == 409
    resp = post(client, f"{page}/{new_id}/revoke", yes)
    assert resp.status_code == 303
    assert post(client, f"{page}/{new_id}/revoke", yes).status_code == 409
    assert post(client, f"{page}/000000000000/revoke", yes).status_code == 404
    assert client.get("/admin/apps/nosuch/api-keys").status_code == 404
    rows = _rows(kelisim)
    assert [(r.key_id, r.replaced_by, r.revoked_at is not None) for r in rows] == [
        (key_id, new_id, True), (new_id, None, True)]
    logged = [(e.actor, e.action, e.target) for e in events(kelisim)
              if e.action.startswith("apikey.")]
    assert logged == [("owner@example.com", "apikey.create", f"{APP}/{key_id}"),
                      ("owner@example.com", "apikey.rotate", f"{APP}/{key_id}"),
                      ("owner@example.com", "apikey.revoke", f"{APP}/{new_id}")]


def test_a_read_is_answered_when_the_last_use_cannot_be_written(
        cli: Any, client: FlaskClient, published: Path, kelisim: Kelisim,
        monkeypatch: Any) -> None:
    """Recording a key's last use is a write; a database that cannot write now (disk
    full) still answers reads, and an answer (a write anyway) gets its 503."""
    from server.errors import DatabaseUnavailable
    from server.http import operator

    key = cli("api-keys", "create", APP, "--name", "n", "--scope", "requests:read",
              "--scope", "requests:write").stdout.strip()
    auth = {"Authorization": f"Bearer {key}"}

    def cannot_write(*args: Any) -> None:
        raise DatabaseUnavailable("disk full", writes_only=True)

    monkeypatch.setattr(operator, "touch", cannot_write)
    url = f"/v1/apps/{APP}/operator/requests"
    resp = client.get(url, headers=auth)
    assert resp.status_code == 200 and resp.get_json() == {"requests": []}
    resp = client.post(f"{url}/00000000-0000-4000-8000-000000000000/resolve", headers=auth,
                       json={"note": "done"})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    assert [r.last_used_at for r in _rows(kelisim)] == [None]


def test_a_resent_create_form_makes_no_second_key(client: FlaskClient, published: Path,
                                                  kelisim: Kelisim,
                                                  users: dict[str, int]) -> None:
    """A browser reload of the answer re-sends the creating form: the form's one-time
    nonce finds the key it made, which is not shown again; a new form makes a new key."""
    page = f"/admin/apps/{APP}/api-keys"
    sign_in(client, kelisim, users["owner"])
    found = re.search(r'name="nonce" value="([^"]+)"', client.get(page).get_data(True))
    assert found is not None
    form = {"name": "CRM", "scope": "consent:read", "nonce": found.group(1)}
    first = post(client, page, form)
    assert first.status_code == 201
    [key_id] = [m.group(1) for m in KEY.finditer(first.get_data(True))]
    again = post(client, page, form)
    html = again.get_data(True)
    assert again.status_code == 200 and 'id="already-created"' in html and key_id in html
    assert not KEY.search(html) and again.headers["Cache-Control"] == "no-store"
    assert [r.key_id for r in _rows(kelisim)] == [key_id]
    assert [e.action for e in events(kelisim) if e.action.startswith("apikey.")] == \
        ["apikey.create"]
    # A fresh form (its own nonce) makes another key; a nonce that is no nonce is refused.
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    assert nonce is not None and nonce.group(1) != found.group(1)
    assert post(client, page, {**form, "nonce": nonce.group(1)}).status_code == 201
    assert post(client, page, {**form, "nonce": "x"}).status_code == 400
    assert len(_rows(kelisim)) == 2

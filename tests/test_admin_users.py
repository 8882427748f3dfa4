"""Users page (owners): create, roles, disable, reset; the last owner stays."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import events, post, sign_in
from server import Kelisim
from server.admin.models import ROLES, AdminUser


def test_users(client: FlaskClient, kelisim: Kelisim, users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["owner"])
    resp = post(client, "/admin/users", {"email": "New@Example.com", "role": "responder"})
    assert resp.status_code == 200
    assert re.search(r"One-time password for new@example.com: <code>\S{16}</code>",
                     resp.get_data(True))
    for data, field in (({"email": "new@example.com", "role": "viewer"}, "email"),
                        ({"email": "not an email", "role": "viewer"}, "email"),
                        ({"email": "x@example.com", "role": "god"}, "role")):
        resp = post(client, "/admin/users", data)
        assert resp.status_code == 422 and f'data-field="{field}"' in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AdminUser)) == len(ROLES) + 1
    vid = users["viewer"]
    assert post(client, f"/admin/users/{vid}", {"action": "role", "role": "publisher"}
                ).status_code == 200
    resp = post(client, f"/admin/users/{vid}", {"action": "reset"})
    assert "One-time password for viewer@example.com" in resp.get_data(True)
    assert post(client, f"/admin/users/{vid}", {"action": "fly"}).status_code == 422
    assert post(client, f"/admin/users/{vid}", {"action": "role"}).status_code == 422
    # The only owner can neither leave the role nor be disabled.
    oid = users["owner"]
    for data in ({"action": "disable"}, {"action": "role", "role": "viewer"}):
        resp = post(client, f"/admin/users/{oid}", data)
        assert resp.status_code == 422 and "at least one active owner" in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        owner = s.get(AdminUser, oid)
        viewer = s.get(AdminUser, vid)
        assert owner is not None and owner.role == "owner" and not owner.disabled
        assert viewer is not None and viewer.role == "publisher" and viewer.must_change_password
    assert [e.action for e in events(kelisim) if e.action.startswith("user.")] == [
        "user.create", "user.role", "user.reset"]
    assert events(kelisim, "user.role")[0].details == {"role": ["viewer", "publisher"]}


def test_an_auditor_is_made_like_any_role(client: FlaskClient, kelisim: Kelisim,
                                          users: dict[str, int], cli: Any) -> None:
    sign_in(client, kelisim, users["owner"])
    html = client.get("/admin/users").get_data(True)
    # Every role in both lists (models.ROLES); the new user's starts with the least.
    assert html.count('<option value="auditor"') == len(ROLES) + 1
    assert re.search(r'<select name="role"><option value="viewer">[^<]*</option>'
                     r'<option value="auditor">', html)
    assert post(client, "/admin/users", {"email": "ada@example.com", "role": "auditor"}
                ).status_code == 200
    assert "created bo@example.com (auditor)" in cli(
        "users", "create", "bo@example.com", "--role", "auditor").output
    assert post(client, f"/admin/users/{users['viewer']}", {"action": "role",
                                                            "role": "auditor"}).status_code == 200
    with kelisim.db.session(readonly=True) as s:
        assert sorted(s.scalars(sa.select(AdminUser.email).where(
            AdminUser.role == "auditor"))) == ["ada@example.com", "auditor@example.com",
                                               "bo@example.com", "viewer@example.com"]
    for lang in ("kk", "ru"):
        client.get(f"/admin/lang/{lang}")
        assert ">аудитор</option>" in client.get("/admin/users").get_data(True)

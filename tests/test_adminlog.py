"""The admin audit log: every state change by the CLI is recorded, and rows never change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from server import Kelisim
from server.adminlog import events, record
from server.models import AdminEvent

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


pytestmark = pytest.mark.rate_limits_off


def test_record_and_list(kelisim: Kelisim) -> None:
    with kelisim.db.session() as s:
        record(s, "ops@example.kz", "version.publish", "jana-courier", {"label": "2.0"}, NOW)
        record(s, "cli", "root.rotate", "root", {"version": 2}, NOW)
    with kelisim.db.session() as s:
        newest = events(s)
        assert [(e.actor, e.action, e.target) for e in newest] == [
            ("cli", "root.rotate", "root"), ("ops@example.kz", "version.publish",
                                             "jana-courier")]
        assert newest[1].details == {"label": "2.0"} and newest[1].at == "2026-03-01T12:00:00Z"
        assert [e.action for e in events(s, before_id=newest[0].id)] == ["version.publish"]
        assert events(s, target="root")[0].action == "root.rotate"


@pytest.mark.parametrize("statement", [
    "UPDATE admin_events SET actor = 'someone else'",
    "DELETE FROM admin_events",
])
def test_events_cannot_be_changed_or_deleted(kelisim: Kelisim, statement: str) -> None:
    with kelisim.db.session() as s:
        record(s, "cli", "app.create", "jana-courier", {}, NOW)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), kelisim.db.session() as s:
        s.execute(sa.text(statement))
    with kelisim.db.session() as s:
        rows = list(s.scalars(sa.select(AdminEvent)))
        assert [(r.actor, r.action) for r in rows] == [("cli", "app.create")]


def test_every_cli_change_is_recorded(cli, client: FlaskClient, demo_dir: Path,
                                      kelisim: Kelisim) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    cli("publish", str(demo_dir / "2.0"), "--dry-run")
    cli("resign", "--force")
    cli("root", "rotate", "--new", "manifest")
    reg = client.post("/v1/apps/jana-courier/installs").get_json()
    request_id = str(uuid.uuid4())
    resp = client.post("/v1/apps/jana-courier/deletion-requests",
                       json={"id": request_id, "client_time": "2026-01-01T00:00:00Z"},
                       headers={"Authorization": f"Bearer {reg['token']}"})
    assert resp.status_code == 201, resp.get_json()
    cli("deletions", "resolve", "jana-courier", request_id, "--note", "account erased")
    # Failed commands record nothing.
    cli("deletions", "resolve", "jana-courier", request_id, "--note", "again", ok=False)
    cli("apps", "create", str(demo_dir), ok=False)
    with kelisim.db.session() as s:
        log = list(reversed(events(s)))
    assert [(e.actor, e.action, e.target) for e in log] == [
        ("cli", "root.init", "root"),
        ("cli", "app.create", "jana-courier"),
        ("cli", "version.publish", "jana-courier"),
        ("cli", "manifest.resign", "jana-courier"),
        ("cli", "root.rotate", "root"),
        ("cli", "deletion.resolve", f"jana-courier/{request_id}"),
    ]
    assert log[2].details["label"] == "1.0" and log[2].details["seq"] == 1
    assert log[4].details["new_roles"] == ["manifest"]
    assert log[4].details["resigned"] == {"jana-courier": 3}
    assert log[5].details["note"] == "account erased"

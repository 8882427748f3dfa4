"""App metadata (controller, vendors, data categories, permissions) changes by publishing a
version with the edited app.toml beside it, through the guard."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

from client_sdk.protocol.timeutil import utcnow
from helpers import payload_of
from server import Kelisim
from server.models import AdminEvent, App, PolicyVersion

MANIFEST = "/v1/apps/jana-courier/manifest.json"
SENTRY = '''
[[vendors]]
id = "sentry"
name = "Functional Software, Inc. (Sentry)"
country = "US"
policy_url = "https://sentry.io/privacy/"
'''


def _version(app_dir: Path, label: str, significance: str, extra: str = "",
             edit: tuple[str, str] = ("", "")) -> Path:
    """A copy of 2.0 as ``label`` with ``significance``; ``extra`` goes on top."""
    target = app_dir / label
    shutil.copytree(app_dir / "2.0", target)
    toml = target / "version.toml"
    text = toml.read_text().replace('label = "2.0"', f'label = "{label}"').replace(
        'significance = "major"', f'significance = "{significance}"')
    if edit[0]:
        assert edit[0] in text
        text = text.replace(*edit)
    toml.write_text(extra + text)
    return target


def _edit_app(app_dir: Path, old: str, new: str) -> None:
    toml = app_dir / "app.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


def _rows(k: Kelisim) -> tuple[int, dict[str, object], dict[str, object]]:
    with k.db.session() as s:
        app = s.get(App, "jana-courier")
        assert app is not None
        return (s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) or 0,
                app.controller, app.catalog)


def test_new_vendor_is_published_with_the_version(cli, client: FlaskClient, published: Path,
                                                  kelisim: Kelisim) -> None:
    cli("publish", str(published / "2.0"))
    (published / "app.toml").write_text((published / "app.toml").read_text() + SENTRY)
    uses_sentry = ('vendors = ["firebase"]', 'vendors = ["firebase", "sentry"]')
    minor = _version(published, "2.1", "minor", edit=uses_sentry)
    before = _rows(kelisim)
    out = cli("publish", str(minor), ok=False).output
    assert "new vendor 'sentry'" in out
    assert "purpose 'analytics' now shares data with vendor 'sentry'" in out
    assert "unknown vendor" not in out
    assert _rows(kelisim) == before
    major = _version(published, "3.0", "major", edit=uses_sentry)
    out = cli("publish", str(major)).output
    assert "published jana-courier version 3.0" in out
    assert "app.toml: new vendor 'sentry'" in out
    manifest = payload_of(client.get(MANIFEST).data)
    assert [v["id"] for v in manifest["current"]["vendors"]] == ["firebase", "sentry"]
    with kelisim.db.session() as s:
        app = s.get(App, "jana-courier")
        assert app is not None and [v["id"] for v in app.catalog["vendors"]] == [
            "firebase", "sentry"]
        stored = s.scalars(sa.select(PolicyVersion).where(PolicyVersion.label == "3.0")).one()
        assert stored.app_meta is not None
        assert [v["id"] for v in stored.app_meta["vendors"]] == ["firebase", "sentry"]
        event = s.scalars(sa.select(AdminEvent).where(AdminEvent.action == "version.publish")
                          .order_by(AdminEvent.id.desc())).first()
        assert event is not None
        assert event.details["metadata_changes"] == ["app.toml: new vendor 'sentry'"]


def test_controller_contact_change_is_a_patch(cli, client: FlaskClient, published: Path,
                                             kelisim: Kelisim) -> None:
    cli("publish", str(published / "2.0"))
    _edit_app(published, "privacy@jana-courier.example", "dpo@jana-courier.example")
    out = cli("publish", str(_version(published, "2.0.1", "patch"))).output
    assert ("controller email: 'privacy@jana-courier.example' -> "
            "'dpo@jana-courier.example'") in out
    manifest = payload_of(client.get(MANIFEST).data)
    assert manifest["controller"]["email"] == "dpo@jana-courier.example"


def test_new_controller_needs_major(cli, client: FlaskClient, published: Path,
                                    kelisim: Kelisim) -> None:
    cli("publish", str(published / "2.0"))
    _edit_app(published, 'name = "Jana Courier LLP (demo)"', 'name = "Jana Logistics JSC"')
    before = _rows(kelisim)
    out = cli("publish", str(_version(published, "2.1", "minor")), ok=False).output
    assert ("controller name: 'Jana Courier LLP (demo)' -> 'Jana Logistics JSC'" in out
            and "require major" in out)
    assert _rows(kelisim) == before
    assert payload_of(client.get(MANIFEST).data)["controller"]["name"] == \
        "Jana Courier LLP (demo)"


def test_upcoming_controller_takes_over_at_its_effective_time(
        cli, client: FlaskClient, published: Path, kelisim: Kelisim) -> None:
    cli("publish", str(published / "2.0"))
    _edit_app(published, 'name = "Jana Courier LLP (demo)"', 'name = "Jana Logistics JSC"')
    when = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli("publish", str(_version(published, "3.0", "major", extra=f"effective = {when}\n")))
    now = payload_of(client.get(MANIFEST).data)
    assert now["upcoming"]["label"] == "3.0"
    assert now["controller"]["name"] == "Jana Courier LLP (demo)"
    later = kelisim.published.manifest("jana-courier", now=utcnow() + timedelta(days=4))
    assert later is not None
    assert payload_of(later.body)["controller"]["name"] == "Jana Logistics JSC"

"""Keys, apps and publishing through the `kelisim` CLI."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from builders import Clock
from client_sdk.protocol.timeutil import format_time
from helpers import MANIFEST_TYPE, ROOT_TYPE, payload_of, verified_root, verify
from server import Kelisim
from server.models import AdminEvent, Document, PolicyVersion, SignedManifest


def _counts(k: Kelisim) -> tuple[int, int, int]:
    with k.db.session() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) or 0,
                s.scalar(sa.select(sa.func.count()).select_from(Document)) or 0,
                s.scalar(sa.select(sa.func.count()).select_from(SignedManifest)) or 0)


def test_keys_init_writes_private_keys_0600(cli, kelisim: Kelisim) -> None:
    out = cli("keys", "init").output
    assert "root v1 signed" in out
    files = sorted(kelisim.keys_dir.glob("*.pem"))
    assert [f.name.split("-")[0] for f in files] == ["log", "manifest", "receipt", "root"]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE(kelisim.keys_dir.stat().st_mode) == 0o700
    secret = Path(kelisim.settings.instance_path) / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # A second init must not replace the root apps have pinned.
    again = cli("keys", "init", ok=False)
    assert "a root exists already" in again.output


def test_root_show_is_verifiable(cli) -> None:
    cli("keys", "init", "--root-keys", "3", "--root-threshold", "2")
    env = cli("root", "show", "--version", "1").output.strip().encode()
    root = verified_root(env)
    assert root["version"] == 1
    assert root["roles"]["root"]["threshold"] == 2
    assert len(root["roles"]["root"]["keyids"]) == 3
    assert '"_type": "root"' in cli("root", "show", "--payload").output


def test_publish_two_versions_and_list(cli, published: Path, kelisim: Kelisim) -> None:
    out = cli("publish", str(published / "2.0")).output
    assert "published jana-courier version 2.0 (#2, major, in effect); manifest seq 2" in out
    listing = cli("versions", "list", "jana-courier").output.splitlines()
    assert listing[0].startswith("#1\t1.0\tmajor") and listing[1].startswith("#2\t2.0\tmajor")
    root = verified_root(cli("root", "show").output.strip().encode())
    with kelisim.db.session() as s:
        row = s.scalars(sa.select(SignedManifest).order_by(SignedManifest.seq.desc())).first()
        envelope = row.envelope
    manifest = verify(envelope, root, "manifest", MANIFEST_TYPE)
    assert manifest["seq"] == 2 and manifest["current"]["label"] == "2.0"
    assert manifest["current"]["reconsent_required_since"] == 2
    assert [h["label"] for h in manifest["history"]] == ["1.0"]
    assert manifest["controller"]["bin"] == "240540012347"
    analytics = next(p for p in manifest["current"]["purposes"] if p["id"] == "analytics")
    assert analytics["vendors"] == ["firebase"] and not analytics["required"]
    assert [v["id"] for v in manifest["current"]["vendors"]] == ["firebase"]


def test_guard_rejects_major_change_published_as_minor(cli, published: Path,
                                                       kelisim: Kelisim) -> None:
    toml = published / "2.0" / "version.toml"
    toml.write_text(toml.read_text().replace('significance = "major"', 'significance = "minor"'))
    before = _counts(kelisim)
    out = cli("publish", str(published / "2.0"), ok=False).output
    for reason in ("new purpose 'analytics'", "new vendor 'firebase'",
                   "new data category 'usage'", "min_age lowered from 18 to 16",
                   "transfer to third parties turned on", "cross-border transfer turned on"):
        assert reason in out
    assert "--override-reason" in out
    assert _counts(kelisim) == before

    out = cli("publish", str(published / "2.0"), "--override-reason",
              "legal reviewed: analytics is opt-in").output
    assert "override recorded: legal reviewed: analytics is opt-in" in out
    with kelisim.db.session() as s:
        v = s.scalars(sa.select(PolicyVersion).where(PolicyVersion.label == "2.0")).one()
        assert v.override_reason == "legal reviewed: analytics is opt-in"
        assert v.significance == "minor"
        # A minor version does not move the re-consent point.
        assert v.body["reconsent_required_since"] == 1


def test_minor_wording_change_passes_guard(cli, published: Path, tmp_path: Path) -> None:
    v11 = tmp_path / "policy" / "jana-courier" / "1.1"
    v11.mkdir()
    for f in ("kk.md", "ru.md", "en.md"):
        text = (published / "1.0" / f).read_text().replace("1.0", "1.1")
        (v11 / f).write_text(text + "\nClarified wording.\n")
    toml = (published / "1.0" / "version.toml").read_text()
    toml = toml.replace('label = "1.0"', 'label = "1.1"').replace(
        'significance = "major"', 'significance = "minor"')
    (v11 / "version.toml").write_text(toml)
    out = cli("publish", str(v11)).output
    assert "(#2, minor, in effect)" in out


def test_dry_run_stores_nothing(cli, published: Path, kelisim: Kelisim) -> None:
    before = _counts(kelisim)
    out = cli("publish", str(published / "2.0"), "--dry-run").output
    assert out.startswith("would publish jana-courier version 2.0")
    assert _counts(kelisim) == before


def test_duplicate_label_rejected(cli, published: Path, kelisim: Kelisim) -> None:
    before = _counts(kelisim)
    out = cli("publish", str(published / "1.0"), ok=False).output
    assert "label: version '1.0' of jana-courier is published already" in out
    assert _counts(kelisim) == before


def test_bad_bundle_names_file_and_field_and_stores_nothing(cli, published: Path,
                                                            kelisim: Kelisim) -> None:
    toml = published / "2.0" / "version.toml"
    text = toml.read_text()
    text = text.replace("min_age = 16", 'min_age = "sixteen"')
    text = text.replace('vendors = ["firebase"]', 'vendors = ["nosuch"]')
    toml.write_text(text)
    before = _counts(kelisim)
    out = cli("publish", str(published / "2.0"), ok=False).output
    assert f"{toml}: min_age: Not a valid integer." in out
    assert _counts(kelisim) == before
    toml.write_text(text.replace('min_age = "sixteen"', "min_age = 16"))
    out = cli("publish", str(published / "2.0"), ok=False).output
    assert f"{toml}: purposes[2].vendors: unknown vendor 'nosuch'" in out
    assert _counts(kelisim) == before


def test_upcoming_version(cli, published: Path, kelisim: Kelisim) -> None:
    toml = published / "2.0" / "version.toml"
    toml.write_text('effective = 2099-12-01T00:00:00Z\n' + toml.read_text())
    out = cli("publish", str(published / "2.0")).output
    assert "upcoming, effective 2099-12-01T00:00:00Z" in out
    blob = kelisim.published.manifest("jana-courier")
    assert blob is not None
    manifest = payload_of(blob.body)
    assert manifest["current"]["label"] == "1.0"
    assert manifest["upcoming"]["label"] == "2.0"
    assert "(upcoming)" in cli("versions", "list", "jana-courier").output
    # Only one version may wait for its date.
    v3 = published / "3.0"
    v3.mkdir()
    for f in (p.name for p in (published / "2.0").glob("*.md")):
        (v3 / f).write_text((published / "2.0" / f).read_text())
    (v3 / "version.toml").write_text(toml.read_text().replace('label = "2.0"', 'label = "3.0"')
                                     .replace("2099-12-01", "2099-12-02"))
    out = cli("publish", str(v3), ok=False).output
    assert "version 2.0 is already scheduled for 2099-12-01T00:00:00Z" in out


def test_first_version_cannot_be_in_the_future(cli, demo_dir: Path) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    toml = demo_dir / "1.0" / "version.toml"
    toml.write_text("effective = 2099-01-01\n" + toml.read_text())
    out = cli("publish", str(demo_dir / "1.0"), ok=False).output
    assert "effective: the first version of an app takes effect when published" in out


def test_an_effective_time_in_the_past_is_refused(cli, published: Path, kelisim: Kelisim
                                                   ) -> None:
    """A version may not take effect before it is published (it would be served as current
    for a time in which nobody could have seen it): refused by name, nothing stored. The
    command reads the app's clock."""
    at = datetime.now(UTC).replace(second=10, microsecond=0) + timedelta(hours=1)
    clock = Clock(at)
    kelisim.clock = clock
    toml = published / "2.0" / "version.toml"
    effective = format_time(at.replace(second=0) - timedelta(minutes=1))
    toml.write_text(f"effective = {effective}\n" + toml.read_text())
    before = _counts(kelisim)
    out = cli("publish", str(published / "2.0"), ok=False).output
    assert f"{toml}: effective: {effective} is in the past (now {format_time(at)})" in out
    assert _counts(kelisim) == before
    clock.now = at - timedelta(minutes=5)
    assert f"upcoming, effective {effective}" in cli("publish", str(published / "2.0")).output


def test_publish_needs_app_and_keys(cli, demo_dir: Path) -> None:
    cli("keys", "init")
    out = cli("publish", str(demo_dir / "1.0"), ok=False).output
    assert "unknown app 'jana-courier'" in out
    out = cli("apps", "create", str(demo_dir / "nope"), ok=False).output
    assert "does not exist" in out


def test_missing_manifest_key_fails_cleanly(cli, demo_dir: Path, kelisim: Kelisim) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    for f in kelisim.keys_dir.glob("manifest-*.pem"):
        f.unlink()
    before = _counts(kelisim)
    out = cli("publish", str(demo_dir / "1.0"), ok=False).output
    assert re.search(r"needs 1 manifest key\(s\); found 0", out)
    assert _counts(kelisim) == before


def test_key_file_with_open_permissions_is_refused(cli, demo_dir: Path,
                                                   kelisim: Kelisim) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    key = next(kelisim.keys_dir.glob("manifest-*.pem"))
    key.chmod(0o644)
    out = cli("publish", str(demo_dir / "1.0"), ok=False).output
    assert "are too open" in out and "chmod 600" in out


def test_apps_create_twice_and_list(cli, demo_dir: Path) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    assert "exists already" in cli("apps", "create", str(demo_dir), ok=False).output
    assert cli("apps", "list").output.startswith("jana-courier\tJana Courier\tversion -")


def test_demo_setup_is_idempotent(cli, kelisim: Kelisim) -> None:
    out = cli("demo-setup").output
    assert "published jana-courier 1.0" in out and "published jana-courier 2.0" in out
    before = _counts(kelisim)
    assert cli("demo-setup").output.strip() == "demo already set up: nothing to do"
    assert _counts(kelisim) == before


def test_root_payload_type(cli) -> None:
    cli("keys", "init")
    env = cli("root", "show").output.strip().encode()
    assert f'"payloadType":"{ROOT_TYPE}"' in env.decode()


def test_a_language_without_its_purpose_titles_is_refused_unless_allowed(
        cli, published: Path, kelisim: Kelisim) -> None:
    """Issue 22: a ky document whose purposes have no ky title made the ky screen show
    another language's title; publishing refuses it, naming each missing title, unless
    --allow-missing-titles (recorded in the audit log)."""
    toml = published / "2.0" / "version.toml"
    text = toml.read_text().replace(', ky = "Жеткирүү" }', " }").replace(
        ', ky = "Аналитика" }', ' , ky = " " }')
    toml.write_text(text)
    before = _counts(kelisim)
    out = cli("publish", str(published / "2.0"), ok=False).output
    assert f"{toml}: ky: purposes.delivery.title: missing" in out
    assert f"{toml}: ky: purposes.analytics.title: missing" in out  # blank is missing
    assert "purposes.notifications" not in out and "--allow-missing-titles" in out
    assert _counts(kelisim) == before
    out = cli("publish", str(published / "2.0"), "--allow-missing-titles").output
    assert "published jana-courier version 2.0" in out
    assert "  - ky: purposes.delivery.title" in out
    with kelisim.db.session() as s:
        event = s.scalars(sa.select(AdminEvent).where(AdminEvent.action == "version.publish")
                          .order_by(AdminEvent.id.desc())).first()
        assert event is not None
        assert event.details["missing_titles_allowed"] == [
            "ky: purposes.delivery.title", "ky: purposes.analytics.title"]

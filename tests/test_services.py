"""The services the CLI and the console share, called directly: publishing from memory,
rotation, re-signing, deletion requests, key staging, and the error table."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from helpers import MANIFEST_TYPE, payload_of, verified_root, verify
from server import Kelisim
from server.consent.requests import resolve
from server.errors import (
    AlreadyResolved,
    AppExists,
    GuardError,
    InvalidValue,
    KelisimError,
    PolicySourceError,
    SigningError,
    UnknownApp,
    UnknownDeletionRequest,
)
from server.http.errors import HTTP_STATUS, http_status
from server.models import AdminEvent, DeletionRequest, Install, PolicyVersion, RootVersion
from server.policy.publish import check_version, publish_version, register_app
from server.policy.source import AppMetadata, version_from_data
from server.trust.manifests import latest_manifest, resign
from server.trust.roots import init_root, rotate

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ACTOR = "publisher@example.kz"


def _meta(demo_dir: Path) -> AppMetadata:
    return AppMetadata.from_dict(tomllib.loads((demo_dir / "app.toml").read_text()), "form")


def _draft(demo_dir: Path, label: str) -> tuple[dict[str, object], dict[str, str]]:
    folder = demo_dir / label
    spec = tomllib.loads((folder / "version.toml").read_text())
    docs = {p.stem: p.read_text() for p in folder.glob("*.md")}
    return spec, docs


def _setup(k: Kelisim, demo_dir: Path) -> None:
    with k.db.session() as s:
        init_root(s, k.keys_dir, NOW, k.root_ttl, actor=ACTOR)
        register_app(s, _meta(demo_dir), NOW, actor=ACTOR)


def test_publish_from_memory(kelisim: Kelisim, demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    spec, docs = _draft(demo_dir, "1.0")
    version = version_from_data(spec, docs, max_document_bytes=1 << 20, source="draft")
    with kelisim.db.session() as s:
        result = publish_version(s, "jana-courier", version, kelisim.keys_dir, NOW,
                                 kelisim.timing, actor=ACTOR, app_meta=_meta(demo_dir))
    assert (result.number, result.label, result.seq) == (1, "1.0", 1)
    with kelisim.db.session() as s:
        row = latest_manifest(s, "jana-courier")
        assert row is not None and row.issued == "2026-03-01T12:00:00Z"
        stored = s.scalars(sa.select(PolicyVersion)).one()
        assert stored.app_meta is not None and stored.app_meta["controller"]["bin"]
        event = s.scalars(sa.select(AdminEvent).where(
            AdminEvent.action == "version.publish")).one()
        assert (event.actor, event.details["source"]) == (ACTOR, "draft")
    # A draft with a problem names the field, prefixed with where it came from.
    bad = {**spec, "significance": "huge"}
    with pytest.raises(PolicySourceError) as exc:
        version_from_data(bad, docs, max_document_bytes=1 << 20, source="draft")
    assert exc.value.problems == ["draft/version.toml: significance: Must be one of: "
                                  "major, minor, patch."]


def test_publish_refusals_store_nothing(kelisim: Kelisim, demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    spec, docs = _draft(demo_dir, "1.0")
    v1 = version_from_data(spec, docs, max_document_bytes=1 << 20)
    with pytest.raises(UnknownApp, match="unknown app 'nosuch'"), kelisim.db.session() as s:
        publish_version(s, "nosuch", v1, kelisim.keys_dir, NOW, kelisim.timing, actor=ACTOR)
    with pytest.raises(InvalidValue, match="override_reason"), kelisim.db.session() as s:
        publish_version(s, "jana-courier", v1, kelisim.keys_dir, NOW, kelisim.timing,
                        actor=ACTOR, override_reason="  ")
    with kelisim.db.session() as s:
        publish_version(s, "jana-courier", v1, kelisim.keys_dir, NOW, kelisim.timing,
                        actor=ACTOR)
    spec2, docs2 = _draft(demo_dir, "2.0")
    v2 = version_from_data({**spec2, "significance": "minor"}, docs2,
                           max_document_bytes=1 << 20)
    with pytest.raises(GuardError) as exc, kelisim.db.session() as s:
        publish_version(s, "jana-courier", v2, kelisim.keys_dir, NOW, kelisim.timing,
                        actor=ACTOR)
    assert "new vendor 'firebase'" in exc.value.reasons
    assert exc.value.details["significance"] == "minor"
    with kelisim.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1
        assert [e.action for e in s.scalars(sa.select(AdminEvent).order_by(AdminEvent.id))
                ] == ["root.init", "app.create", "version.publish"]
    with pytest.raises(AppExists, match="publish a new version"), kelisim.db.session() as s:
        register_app(s, _meta(demo_dir), NOW, actor=ACTOR)


def test_rotate_skips_apps_with_nothing_to_sign(cli, kelisim: Kelisim, demo_dir: Path,
                                                tmp_path: Path) -> None:
    """A registered but unpublished app has no manifest to re-sign: root rotation skips it
    and succeeds."""
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.toml").write_text((demo_dir / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "unpublished-app"'))
    cli("apps", "create", str(other))
    cli("publish", str(demo_dir / "1.0"))
    out = cli("root", "rotate", "--new", "manifest").output
    assert "root v2 signed; re-signed 1 manifest(s)" in out
    assert "not re-signed (no version in effect): unpublished-app" in out


def test_failed_rotation_leaves_no_key_file(kelisim: Kelisim, demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    before = sorted(p.name for p in kelisim.keys_dir.iterdir())
    with pytest.raises(RuntimeError, match="after rotating"), kelisim.db.session() as s:
        done = rotate(s, kelisim.keys_dir, NOW, kelisim.root_ttl, kelisim.timing,
                      actor=ACTOR, new_roles=("manifest", "receipt"))
        assert done.root.version == 2
        raise RuntimeError("something failed after rotating, before the commit")
    assert sorted(p.name for p in kelisim.keys_dir.iterdir()) == before
    with kelisim.db.session() as s:
        assert s.scalar(sa.select(sa.func.max(RootVersion.version))) == 1
    # The same rotation committed: the new keys are in place, nothing staged is left.
    with kelisim.db.session() as s:
        done = rotate(s, kelisim.keys_dir, NOW, kelisim.root_ttl, kelisim.timing,
                      actor=ACTOR, new_roles=("manifest",))
    names = sorted(p.name for p in kelisim.keys_dir.iterdir())
    new_kid = done.root.root.roles["manifest"].keyids[0]
    assert f"manifest-{new_kid}.pem" in names and not any(n.startswith(".") for n in names)
    assert done.skipped == ["jana-courier"] and done.resigned == {}


def test_resign_with_injected_clock(client: Flask, kelisim: Kelisim, demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    spec, docs = _draft(demo_dir, "1.0")
    with kelisim.db.session() as s:
        publish_version(s, "jana-courier", version_from_data(spec, docs,
                        max_document_bytes=1 << 20), kelisim.keys_dir, NOW, kelisim.timing,
                        actor=ACTOR)
    due = NOW + kelisim.timing.ttl - kelisim.timing.resign_before
    with kelisim.db.session() as s:
        [early] = resign(s, None, kelisim.keys_dir, due - timedelta(seconds=1), kelisim.timing,
                         actor=ACTOR)
        [late] = resign(s, ["jana-courier"], kelisim.keys_dir, due, kelisim.timing,
                        actor=ACTOR)
    assert (early.status, early.seq) == ("fresh", 1)
    assert (late.status, late.seq) == ("signed", 2)
    root = verified_root(kelisim.published.root(None).body)  # type: ignore[union-attr]
    with kelisim.db.session() as s:
        row = latest_manifest(s, "jana-courier")
        assert row is not None
        assert verify(row.envelope, root, "manifest", MANIFEST_TYPE)["issued"] == \
            payload_of(row.envelope)["issued"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(UnknownApp), kelisim.db.session() as s:
        resign(s, ["jana-courier", "nosuch"], kelisim.keys_dir, due, kelisim.timing,
               actor=ACTOR, force=True)
    with kelisim.db.session() as s:
        assert latest_manifest(s, "jana-courier").seq == 2  # type: ignore[union-attr]


def test_resolve_deletion_request(kelisim: Kelisim, demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    with kelisim.db.session() as s:
        s.add(Install(id="11111111-1111-4111-8111-111111111111", app_id="jana-courier",
                      created_at="2026-03-01T00:00:00Z"))
        s.flush()
        s.add(DeletionRequest(app_id="jana-courier", request_id="r1",
                              install_id="11111111-1111-4111-8111-111111111111",
                              client_time="2026-03-01T00:00:00Z",
                              server_time="2026-03-01T00:00:00Z", body_hash="0" * 64,
                              deadline="2026-03-31T00:00:00Z", status="open",
                              receipt=b"{}", seq=1, prev_hash="0" * 64,
                              row_hash="1" * 64))
    with pytest.raises(InvalidValue, match="note"), kelisim.db.session() as s:
        resolve(s, "jana-courier", "r1", " ", NOW, ACTOR)
    with pytest.raises(UnknownDeletionRequest), kelisim.db.session() as s:
        resolve(s, "jana-courier", "r2", "done", NOW, ACTOR)
    with pytest.raises(UnknownApp), kelisim.db.session() as s:
        resolve(s, "nosuch", "r1", "done", NOW, ACTOR)
    with kelisim.db.session() as s:
        done = resolve(s, "jana-courier", "r1", " erased the account ", NOW, ACTOR)
        assert (done.status, done.resolution, done.resolved_at) == (
            "resolved", "erased the account", "2026-03-01T12:00:00Z")
    with pytest.raises(AlreadyResolved) as exc, kelisim.db.session() as s:
        resolve(s, "jana-courier", "r1", "again", NOW + timedelta(days=1), ACTOR)
    assert exc.value.resolved_at == "2026-03-01T12:00:00Z"
    with kelisim.db.session() as s:
        assert s.scalars(sa.select(AdminEvent.details).where(
            AdminEvent.action == "deletion.resolve")).all() == [
            {"install_id": "11111111-1111-4111-8111-111111111111", "kind": "deletion",
             "note": "erased the account"}]


def test_every_error_class_has_an_http_status() -> None:
    import server.errors as errors

    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, KelisimError)]
    assert len(classes) > 15
    for cls in classes:
        assert any(base in HTTP_STATUS for base in cls.__mro__), cls
    assert http_status(UnknownApp("x")) == (404, "not_found")
    assert http_status(GuardError("2.0", "minor", ["r"])) == (422, "needs_major")
    assert http_status(SigningError("no key")) == (503, "unavailable")


def test_domain_errors_answer_json(app: Flask) -> None:
    @app.get("/_raise/<kind>")
    def _raise(kind: str) -> str:
        if kind == "app":
            raise UnknownApp("nosuch")
        if kind == "policy":
            raise PolicySourceError(["draft/version.toml: label: missing"])
        raise SigningError("root v1 needs 1 manifest key(s); found 0 in /secret/keys")

    client = app.test_client()
    resp = client.get("/_raise/app")
    assert resp.status_code == 404
    assert resp.get_json() == {"error": {"code": "not_found", "message": "unknown app "
                                         "'nosuch'", "details": {"app_id": "nosuch"}}}
    resp = client.get("/_raise/policy")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"] == {
        "problems": ["draft/version.toml: label: missing"]}
    resp = client.get("/_raise/signing")
    assert resp.status_code == 503 and "/secret" not in resp.get_data(as_text=True)



def test_check_version_gives_the_guard_verdict_without_raising(kelisim: Kelisim,
                                                               demo_dir: Path) -> None:
    _setup(kelisim, demo_dir)
    spec, docs = _draft(demo_dir, "1.0")
    with kelisim.db.session() as s:
        publish_version(s, "jana-courier", version_from_data(spec, docs,
                        max_document_bytes=1 << 20), kelisim.keys_dir, NOW, kelisim.timing,
                        actor=ACTOR)
    spec2, docs2 = _draft(demo_dir, "2.0")
    draft = version_from_data({**spec2, "significance": "patch"}, docs2,
                              max_document_bytes=1 << 20)
    with kelisim.db.session() as s:
        checked = check_version(s, "jana-courier", draft, NOW)
    assert checked.number == 2 and not checked.upcoming
    assert "new vendor 'firebase'" in checked.reasons
    assert checked.body["label"] == "2.0"
    with kelisim.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1

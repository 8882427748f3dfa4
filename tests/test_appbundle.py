"""The one-file app bundle: `kelisim bundle` writes it, `load_bundle` reads its shape,
ConsentClient verifies it exactly as it verifies downloads; `export-static --app`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import server_env
from client_sdk import ConsentClient
from client_sdk.errors import DocumentMismatchError, FormatError, RepositoryError
from client_sdk.protocol.bundle import load_bundle
from livesrv import KELISIM, kelisim

# `kelisim` processes; one worker runs them all (conftest.ONE_WORKER).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("bundle")
    env = server_env(tmp / "instance")
    kelisim(env, "demo-setup")
    return env


@pytest.fixture(scope="module")
def bundle(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "jana-courier.kelisim"
    assert "root, manifest and 5 document(s)" in kelisim(env, "bundle", "jana-courier",
                                                         str(out))
    return out


def test_a_bundle_starts_a_client_offline(bundle: Path, tmp_path: Path) -> None:
    b = load_bundle(bundle)
    assert b.app_id == "jana-courier" and len(b.documents) == 5
    client = ConsentClient.from_bundle("https://offline.invalid", bundle, tmp_path, ("ky",))
    decision = client.decide()
    assert decision.kind.value == "prompt" and decision.locale == "ky"
    assert client.document("ky").startswith("# Jana Courier купуялык саясаты")
    assert load_bundle(bundle.read_bytes()) == b


def test_unknown_app_and_unmigrated_database_are_clean_errors(env: dict[str, str],
                                                              tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run([KELISIM, "bundle", "nope", str(tmp_path / "x.kelisim")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "no app 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x.kelisim").exists()


def _edit(bundle: Path, tmp: Path, change: object) -> Path:
    body = json.loads(bundle.read_text())
    change(body)  # type: ignore[operator]
    out = tmp / "edited.kelisim"
    out.write_text(json.dumps(body, ensure_ascii=False))
    return out


def test_shape_errors_name_the_field(bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown fields \\['extra'\\]"):
        load_bundle(_edit(bundle, tmp_path, lambda b: b.update(extra=1)))
    with pytest.raises(FormatError, match="format must be"):
        load_bundle(_edit(bundle, tmp_path, lambda b: b.update(format_version=2)))
    with pytest.raises(FormatError, match="does not hash to its key"):
        load_bundle(_edit(bundle, tmp_path, lambda b: b["documents"].update(
            {k: v + "!" for k, v in b["documents"].items()})))
    with pytest.raises(FormatError, match="duplicate JSON key"):
        load_bundle(b'{"app": "a", "app": "b"}')
    with pytest.raises(FormatError, match="larger than"):
        load_bundle(bundle, max_bytes=100)


def test_a_tampered_bundle_is_refused_like_a_download(bundle: Path, tmp_path: Path) -> None:
    def forge(b: dict[str, object]) -> None:
        envelope = json.loads(str(b["manifest"]))
        sig = envelope["signatures"][0]["sig"]
        envelope["signatures"][0]["sig"] = ("A" if sig[0] != "A" else "B") + sig[1:]
        b["manifest"] = json.dumps(envelope)

    with pytest.raises(RepositoryError):
        ConsentClient.from_bundle("https://x.invalid", _edit(bundle, tmp_path, forge),
                                  tmp_path / "a")


def test_a_bundle_for_another_app_is_refused(env: dict[str, str], bundle: Path,
                                             tmp_path: Path) -> None:
    def rename(b: dict[str, object]) -> None:
        b["app"] = "other-app"

    with pytest.raises(RepositoryError):
        ConsentClient.from_bundle("https://x.invalid", _edit(bundle, tmp_path, rename),
                                  tmp_path / "c")


def test_export_static_app_exports_one_app(env: dict[str, str], tmp_path: Path) -> None:
    out = kelisim(env, "export-static", "--app", "jana-courier", str(tmp_path / "cdn"))
    assert "1 manifest(s), 8 document(s)" in out
    assert [p.name for p in (tmp_path / "cdn" / "v1" / "apps").iterdir()] == ["jana-courier"]
    import subprocess

    proc = subprocess.run([KELISIM, "export-static", "--app", "nope", str(tmp_path / "x")],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "no app 'nope'" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_mismatched_document_in_a_bundle_is_refused(bundle: Path, tmp_path: Path) -> None:
    """A bundle whose document hashes to its key but is not the manifest's is refused."""
    from client_sdk.protocol.bundle import AppBundle

    b = load_bundle(bundle)
    sha = next(iter(b.documents))
    # Same key, other bytes: load_bundle would catch it; past it, the client must too.
    forged = AppBundle(b.app_id, b.root, b.manifest, {sha: b.documents[sha] + b"x"})
    with pytest.raises(DocumentMismatchError):
        ConsentClient.from_bundle("https://x.invalid", forged, tmp_path / "d")


def test_a_bundle_without_a_document_its_manifest_names_is_refused(
        bundle: Path, tmp_path: Path) -> None:
    """Issue 17 item 25: it was accepted, and the first launch had no Kyrgyz text."""
    import base64

    body = json.loads(bundle.read_text())
    payload = json.loads(base64.b64decode(json.loads(body["manifest"])["payload"]))
    ky = payload["current"]["locales"]["ky"]["sha256"]
    edited = _edit(bundle, tmp_path, lambda b: b["documents"].pop(ky))
    with pytest.raises(FormatError) as err:
        load_bundle(edited)
    assert "'ky' document" in str(err.value) and "current version 2.0" in str(err.value)
    assert err.value.field == "documents (current.locales.ky)"
    with pytest.raises(FormatError, match="'ky' document"):
        ConsentClient.from_bundle("https://x.invalid", edited, tmp_path / "e")
    assert not (tmp_path / "e" / "kelisim.db").exists()


@pytest.mark.parametrize("app_id", ["kz.jana_app", "a" * 64, "0-app.v2_b"])
def test_every_app_id_the_server_takes_is_bundled_and_read(
        env: dict[str, str], tmp_path: Path, app_id: str) -> None:
    """Issue 17 item 24: `kelisim bundle` wrote these with exit 0 and from_bundle refused
    them (FormatError): both sides now check grammar.is_app_id."""
    from builders import DEMO

    app = tmp_path / "policy"
    (app / "1").mkdir(parents=True)
    (app / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', f'id = "{app_id}"', 1))
    for f in (DEMO / "2.0").iterdir():
        (app / "1" / f.name).write_bytes(f.read_bytes())
    kelisim(env, "apps", "create", str(app))
    kelisim(env, "publish", str(app / "1"))
    out = tmp_path / "b.kelisim"
    kelisim(env, "bundle", app_id, str(out))
    assert load_bundle(out).app_id == app_id
    client = ConsentClient.from_bundle("https://offline.invalid", out, tmp_path / "d", ("en",))
    assert client.decide().kind.value == "prompt"
    client.close()


def test_an_id_outside_the_grammar_is_refused_by_the_server_naming_the_field(
        env: dict[str, str], tmp_path: Path) -> None:
    import subprocess

    from builders import DEMO

    app = tmp_path / "policy"
    app.mkdir()
    (app / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', f'id = "{"a" * 65}"', 1))
    proc = subprocess.run([KELISIM, "apps", "create", str(app)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "id: must be a lowercase id" in proc.stderr
    proc = subprocess.run([KELISIM, "bundle", "Bad_App", str(tmp_path / "x.kelisim")],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "not an app id" in proc.stderr
    assert not (tmp_path / "x.kelisim").exists()

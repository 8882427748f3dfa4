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

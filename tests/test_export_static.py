"""`kelisim export-static`: the same bytes in the same URL layout."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from helpers import payload_of


def test_export_matches_http(cli, client: FlaskClient, published: Path,
                             tmp_path: Path) -> None:
    cli("publish", str(published / "2.0"))
    out = tmp_path / "static"
    assert "1 root(s), 1 manifest(s), 8 document(s)" in cli("export-static", str(out)).output
    for path in ("/v1/root.json", "/v1/root/1.json", "/v1/apps/jana-courier/manifest.json"):
        assert (out / path.lstrip("/")).read_bytes() == client.get(path).data
    manifest = payload_of((out / "v1/apps/jana-courier/manifest.json").read_bytes())
    for doc in manifest["current"]["locales"].values():
        assert (out / doc["url"].lstrip("/")).read_bytes() == client.get(doc["url"]).data
    # Exporting again replaces the earlier export in one step.
    cli("root", "rotate")
    cli("export-static", str(out))
    assert (out / "v1/root/2.json").exists()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".static")]
    assert leftovers == []


def test_export_refuses_a_folder_with_other_files(cli, published: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("keep")
    out = cli("export-static", str(target), ok=False).output
    assert "holds more than an earlier export" in out
    assert (target / "index.html").read_text() == "keep"

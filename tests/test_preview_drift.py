"""The console's phone preview and the app's consent screen cannot drift: both are made
from client_sdk.ui.layout's description of the first layer. For one manifest (the demo's
major 3.0, with a new purpose) the texts of the Kivy first layer in a real window under
Xvfb equal the preview's HTML, for a user opening the app for the first time and for one
re-prompted ("what changed" first), in English and Russian. Screenshots go to
test-artifacts/screens/preview-drift/."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from admin_support import password_hash, sign_in
from builders import APP, REPO, new_version, server_env
from client_sdk.protocol.timeutil import parse_time
from client_sdk.ui.strings import STRINGS
from livesrv import kelisim_here
from server.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ARTIFACTS = REPO / "test-artifacts" / "screens" / "preview-drift"
LOCALES = ("en", "ru")


class _Kinds(html.parser.HTMLParser):
    """The text of each element with a ``data-kind`` inside ``#first-layer``, in order;
    a ``<br>`` reads as a space (a line break on the phone)."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.inside = False  # within #first-layer
        self.depth = 0  # element depth within #first-layer
        self.item_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id") == "first-layer":
            self.inside, self.depth = True, 0
            return
        if not self.inside:
            return
        if tag == "br":
            if self.item_depth is not None:
                self.out[-1] += " "
            return
        self.depth += 1
        if "data-kind" in a and self.item_depth is None:
            self.item_depth = self.depth
            self.out.append("")

    def handle_endtag(self, tag: str) -> None:
        if not self.inside or tag == "br":
            return
        if self.depth == 0:
            self.inside = False
            return
        if self.item_depth == self.depth:
            self.item_depth = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.item_depth is not None:
            self.out[-1] += data


def html_texts(page: str) -> list[str]:
    parser = _Kinds()
    parser.feed(page)
    return [" ".join(t.split()) for t in parser.out]


_MARKUP = re.compile(r"\[/?(?:b|i|u|s|color|ref|font|size|sub|sup|anchor)(?:=[^\]]*)?\]")


def kivy_texts(texts: list[str]) -> list[str]:
    """Kivy label markup to the text it draws."""
    plain = [_MARKUP.sub("", t).replace("&bl;", "[").replace("&br;", "]")
             .replace("&amp;", "&") for t in texts]
    return [" ".join(t.split()) for t in plain]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo (2.0 in force) bundled; a copy of the instance taken then; the major 3.0
    published on the original and bundled; the copy's console previews 3.0 as a draft, its
    clock at the moment 3.0 took effect (the same version date on both sides)."""
    tmp = tmp_path_factory.mktemp("drift")
    env = server_env(tmp / "instance")
    kelisim_here(env, "demo-setup")
    before, after = tmp / "before.kelisim", tmp / "after.kelisim"
    kelisim_here(env, "bundle", APP, str(before))
    shutil.copytree(tmp / "instance", tmp / "console")
    major = new_version(tmp / "p", "3.0", "major", "New purpose", extra_purpose=True)
    kelisim_here(env, "publish", str(major), "--app", APP)
    kelisim_here(env, "bundle", APP, str(after))
    return {"before": str(before), "after": str(after), "major": major,
            "previews": _previews(tmp / "console", major, tmp / "instance")}


def _previews(console: Path, folder: Path, published: Path) -> dict[str, str]:
    import tomllib

    from server.admin.models import AdminUser, Draft
    from server.models import PolicyVersion

    shown = sa.create_engine(f"sqlite:///{published / 'kelisim.db'}")
    with shown.connect() as conn:
        effective = conn.execute(sa.select(PolicyVersion.effective).where(
            PolicyVersion.label == "3.0")).scalar_one()
    shown.dispose()
    app = create_app({"INSTANCE_PATH": str(console), "TESTING": True})
    k = app.extensions["kelisim"]
    k.clock = lambda: parse_time(effective)
    spec = tomllib.loads((folder / "version.toml").read_text())
    with k.db.session() as s:
        user = AdminUser(email="publisher@example.com", role="publisher",
                         password_hash=password_hash("a long enough password"),
                         must_change_password=False, disabled=False, session_generation=1,
                         created_at=effective)
        draft = Draft(app_id=APP, base_number=None, spec=spec, app_meta=None, notes="",
                      documents={doc.stem: doc.read_text() for doc in folder.glob("*.md")},
                      status="open", created_by=user.email, created_at=effective,
                      updated_at=effective)
        s.add_all([user, draft])
        s.flush()
        user_id, draft_id = user.id, draft.id
    client = app.test_client()
    sign_in(client, k, user_id)
    out = {}
    for tag in LOCALES:
        for case in ("first", "update"):
            resp = client.get(f"/admin/drafts/{draft_id}/preview?locale={tag}&case={case}")
            assert resp.status_code == 200, resp.get_data(True)[:2000]
            out[f"{case}-{tag}"] = resp.get_data(True)
    k.db.dispose()
    return out


@pytest.fixture(scope="module")
def shown(display: str, made: dict[str, Any]) -> dict[str, Any]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO), "TZ": "Asia/Almaty"}
    cfg = {"before": made["before"], "after": made["after"], "locales": list(LOCALES)}
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "ui" / "driver.py"),
                           str(ARTIFACTS), "preview_drift", json.dumps(cfg)], env=env,
                          capture_output=True, text=True, timeout=600)
    result_file = ARTIFACTS / "result.json"
    assert result_file.exists(), f"driver failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in result, result["error"]
    assert not result.get("timeouts"), result["timeouts"]
    return result


@pytest.mark.parametrize("case", ["first", "update"])
@pytest.mark.parametrize("tag", LOCALES)
def test_the_preview_shows_what_the_phone_shows(shown: dict[str, Any], made: dict[str, Any],
                                                tag: str, case: str) -> None:
    page = made["previews"][f"{case}-{tag}"]
    (ARTIFACTS / f"preview-{case}-{tag}.html").write_text(page)
    phone = kivy_texts(shown[f"{case}-{tag}"]["texts"])
    preview = html_texts(page)
    assert preview == phone
    # Not two empty lists: the layer, its "what changed" on a re-prompt, three buttons.
    reasons = shown[f"{case}-{tag}"]["reasons"]
    assert reasons == (["first_launch"] if case == "first" else ["significant_change"])
    summary = f"New purpose ({tag})"
    assert any(summary in t for t in phone) == (case == "update")
    words = STRINGS[tag]
    assert phone[-3:] == [words["decline"], words["only_required"], words["accept_all"]]
    assert len(phone) > 15

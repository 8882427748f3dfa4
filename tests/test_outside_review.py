"""What the outside review of turn 4 found (an attacker's and a newcomer's walk through the
new console, operator API, importer, store labels and log library), one test each."""

from __future__ import annotations

import os
import shutil
import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tlogsim import note_signer

from builders import DEMO
from client_sdk.errors import FormatError
from client_sdk.protocol.tlog.checkpoint import parse_checkpoint
from livesrv import demo_server
from server.admin.drafts import parse_toml
from server.admin.tomltext import dumps
from server.errors import InvalidValue, LabelError, PolicySourceError
from server.policy.importing.controller import find_controller
from server.policy.labelfiles import read_play_csv
from server.policy.publish import build_version_body
from server.policy.source import load_app_dir, load_version_dir


def _demo_version(tmp_path: Path, edit: dict[str, str]) -> Path:
    d = tmp_path / "2.0"
    shutil.copytree(DEMO / "2.0", d)
    toml = (d / "version.toml").read_text()
    for old, new in edit.items():
        assert old in toml
        toml = toml.replace(old, new)
    (d / "version.toml").write_text(toml)
    return d


@pytest.mark.parametrize(("edit", "code"), [
    ({"third_party_transfer = true": "third_party_transfer = false"},
     "third_party_contradiction"),
    ({"cross_border_transfer = true": "cross_border_transfer = false"},
     "cross_border_contradiction"),
])
def test_a_version_cannot_share_with_vendors_and_deny_transfers(
        tmp_path: Path, edit: dict[str, str], code: str) -> None:
    """Newcomer: purposes shared with Firebase (US) while the flags said "not transferred
    to third parties / abroad" published, and the first layer said both."""
    meta = load_app_dir(DEMO)
    good = load_version_dir(DEMO / "2.0", 1 << 20)
    build_version_body(meta, good, 2, 2, "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z",
                       summaries_required=False)
    bad = load_version_dir(_demo_version(tmp_path, edit), 1 << 20)
    with pytest.raises(PolicySourceError) as exc:
        build_version_body(meta, bad, 2, 2, "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z",
                           summaries_required=False)
    codes = [getattr(p, "code", "") for p in exc.value.problems]
    assert codes == [code], exc.value.problems
    assert "firebase" in str(exc.value.problems[0])


def test_del_in_a_name_still_makes_valid_toml() -> None:
    """Attacker: an app named with U+007F made every later draft's app.toml unreadable."""
    text = dumps({"name": "Evil\x7fApp", "controller": {"address": "a\x7f\"b\nc"}})
    assert "\x7f" not in text
    assert tomllib.loads(text) == {"name": "Evil\x7fApp",
                                   "controller": {"address": "a\x7f\"b\nc"}}


def test_toml_nested_thousands_deep_is_a_named_error() -> None:
    """Attacker: 3,000 nested arrays in a TOML box raised RecursionError (a 500)."""
    with pytest.raises(PolicySourceError) as exc:
        parse_toml("apple = " + "[" * 3000, "purposes", "purposes_toml")
    assert getattr(exc.value.problems[0], "field", "") == "purposes_toml"


def test_controller_e_mail_found_and_a_long_word_is_not_one() -> None:
    """Attacker: the e-mail pattern rescanned a long run of letters from every position
    (400,000 letters took minutes); now bounded, it still finds addresses."""
    text = "Контакт: dpo@jana.kz.\n" + "a" * 300_000 + "\n"
    found = find_controller({"en": text})
    assert found["email"].value == "dpo@jana.kz"


def test_checkpoint_of_wrong_type_is_a_format_error() -> None:
    for value in (None, 5, b"x\n"):
        with pytest.raises(FormatError):
            parse_checkpoint(value)  # type: ignore[arg-type]


def test_play_template_with_a_huge_field_is_refused() -> None:
    data = ("Question ID (machine readable),Response ID (machine readable),Response value,"
            "Answer requirement,Human-friendly question label\n"
            + "x" * 200_000 + ",a,b,c,d\n").encode()
    with pytest.raises(LabelError):
        read_play_csv(data, "template.csv")


def test_label_check_refuses_symlinks(tmp_path: Path) -> None:
    from server.cli.labels import _read

    target = tmp_path / "secret"
    target.write_text("root:x:0:0\n")
    link = tmp_path / "PrivacyInfo.xcprivacy"
    os.symlink(target, link)
    with pytest.raises(InvalidValue, match="symbolic link"):
        _read(link)


@pytest.mark.slow
def test_raw_unicode_in_a_query_string_is_not_a_500(tmp_path: Path) -> None:
    """Attacker: ``?ж`` sent as raw UTF-8 bytes (as curl sends it) gave a 500 on every
    route; the server's log must hold no traceback either (demo_server checks)."""
    with demo_server(tmp_path) as served:
        port = int(served["url"].rsplit(":", 1)[1])
        for path in ("/healthz?\u0436", "/v1/apps/jana-courier/operator/requests?limit=\u0663",
                     "/admin/login?x=\u0663"):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             f"Connection: close\r\n\r\n".encode())
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            status = int(answer.split(b" ", 2)[1])
            assert status < 500, (path, answer[:300])


def test_cli_inputs_of_the_second_review_are_clear_errors(cli: Any, published: Path,
                                                          tmp_path: Path) -> None:
    """A huge version number, a root file that never ends and a URL urllib cannot parse:
    a one-line error each (catch_exceptions=False: a traceback would raise here)."""
    out = cli("labels", "jana-courier", "--version", "9" * 20, "--out", str(tmp_path / "l"),
              ok=False).output
    assert "--version" in out and "Traceback" not in out
    proof = tmp_path / "p.json"
    proof.write_text("{}")
    out = cli("proof", "verify", str(proof), "--root", "/dev/zero", ok=False).output
    assert "--root /dev/zero: larger than 1048576 bytes" in out
    out = cli("proof", "verify", str(tmp_path / "missing"), "--root", "/dev/zero",
              ok=False).output
    assert "proof file" in out and "No such file" in out
    vkey = note_signer("log.test").verifier.vkey()
    out = cli("log", "audit", "--origin", "o", "--key", vkey, "http://[::1", ok=False).output
    assert "not a usable URL" in out

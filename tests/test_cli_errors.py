"""Every command answers a user error with one clear line and changes nothing.

Each case runs against a server with keys, the demo app and its version 1.0; the database
rows and the files in the instance folder must be exactly as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from minipdf import make_pdf

from server import Kelisim
from server.models import Base

# Each case: the arguments (built from the demo folder and a scratch folder) and a part of
# the message the user must see.
Case = tuple[Callable[[Path, Path], list[str]], str]
CASES: dict[str, Case] = {
    "db upgrade": (lambda d, t: ["db", "upgrade", "--revision", "bogus"],
                   "--revision: Can't locate revision identified by 'bogus'"),
    "db downgrade": (lambda d, t: ["db", "downgrade", "bogus"], "REVISION: Can't locate"),
    "keys init": (lambda d, t: ["keys", "init"], "a root exists already"),
    "root show": (lambda d, t: ["root", "show", "--version", "9"], "no root version 9"),
    "root rotate threshold": (lambda d, t: ["root", "rotate", "--root-threshold", "9"],
                              "--root-threshold must be between 1 and 1"),
    "root rotate open key": (lambda d, t: ["root", "rotate", "--root-key", str(t / "open.pem")],
                             "are too open; run `chmod 600"),
    "apps create no toml": (lambda d, t: ["apps", "create", str(t)], "app.toml: file not found"),
    "apps create twice": (lambda d, t: ["apps", "create", str(d)],
                          "exists already; to change its controller"),
    "publish again": (lambda d, t: ["publish", str(d / "1.0")], "is published already"),
    "publish unknown app": (lambda d, t: ["publish", str(d / "2.0"), "--app", "nosuch"],
                            "unknown app 'nosuch'"),
    "publish empty reason": (lambda d, t: ["publish", str(d / "2.0"), "--override-reason", " "],
                             "override_reason: must say why"),
    "versions list": (lambda d, t: ["versions", "list", "nosuch"], "unknown app 'nosuch'"),
    "resign": (lambda d, t: ["resign", "jana-courier", "nosuch"], "unknown app 'nosuch'"),
    "import locale": (lambda d, t: ["import", str(d / "1.0" / "kk.md"), "--app", "x",
                                    "--locale", "zz"], "--locale 'zz'"),
    "import binary": (lambda d, t: ["import", str(t / "binary.txt"), "--app", "x"],
                      "not UTF-8"),
    "import scanned pdf": (lambda d, t: ["import", str(t / "scan.pdf"), "--app", "x",
                                         "--out", str(t / "v")], "no text layer"),
    "import unwritable out": (lambda d, t: ["import", str(d / "1.0" / "kk.md"), "--app", "x",
                                            "--out", str(t / "a-file" / "v")],
                              "cannot write"),
    "export-static": (lambda d, t: ["export-static", str(t / "a-file" / "out")],
                      "cannot write beside it"),
    "audit verify": (lambda d, t: ["audit", "verify", "nosuch"], "unknown app 'nosuch'"),
    "consents export": (lambda d, t: ["consents", "export", "nosuch"], "unknown app 'nosuch'"),
    "consents since": (lambda d, t: ["consents", "export", "jana-courier", "--since", "today"],
                       "--since: 'today' is not an RFC 3339"),
    "stats": (lambda d, t: ["stats", "nosuch"], "unknown app 'nosuch'"),
    "deletions list": (lambda d, t: ["deletions", "list", "nosuch"], "unknown app 'nosuch'"),
    "deletions resolve": (lambda d, t: ["deletions", "resolve", "jana-courier", "r1", "--note",
                                        "done"], "no deletion request 'r1' for jana-courier"),
    "demo-setup": (lambda d, t: ["demo-setup", "--policy-dir", str(t)],
                   "app.toml: file not found"),
    "serve": (lambda d, t: ["serve", "--port", "99999"], "99999 is not in the range"),
}


def _snapshot(k: Kelisim) -> tuple[dict[str, list[str]], list[str]]:
    rows: dict[str, list[str]] = {}
    with k.db.session() as s:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted(repr(tuple(r)) for r in s.execute(sa.select(table)))
    instance = Path(k.settings.instance_path)
    files = sorted(str(p.relative_to(instance)) for p in instance.rglob("*")
                   if "kelisim.db" not in p.name)
    return rows, files


@pytest.mark.parametrize("name", sorted(CASES))
def test_user_error_is_one_line_and_changes_nothing(name: str, cli, published: Path,
                                                    kelisim: Kelisim, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (scratch / "a-file").write_text("not a folder")
    (scratch / "scan.pdf").write_bytes(make_pdf([[], []]))
    key = next(kelisim.keys_dir.glob("root-*.pem"))
    (scratch / "open.pem").write_bytes(key.read_bytes())
    os.chmod(scratch / "open.pem", 0o644)
    args, expected = CASES[name][0](published, scratch), CASES[name][1]
    before = _snapshot(kelisim)
    result = cli(*args, ok=False)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    assert lines[-1].startswith("Error: ") and expected in lines[-1], result.output
    assert result.exit_code in (1, 2)
    assert _snapshot(kelisim) == before


def test_unwritable_keys_dir_stores_no_root(cli, kelisim: Kelisim, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    kelisim.settings.keys_dir = str(tmp_path / "a-file" / "keys")
    result = cli("keys", "init", ok=False)
    assert result.output.startswith("Error: ") and "cannot write a key file" in result.output
    assert "Traceback" not in result.output
    assert "no such root" in cli("root", "show", ok=False).output

"""The node file: what a second node needs from the first, in one private file.

Nodes behind one load balancer share one PostgreSQL database, and they must also share:

- the online private keys the root in force names: the **receipt** key(s) (a node without
  them answers every sync ``503``) and the **manifest** key(s) (to re-sign manifests
  before they expire); never the root's keys, which belong offline;
- the **log** key(s) the root lists (a node without them answers every sync ``503``: no
  record is stored without its place in the transparency log);
- the deployment's **subject key** (``KEYS_DIR/subject-hmac.key``: a node with another
  would give the same user another subject) and **webhook key** (``<instance>/webhook_key``,
  unless WEBHOOK_KEY is set: a node with another cannot open the endpoints' secrets);
- the **secret keys** (SECRET_KEY: install tokens, console sessions, CSRF): a node with
  another secret refuses every other node's tokens (``401``), and the SDK registers the
  install again, splitting a user's history;
- the **configuration** that decides answers (DATABASE_URL, TTLs, limits...); what is the
  node's own (INSTANCE_PATH, KEYS_DIR, HOST, PORT, WORKERS, WORKER_THREADS) is not copied.

:func:`export_node` writes them to one JSON file (0600, never over an existing one);
:func:`import_node` writes them where this node's configuration says (keys 0600 in
KEYS_DIR, ``<instance>/secret_key`` 0600, ``<instance>/config.toml``), refusing to
replace any file that differs, and says what it wrote.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from client_sdk.protocol.timeutil import format_time
from server.config import DEFAULTS, Settings, ensure_secret_keys, make_instance_folder
from server.consent.subjects import KEY_FILE as SUBJECT_KEY_FILE
from server.consent.subjects import subject_key
from server.errors import ExportError, InvalidValue, StateConflict
from server.files import write_private_file
from server.trust.keys import find_key
from server.trust.log_keys import log_keyid
from server.trust.rootstore import LoadedRoot
from server.webhooks.secrets import webhook_key

__all__ = ["FORMAT", "NODE_LOCAL", "Imported", "check_shared_database", "export_node",
           "import_node", "read_node_file"]

FORMAT = "kelisim-node/1"
# Each node's own: never copied to another.
NODE_LOCAL = {"INSTANCE_PATH", "KEYS_DIR", "HOST", "PORT", "WORKERS", "WORKER_THREADS",
              "SECRET_KEY"}


def _shared_config(settings: Settings) -> dict[str, Any]:
    """The settings another node must share: those that differ from the defaults."""
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = getattr(settings, key.lower())
        if key not in NODE_LOCAL and value != default:
            out[key] = value
    return out


def check_shared_database(settings: Settings) -> None:
    """Raises: ExportError: the database is not one that nodes can share (SQLite)."""
    if not settings.database_url.startswith("postgresql"):
        raise ExportError(f"this node's database is SQLite ({settings.database_url}), a file "
                          f"on this host: nodes share one PostgreSQL database "
                          f"(KELISIM_DATABASE_URL, docs/operations.md)")


def export_node(settings: Settings, root: LoadedRoot, out: Path, now: datetime) -> list[str]:
    """Write the node file ``out``; return the names of the keys in it.

    Raises:
        ExportError: ``out`` exists, the database is a file of this host (SQLite), or a
            key the root names is not here.
    """
    check_shared_database(settings)
    if out.exists():
        raise ExportError(f"{out} exists; the node file is never written over one", out)
    keys: dict[str, str] = {}
    keys_dir = Path(settings.keys_dir)
    for role in ("manifest", "receipt"):
        for keyid in root.root.roles[role].keyids:
            key = find_key(keyid, [keys_dir])
            if key is None or key.path is None:
                raise ExportError(f"{keys_dir} lacks {role}-{keyid}.pem, which root "
                                  f"v{root.version} names: export from a node that has it",
                                  keys_dir)
            keys[key.path.name] = key.path.read_text()
    spec = root.root.log
    held = [k for k in (find_key(log_keyid(v), [keys_dir]) for v in (spec.keys if spec else ()))
            if k is not None and k.path is not None]
    if spec is not None and not held:
        raise ExportError(f"{keys_dir} lacks the log key root v{root.version} names: export "
                          f"from a node that has it", keys_dir)
    keys.update({k.path.name: k.path.read_text() for k in held if k.path is not None})
    document = {"format": FORMAT, "from": socket.gethostname(), "written": format_time(now),
                "root_version": root.version, "config": _shared_config(settings),
                "secret_keys": ensure_secret_keys(settings), "keys": keys,
                "deployment_keys": _deployment_keys(settings)}
    try:
        write_private_file(out, json.dumps(document, indent=1).encode())
    except FileExistsError:
        raise ExportError(f"{out} exists; the node file is never written over one",
                          out) from None
    return sorted(keys)


def _deployment_keys(settings: Settings) -> dict[str, str]:
    """The subject key and the webhook key file (made here first if this node has none),
    as their files hold them."""
    subject_key(Path(settings.keys_dir))
    out = {SUBJECT_KEY_FILE: (Path(settings.keys_dir) / SUBJECT_KEY_FILE).read_text()}
    if not settings.webhook_key:  # else WEBHOOK_KEY is set on each node, as configured
        webhook_key(settings)
        out["webhook_key"] = (Path(settings.instance_path) / "webhook_key").read_text()
    return out


def read_node_file(path: Path) -> dict[str, Any]:
    """The node file's content.

    Raises:
        InvalidValue: not a node file (this format).
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidValue(str(path), f"cannot read a node file ({exc})") from None
    ok = (isinstance(doc, dict) and doc.get("format") == FORMAT
          and isinstance(doc.get("keys"), dict) and isinstance(doc.get("config"), dict)
          and isinstance(doc.get("secret_keys"), list) and doc["secret_keys"]
          and all(isinstance(k, str) and k.strip() and "\n" not in k
                  for k in doc["secret_keys"]))
    if not ok:
        raise InvalidValue(str(path), f"not a {FORMAT} file (written by `kelisim node "
                                      f"export`)")
    for name in doc["keys"]:
        if "/" in name or not name.endswith(".pem") or \
                not name.startswith(("manifest-", "receipt-", "log-")):
            raise InvalidValue(str(path), f"unexpected key file name {name!r}")
    deployment = doc.get("deployment_keys", {})  # absent in files of before the log
    if not isinstance(deployment, dict) or any(
            name not in (SUBJECT_KEY_FILE, "webhook_key") or not isinstance(text, str) or
            len(text.strip()) != 64 or any(c not in "0123456789abcdef" for c in text.strip())
            for name, text in deployment.items()):
        raise InvalidValue(str(path), "deployment_keys: the subject and webhook keys, 64 hex "
                                      "digits each")
    checked: dict[str, Any] = doc
    return checked


def _toml(config: Mapping[str, Any]) -> str:
    lines = ["# Shared with the other nodes (kelisim node import); see docs/configuration.md"]
    for key, value in sorted(config.items()):
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        elif isinstance(value, list):
            text = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        else:  # a JSON string is a TOML basic string
            text = json.dumps(str(value), ensure_ascii=False)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


@dataclass
class Imported:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)


def import_node(settings: Settings, path: Path) -> Imported:
    """Write the node file's keys, secret and configuration for this node.

    Raises:
        InvalidValue: ``path`` is not a node file.
        StateConflict: a file it would write exists with other content, or SECRET_KEY is
            set here to other keys; nothing was written.
    """
    doc = read_node_file(path)
    instance = Path(settings.instance_path)
    files: dict[Path, bytes] = {
        Path(settings.keys_dir) / name: pem.encode() for name, pem in doc["keys"].items()}
    for name, text in doc.get("deployment_keys", {}).items():
        folder = settings.keys_dir if name == SUBJECT_KEY_FILE else settings.instance_path
        files[Path(folder) / name] = text.encode()
    secrets = [str(k) for k in doc["secret_keys"]]
    if settings.secret_key:
        if settings.secret_key != secrets:
            raise StateConflict("SECRET_KEY is set on this node to other keys than the "
                                "node file's: set it to the same list, or unset it to use "
                                "the node file's")
    else:
        files[instance / "secret_key"] = ("\n".join(secrets) + "\n").encode()
    if doc["config"]:
        files[instance / "config.toml"] = _toml(doc["config"]).encode()
    done = Imported()
    conflicts = []
    for target, data in files.items():
        if target.exists():
            same = target.read_bytes().split() == data.split() if target.name == \
                "secret_key" else target.read_bytes() == data
            (done.unchanged.append(target) if same else conflicts.append(str(target)))
    if conflicts:
        raise StateConflict("these files exist with other content; nothing was written: "
                            + ", ".join(conflicts) + " (move them away if this node "
                            "should take the node file's)")
    make_instance_folder(instance)
    for target, data in files.items():
        if target not in done.unchanged:
            write_private_file(target, data)
            done.written.append(target)
    return done

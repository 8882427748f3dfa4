"""What several test modules build the same way: paths, the settings that turn rate limits
off, the environment of a `kelisim` process, consent records as an app sends them, installs
through the sync API, and hostile JSON bodies.

Fixtures are not here: tests/conftest.py provides them (pytest finds them there).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import sqlalchemy as sa
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo_app" / "policy" / "jana-courier"
# The real policies beside the repository (optional: tests that read them skip without).
POLICIES = REPO.parent / "shared" / "policies"

APP = "jana-courier"

# Rate limits off: for tests whose many requests from one address or install are the
# point, not abuse. As configuration keys (add ``KELISIM_`` for a process's environment).
RATE_LIMITS_OFF = {"RATE_LIMIT_IP": "off", "RATE_LIMIT_INSTALL": "off"}


def server_env(instance: Path | str, database_url: str | None = None,
               **keys: str) -> dict[str, str]:
    """The environment of a `kelisim` command or server on ``instance``: this process's
    environment, the database ``database_url`` (the instance's SQLite file when None) and
    each of ``keys`` as ``KELISIM_<key>``, e.g. ``server_env(path, url, **RATE_LIMITS_OFF)``."""
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(instance)}
    if database_url:
        env["KELISIM_DATABASE_URL"] = database_url
    else:
        env.pop("KELISIM_DATABASE_URL", None)
    env.update({f"KELISIM_{k}": str(v) for k, v in keys.items()})
    return env


class Clock:
    """A settable clock: ``clock.now`` is what it tells."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def new_version(base: Path, label: str, significance: str, summary: str, *,
                extra_purpose: bool = False, effective: str | None = None) -> Path:
    """A version folder ``base/label`` made from the demo's 2.0: its label, significance
    and summary changed, a line added to each document; optionally an ``effective`` date
    and a fourth, optional purpose (marketing)."""
    d = base / label
    shutil.copytree(DEMO / "2.0", d)
    toml = (d / "version.toml").read_text()
    toml = toml.replace('label = "2.0"', f'label = "{label}"').replace(
        'significance = "major"', f'significance = "{significance}"')
    for tag in ("kk", "ru", "en"):
        start = toml.index(f"\n{tag} = ", toml.index("[summary]"))
        end = toml.index("\n", start + 1)
        toml = toml[:start] + f'\n{tag} = "{summary} ({tag})"' + toml[end:]
        (d / f"{tag}.md").write_text((d / f"{tag}.md").read_text() + f"\n{label}\n")
    if effective:
        toml = f"effective = {effective}\n" + toml
    if extra_purpose:
        toml += ('\n[[purposes]]\nid = "marketing"\nrequired = false\ndata = ["contact"]\n'
                 'vendors = []\ntitle = { kk = "Жарнама", ru = "Реклама", en = "Marketing", '
                 'uz = "Reklama", ky = "Жарнама" }\n'
                 'description = { kk = "Жаңалықтар", ru = "Новости", en = "News", '
                 'uz = "Yangiliklar", ky = "Жаңылыктар" }\n')
    (d / "version.toml").write_text(toml)
    return d


def record(manifest: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A consent record as the SDK sends it: accepting ``manifest``'s current version in
    Kazakh, the required purposes granted; ``kw`` replaces fields."""
    cur = manifest["current"]
    r = {"id": str(uuid.uuid4()), "action": "accept", "version": cur["version"],
         "document_sha256": cur["locales"]["kk"]["sha256"], "locale": "kk",
         "purposes": {p["id"]: p["required"] for p in cur["purposes"]},
         "evidence": {"scrolled_to_end": True, "seconds_on_screen": 30},
         "age_confirmed": True, "guardian": None, "client_time": manifest["issued"],
         "manifest_seq": manifest["seq"]}
    r.update(kw)
    return r


def install(client: FlaskClient, app: str = APP) -> tuple[str, dict[str, str]]:
    """Register an install through the sync API: its id and its Authorization header."""
    resp = client.post(f"/v1/apps/{app}/installs")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body["install_id"], {"Authorization": f"Bearer {body['token']}"}


def counts(k: Any) -> dict[str, int]:
    """Rows of each table a sync request may write (a refused request writes none)."""
    from server.models import ConsentRecord, DeletionRequest, Install, Receipt

    with k.db.session() as s:
        return {m.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(m)) or 0
                for m in (ConsentRecord, DeletionRequest, Install, Receipt)}


# -- hostile JSON bodies ----------------------------------------------------------------------
# JSON *text*, so that what json.dumps cannot write is generated too: integers of thousands
# of digits, lone surrogates (st.characters includes category Cs), floats, deep nesting.
_strings = st.text(st.characters(codec=None), max_size=20).map(json.dumps)
_scalars = st.one_of(
    st.sampled_from(["null", "true", "false", "0", "-1", "2147483648", "1e3", "1.5"]),
    st.integers().map(str),
    st.integers(4000, 6000).map(lambda n: "1" + "0" * n),
    _strings,
)
json_text = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
    st.lists(st.tuples(_strings, inner), max_size=4).map(
        lambda kv: "{" + ",".join(f"{k}:{v}" for k, v in kv) + "}"),
), max_leaves=12)


# Values near each rule's edge: they reach the checks that random JSON rarely passes.
EDGES = [json.dumps(v) for v in [
    None, True, 0, 1, 86400, 86401, 2**31 - 1, 2**31, -1, "", "kk", "kk\n", "uz-Cyrl",
    "2025-02-30T00:00:00Z", "2025-11-01T09:30:00Z", "2025-11-01T09:30:00Z\n", "ab" * 32,
    str(uuid.UUID(int=1)), str(uuid.UUID(int=1)) + "\n", "accept", "withdraw",
    ["first_layer", "purposes"], ["purposes", "purposes"], ["full_text"] * 4,
    {"first_layer": 3}, {"first_layer": True}, {"delivery": True}, {"Delivery": True},
    {"name": "A"}, {"name": ""}, {"name": "A", "relation": "x" * 101}, [], {},
]]


def _object(fields: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}"


@st.composite
def near_valid(draw: st.DrawFn, valid: dict[str, Any]) -> str:
    """``valid`` as JSON text with some fields dropped, replaced or added."""
    fields = {k: json.dumps(v) for k, v in valid.items()}
    keys = st.lists(st.sampled_from(sorted(valid)), max_size=3, unique=True) if valid else \
        st.just([])
    for key in draw(keys):
        action = draw(st.sampled_from(["drop", "replace", "replace"]))
        if action == "drop":
            del fields[key]
        else:
            fields[key] = draw(st.one_of(json_text, st.sampled_from(
                EDGES + [json.dumps(v) for v in valid.values()])))
    if draw(st.booleans()) and draw(st.booleans()):
        fields[draw(st.text(max_size=8))] = draw(json_text)
    return _object(fields)


def older_store_deletion(data: Path, url: str, root: bytes, manifest: bytes) -> str:
    """A client store at ``data`` as an SDK before requests of every kind left it (no
    requests table, schema 2) with a deletion request in its outbox (no withdraw choice:
    sent to /deletion-requests); returns the request's id."""
    import sqlite3

    from client_sdk import ConsentClient

    client = ConsentClient(url, APP, root, data, bundled_manifest=manifest)
    old = client.request_deletion()
    client.close()
    db = sqlite3.connect(data / "kelisim.db")
    db.executescript("DROP TABLE requests; PRAGMA user_version=2;")
    db.close()
    return old.id

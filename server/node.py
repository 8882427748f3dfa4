"""What a node needs to accept a record: checked before it starts and by ``/healthz``.

A node serves public reads from what it holds, but to accept consent records it needs a
database it can write, the root in force, the receipt key(s) that root names (to sign
receipts), the manifest key(s) (to re-sign manifests before they expire), the secret
keys that signed the install tokens other nodes gave out, and disk space. docs/
operations.md ("What a node needs") lists the same.

- :func:`start_problems`: what is missing, each named with what to do, for `kelisim
  serve` and the WSGI entry to refuse to start; :func:`secret_problem` for the one thing
  create_app must check before it would generate a secret of its own.
- :class:`Readiness`: the same checks for ``/healthz`` (and a write to the database that
  changes nothing), at most every :data:`PROBE_INTERVAL` seconds per process (a flood of
  health checks costs no more than that), logged once per change.
- :func:`root_key_warning`: the root's private key left in KEYS_DIR.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text, update

from server.config import Settings
from server.db import Database
from server.errors import DatabaseBusy, DatabaseUnavailable, KeyFileError, Unavailable
from server.models import Generation
from server.trust.keys import role_signers
from server.trust.rootstore import LoadedRoot, current_root

__all__ = ["PROBE_INTERVAL", "Readiness", "key_problems", "root_key_files",
           "root_key_warning", "secret_problem", "start_problems"]

log = logging.getLogger(__name__)

# Seconds between two write probes of the database by /healthz in one process.
PROBE_INTERVAL = 2.0
_MIB = 1024 * 1024
_NODE_HELP = ("copy it from a node that has it: `kelisim node export FILE` there, "
              "`kelisim node import FILE` here (docs/operations.md, \"Two nodes\")")


def key_problems(root: LoadedRoot, keys_dir: Path) -> dict[str, str]:
    """Per role (``receipt_key``, ``manifest_key``): what this node lacks to sign as the
    root ``root`` says, naming the files it looked for (for the log and the CLI)."""
    problems: dict[str, str] = {}
    for role in ("receipt", "manifest"):
        spec = root.root.roles[role]
        try:
            found = role_signers(root.root, role, keys_dir)
        except KeyFileError as exc:
            problems[f"{role}_key"] = str(exc)
            continue
        if len(found) < spec.threshold:
            wanted = ", ".join(f"{role}-{kid}.pem" for kid in spec.keyids)
            problems[f"{role}_key"] = (
                f"{keys_dir} lacks the {role} key root v{root.version} names ({wanted}; "
                f"{spec.threshold} needed, {len(found)} found): {_NODE_HELP}")
    return problems


def root_key_files(keys_dir: Path) -> list[Path]:
    """The root's private key files left in ``keys_dir``."""
    return sorted(keys_dir.glob("root-*.pem")) if keys_dir.is_dir() else []


def root_key_warning(settings: Settings) -> str | None:
    """One line saying that KEYS_DIR holds the root's private key, unless it does not or
    ROOT_KEY_ONLINE_OK acknowledges it."""
    files = root_key_files(Path(settings.keys_dir))
    if not files or settings.root_key_online_ok:
        return None
    names = ", ".join(f.name for f in files)
    return (f"warning: {settings.keys_dir} holds the root's private key ({names}); move it "
            f"offline (docs/security.md, \"Keys\") and pass it to `kelisim root rotate "
            f"--root-key` when needed, or set ROOT_KEY_ONLINE_OK = true to keep it here")


def secret_problem(settings: Settings, db: Database) -> str | None:
    """Why this node must not generate a secret key of its own, or None.

    Called only when no SECRET_KEY is configured and ``<instance>/secret_key`` does not
    exist. If the database holds installs, another node signed their tokens: a new secret
    here would refuse them all (401) and split each user's history over new installs.
    """
    try:
        with db.session(readonly=True) as s:
            found = s.execute(text("SELECT 1 FROM installs LIMIT 1")).first()
    except Unavailable:
        return ("no secret key here, and the database is unavailable to tell whether other "
                "nodes gave out install tokens; start again when it answers")
    except Exception:  # no installs table yet: a new database
        return None
    if found is None:
        return None
    path = Path(settings.instance_path) / "secret_key"
    return (f"no secret key ({path} is missing and SECRET_KEY is not set), but the database "
            f"holds installs whose tokens another node signed: a new secret would refuse "
            f"them all. Use that node's secret: {_NODE_HELP}, or set SECRET_KEY")


def start_problems(settings: Settings, db: Database) -> list[str]:
    """What this node lacks to accept records, one message each, naming what to do.

    Raises:
        Unavailable: the database cannot tell (the caller decides whether to start).
    """
    if not db.is_current():
        return ["the database is not migrated; run `kelisim db upgrade`"]
    problems = []
    if not settings.secret_key and not (Path(settings.instance_path) / "secret_key").exists():
        problem = secret_problem(settings, db)
        if problem is not None:
            problems.append(problem)
    with db.session(readonly=True) as s:
        root = current_root(s)
    if root is None:
        return [*problems, "the database holds no root: run `kelisim keys init` on the first "
                "node, or point DATABASE_URL at the database the other nodes use"]
    return [*problems, *key_problems(root, Path(settings.keys_dir)).values()]


def _free_mib(path: Path) -> float:
    while not path.exists() and path != path.parent:
        path = path.parent
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / _MIB


@dataclass
class Readiness:
    """``/healthz`` of one process: :meth:`answer` gives (status, body), worked out at
    most every PROBE_INTERVAL seconds (a flood of health checks costs one check per
    interval: a read, a write that changes nothing, the key files, the disk)."""

    settings: Settings
    db: Database
    clock: Callable[[], float] = time.monotonic
    interval: float = PROBE_INTERVAL
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _at: float = float("-inf")
    _answer: tuple[int, dict[str, str]] | None = None
    _logged: dict[str, str] = field(default_factory=dict, repr=False)

    def answer(self) -> tuple[int, dict[str, str]]:
        now = self.clock()
        last = self._answer
        if last is not None and now - self._at < self.interval:
            return last
        # Another thread is checking: its answer is as good as ours (unless none yet).
        if not self._lock.acquire(blocking=last is None):
            assert last is not None
            return last
        try:
            if self._answer is not None and self.clock() - self._at < self.interval:
                return self._answer
            self._answer, self._at = self._check(), self.clock()
            return self._answer
        finally:
            self._lock.release()

    def _check(self) -> tuple[int, dict[str, str]]:
        try:
            self.db.ping()
            current = self.db.is_current()
            with self.db.session(readonly=True) as s:
                root = current_root(s) if current else None
        except Unavailable:
            # Only this: the driver's message (host, port, database) is in the log.
            self._log({"database": "unavailable"})
            return 503, {"status": "unavailable", "database": "unavailable"}
        body: dict[str, str] = {
            "database": self._writable() if current else "ok",
            "migrations": "current" if current else "pending: run `kelisim db upgrade`",
            "root": "present" if root else "missing: run `kelisim keys init`"}
        problems: dict[str, str] = {}
        if root is not None:
            problems = key_problems(root, Path(self.settings.keys_dir))
            for role in ("receipt_key", "manifest_key"):
                body[role] = ("missing or unusable (the server log says which file)"
                              if role in problems else "present")
        low = self._low_disk()
        body["disk"] = (f"low: less than {self.settings.min_free_disk_mb} MiB free"
                        if low else "ok")
        if low:
            problems["disk"] = f"{low}: less than {self.settings.min_free_disk_mb} MiB free"
        if body["database"] != "ok":
            problems["database"] = body["database"]
        self._log(problems)
        ok = current and root is not None and not problems
        return (200 if ok else 503), {"status": "ok" if ok else "unavailable", **body}

    def _writable(self) -> str:
        """``ok``, or why a record could not be written now: a write that changes nothing
        (a failed write of any request since counts too, through the database's state)."""
        try:
            with self.db.session() as s:
                s.execute(update(Generation).where(Generation.id == 1)
                          .values(value=Generation.value))
        except DatabaseBusy:
            return "busy"
        except DatabaseUnavailable as exc:
            return "cannot write" if exc.writes_only else "unavailable"
        down = self.db.unavailable
        if down is not None:
            return "busy" if isinstance(down, DatabaseBusy) else "cannot write"
        return "ok"

    def _low_disk(self) -> str | None:
        places = [Path(self.settings.instance_path)]
        if self.db.is_sqlite:
            database = self.db.engine.url.database
            if database and database != ":memory:":
                places.append(Path(database).parent)
        for place in places:
            if _free_mib(place) < self.settings.min_free_disk_mb:
                return str(place)
        return None

    def _log(self, problems: dict[str, str]) -> None:
        if problems == self._logged:
            return
        if problems:
            log.warning("health: not ready: %s", "; ".join(f"{k}: {v}" for k, v in
                                                           sorted(problems.items())))
        else:
            log.warning("health: ready again")
        self._logged = dict(problems)

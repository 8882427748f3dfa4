"""Subjects: an install linked to the operator's signed-in user (issue 21 part 2).

The operator's backend (an API key with ``subjects:link``) asks for a link token for (app,
its user id); the app hands the token to the SDK, which sends it with a ``link`` record
(``POST /v1/apps/<app>/subject-links``). The server checks the token (known, of this app,
not used, not expired), appends the record to the app's consent log like any decision
(:func:`server.consent.ingest.ingest`: chained, with a receipt), marks the token used and
opens the install's link, all in one transaction; a refused token stores nothing. An
``unlink`` record (sign-out, or the operator's ``subjects/unlink``) closes the link.

The subject id is HMAC-SHA256 of ``<app>\\n<user id>`` under the deployment's subject key
(``KEYS_DIR/subject-hmac.key``, 32 random bytes, created 0600 on first use): the user id
itself is never stored, and one user's ids in two apps cannot be matched. A link token is
``kls_link_`` and 256 random bits; only its SHA-256 is stored (as with API keys, a fast
hash is right for a random secret).

What a subject's decisions add up to is :mod:`server.consent.subjectstate`'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.grammar import is_note
from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.config import check_private_file
from server.consent.current import in_force_version
from server.consent.ingest import ingest
from server.consent.installs import check_generation
from server.errors import (
    InvalidValue,
    KeyFileError,
    LinkRefused,
    NotFound,
    NotLinked,
    RecordConflict,
    UnknownApp,
)
from server.files import write_private_file
from server.models import (
    App,
    ConsentRecord,
    Install,
    InstallLink,
    LinkToken,
    SignedManifest,
    Subject,
)
from server.webhooks.events import subject_event

__all__ = ["KEY_FILE", "TOKEN_PREFIX", "USER_ID_MAX", "LinkOutcome", "check_user_id",
           "issue_link_token", "link_install", "linked_subject", "subject_id_of",
           "subject_key", "unlink_install", "unlink_subject"]

KEY_FILE: Final = "subject-hmac.key"
TOKEN_PREFIX: Final = "kls_link_"  # noqa: S105 - a prefix, not a secret
USER_ID_MAX: Final = 256
_KEYS: dict[Path, bytes] = {}


def subject_key(keys_dir: Path) -> bytes:
    """The deployment's subject key, created (0600) on first use.

    Raises:
        KeyFileError: the file is readable by others, or not 64 hex digits.
    """
    path = keys_dir / KEY_FILE
    cached = _KEYS.get(path)
    if cached is not None:
        return cached
    with contextlib.suppress(FileExistsError):  # made before (or by another worker now)
        write_private_file(path, secrets.token_hex(32).encode() + b"\n")
    try:
        check_private_file(path, "the subject key")
    except Exception as exc:  # ConfigError: the operator's to fix, like a key file
        raise KeyFileError(str(exc), path) from None
    text = path.read_text().strip()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise KeyFileError(f"{path}: not a subject key (64 hex digits)", path)
    _KEYS[path] = key = bytes.fromhex(text)
    return key


def check_user_id(value: object) -> str:
    """The operator's user id, as given.

    Raises:
        InvalidValue: naming ``user_id``: not text of 1 to 256 visible characters.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > USER_ID_MAX or \
            not is_note(value) or any(c in value for c in "\n\t\u2028\u2029"):
        raise InvalidValue("user_id", f"the operator's user id: one line of 1 to "
                                      f"{USER_ID_MAX} visible characters")
    if "\ufffd" in value:  # what a query string's bytes that are not UTF-8 decode to
        raise InvalidValue("user_id", "the operator's user id must be UTF-8 text (it "
                                      "holds U+FFFD, the mark of bytes that were not)")
    return value


def subject_id_of(key: bytes, app_id: str, user_id: str) -> str:
    """The subject id Kelisim stores for ``user_id`` of ``app_id``: HMAC-SHA256, hex."""
    return hmac.new(key, f"{app_id}\n{user_id}".encode(), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link_token(session: Session, app_id: str, user_id: str, keys_dir: Path,
                     ttl: int, actor: str, now: datetime) -> tuple[str, str]:
    """A new single-use link token for (app, user): ``(token, expires)``. The token is
    shown once; only its hash is stored.

    Raises:
        InvalidValue: a bad ``user_id``. UnknownApp: no such app.
    """
    check_user_id(user_id)
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    # Tokens that expired unused are of no use to anyone: gone as new ones are made.
    session.execute(delete(LinkToken).where(
        LinkToken.app_id == app_id, LinkToken.used_at.is_(None),
        LinkToken.expires_at < format_time(now)))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = format_time(now + timedelta(seconds=ttl))
    session.add(LinkToken(token_hash=_token_hash(token), app_id=app_id,
                          subject_id=subject_id_of(subject_key(keys_dir), app_id, user_id),
                          created_at=format_time(now), created_by=actor, expires_at=expires))
    session.flush()
    return token, expires


def linked_subject(session: Session, app_id: str, install_id: str) -> InstallLink | None:
    """The install's open link, if it is linked."""
    return session.scalars(select(InstallLink).where(
        InstallLink.app_id == app_id, InstallLink.install_id == install_id,
        InstallLink.unlinked_at.is_(None)).order_by(InstallLink.id.desc()).limit(1)).first()


@dataclass(frozen=True)
class LinkOutcome:
    """What a link or unlink stored: the receipt of its record, and the link."""

    receipt: bytes
    link: InstallLink


def _seq(session: Session, app_id: str, record_id: str) -> int:
    return int(session.scalars(select(ConsentRecord.seq).where(
        ConsentRecord.app_id == app_id, ConsentRecord.record_id == record_id)).one())


def _refuse(row: LinkToken | None, app_id: str, install_id: str, record_id: str,
            now: datetime) -> bool:
    """Whether the token was used by this very record before (a retry); raises for a
    token that can never link this install.

    Raises:
        LinkRefused: unknown, of another app, used by another record, or expired.
    """
    if row is None:
        raise LinkRefused("unknown", "not a link token of this server (ask the app's "
                                     "backend for a new one)")
    if row.app_id != app_id:
        raise LinkRefused("other_app", "this link token was issued for another app")
    if row.used_at is not None:
        if row.used_by_install == install_id and row.used_by_record == record_id:
            return True
        raise LinkRefused("used", f"this link token was used at {row.used_at}; a link "
                                  f"token links one install once")
    if row.expires_at <= format_time(now):
        raise LinkRefused("expired", f"this link token expired at {row.expires_at}")
    return False


def _refuse_known(session: Session, app_id: str, record_id: str, what: str) -> None:
    """A new link or unlink is a new record of the log: one whose id the log holds already
    (sent before for another link, or another record) would change a link with no record
    of it. Raises RecordConflict (nothing stored)."""
    if session.scalars(select(ConsentRecord.seq).where(
            ConsentRecord.app_id == app_id,
            ConsentRecord.record_id == record_id)).first() is not None:
        raise RecordConflict(f"record {record_id} is in the consent log already; a new "
                             f"{what} is a new record", record_id)


def _close(link: InstallLink, record_id: str, seq: int, now: datetime) -> None:
    link.unlinked_at = format_time(now)
    link.unlink_record_id = record_id
    link.unlink_seq = seq


def _event_data(link: InstallLink, record_id: str, seq: int) -> dict[str, Any]:
    return {"install_id": link.install_id, "record_id": record_id, "seq": seq,
            "subject_id": link.subject_id}


def link_install(session: Session, app_id: str, install_id: str, generation: int,
                 record: Mapping[str, Any], token: str, keys_dir: Path,
                 now: datetime) -> LinkOutcome:
    """Link the install to the token's subject with ``record`` (action ``link``), in the
    caller's transaction; a retry of the same record answers what it stored.

    Raises:
        InvalidValue: ``record.action`` is not link.
        LinkRefused: the token cannot link (nothing stored).
        UnknownInstall, TokenRevoked, RecordsRejected, RecordConflict: as ingest.
    """
    if record.get("action") != "link":
        raise InvalidValue("record.action", "a link carries a record of action link")
    check_generation(session, app_id, install_id, generation)
    row = session.scalars(select(LinkToken).where(LinkToken.token_hash == _token_hash(token))
                          .with_for_update()).first()
    retry = _refuse(row, app_id, install_id, record["id"], now)
    assert row is not None
    if not retry:  # a record already in the log came with another token
        _refuse_known(session, app_id, record["id"], "link")
    result = ingest(session, app_id, install_id, [dict(record)], keys_dir, now,
                    generation=generation)
    receipt = result.receipts[result.index[record["id"]]]
    if retry:
        link = session.scalars(select(InstallLink).where(
            InstallLink.app_id == app_id,
            InstallLink.link_record_id == record["id"])).one()
        return LinkOutcome(receipt, link)
    seq = _seq(session, app_id, record["id"])
    before = linked_subject(session, app_id, install_id)
    if before is not None:  # linked to another subject (or again): that link ends here
        _close(before, record["id"], seq, now)
    if session.get(Subject, (app_id, row.subject_id)) is None:
        session.add(Subject(app_id=app_id, subject_id=row.subject_id,
                            created_at=format_time(now)))
        session.flush()
    link = InstallLink(app_id=app_id, install_id=install_id, subject_id=row.subject_id,
                       linked_at=format_time(now), link_record_id=record["id"],
                       link_seq=seq)
    session.add(link)
    row.used_at = format_time(now)
    row.used_by_install = install_id
    row.used_by_record = record["id"]
    subject_event(session, app_id, "link", _event_data(link, record["id"], seq),
                  format_time(now))
    session.flush()
    return LinkOutcome(receipt, link)


def unlink_install(session: Session, app_id: str, install_id: str, generation: int,
                   record: Mapping[str, Any], keys_dir: Path, now: datetime) -> LinkOutcome:
    """Unlink the install (sign-out) with ``record`` (action ``unlink``), in the caller's
    transaction; a retry of the same record answers what it stored.

    Raises:
        InvalidValue: ``record.action`` is not unlink.
        NotLinked: the install is not linked (409; nothing stored).
        UnknownInstall, TokenRevoked, RecordsRejected, RecordConflict: as ingest.
    """
    if record.get("action") != "unlink":
        raise InvalidValue("record.action", "an unlink carries a record of action unlink")
    check_generation(session, app_id, install_id, generation)
    done = session.scalars(select(InstallLink).where(
        InstallLink.app_id == app_id, InstallLink.install_id == install_id,
        InstallLink.unlink_record_id == record["id"])).first()
    link = done or linked_subject(session, app_id, install_id)
    if link is None:
        raise NotLinked(install_id)
    if done is None:
        _refuse_known(session, app_id, record["id"], "unlink")
    result = ingest(session, app_id, install_id, [dict(record)], keys_dir, now,
                    generation=generation)
    if done is None:
        seq = _seq(session, app_id, record["id"])
        _close(link, record["id"], seq, now)
        subject_event(session, app_id, "unlink", _event_data(link, record["id"], seq),
                      format_time(now))
        session.flush()
    return LinkOutcome(result.receipts[result.index[record["id"]]], link)


def _server_record(session: Session, app_id: str, now: datetime) -> dict[str, Any]:
    """An unlink record the server makes for the operator (no device made it)."""
    version = in_force_version(session, app_id, now)
    seq = session.scalar(select(func.max(SignedManifest.seq)).where(
        SignedManifest.app_id == app_id))
    if version is None or seq is None:
        raise NotFound(f"app {app_id} has published no version", app_id=app_id)
    return {"id": str(uuid.uuid4()), "action": "unlink", "version": version.number,
            "document_sha256": None, "locale": None, "purposes": {}, "evidence": {},
            "age_confirmed": None, "guardian": None, "client_time": format_time(now),
            "manifest_seq": int(seq)}


def unlink_subject(session: Session, app_id: str, user_id: str, install_id: str | None,
                   keys_dir: Path, actor: str, now: datetime) -> list[str]:
    """The operator unlinks the subject's installs (or the one named): each gets an
    ``unlink`` record the server makes, and the admin audit log says who. Returns the
    installs unlinked (none when none was linked).

    Raises:
        InvalidValue: a bad ``user_id``. UnknownApp: no such app.
    """
    check_user_id(user_id)
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    subject = subject_id_of(subject_key(keys_dir), app_id, user_id)
    query = select(InstallLink).where(InstallLink.app_id == app_id,
                                      InstallLink.subject_id == subject,
                                      InstallLink.unlinked_at.is_(None))
    if install_id is not None:
        query = query.where(InstallLink.install_id == install_id)
    done: list[str] = []
    for link in session.scalars(query.order_by(InstallLink.id)).all():
        generation = session.scalar(select(Install.token_generation).where(
            Install.id == link.install_id))
        unlink_install(session, app_id, link.install_id, int(generation or 1),
                       _server_record(session, app_id, now), keys_dir, now)
        done.append(link.install_id)
    adminlog.record(session, actor, "subject.unlink", f"{app_id}/{subject[:12]}",
                    {"installs": done}, now)
    return done

"""Server errors: the one tree every domain raises (and nothing else).

Every error the server's domains raise on purpose is a :class:`KelisimError`::

    KelisimError                    an operation that cannot be carried out; nothing stored
    ├── ConfigError (ValueError)    a configuration value that cannot be used (key)
    ├── InvalidValue                a caller's value that cannot be used (field)
    ├── NotFound                    a thing that does not exist
    │   ├── UnknownApp              (app_id)
    │   ├── UnknownDeletionRequest  (app_id, request_id)
    │   └── UnknownApiKey           (app_id, key_id)
    ├── StateConflict               the request contradicts what is stored
    │   ├── AppExists               apps create on a registered app (app_id)
    │   ├── AlreadyResolved         a deletion request resolved before (request_id, resolved_at)
    │   └── ApiKeyRevoked           an API key revoked before (key_id, revoked_at)
    ├── PolicyError                 a policy version that cannot be published
    │   ├── PolicySourceError       app.toml / version.toml / documents invalid (problems)
    │   ├── GuardError              a change that needs major (or minor), marked lower
    │   │                           (label, significance, reasons, needs)
    │   └── LabelError              store labels that cannot be made, or files that drifted
    │                               from them (problems)
    ├── KeyFileError                a key file missing, unreadable, too open, not Ed25519 (path)
    ├── SigningError                a manifest that cannot be signed (app_id)
    ├── RootError                   a root operation that cannot be carried out
    ├── PolicyImportError           a policy file that cannot be imported (file, line)
    ├── ExportError                 an export folder that cannot be used (path)
    ├── Unavailable                 not now, nothing wrong with the request: retry later
    │   │                           (retry_after seconds)
    │   ├── DatabaseUnavailable     the database cannot be reached or written (reason)
    │   └── DatabaseBusy            a lock not obtained within LOCK_TIMEOUT (what)
    └── ConsentLogError             consent records or requests that cannot be stored
        ├── Unprocessable           records that break a rule (problems)
        ├── UnknownInstall          an install id the server does not know (install_id)
        │   └── TokenRevoked        a token of an older generation (install_id)
        ├── RecordConflict          a known record id with other content (record_id)
        ├── RecordsRejected         records refused for good (rejected: [{id, field, reason}])
        ├── ReceiptKeyUnavailable   no receipt key on this server
        │   └── LogKeyUnavailable   no transparency-log key on this server
        ├── LinkRefused             a link token that is unknown, used, expired or of
        │                           another app (reason)
        └── NotLinked               an unlink of an install that is not linked

Errors carry data (``problems``, ``reasons``, ``path``...) in :attr:`KelisimError.details`,
so the console and the HTTP layer need not parse messages. This module imports no Flask:
:mod:`server.http.errors` maps each class to its ``(status, code)`` and the JSON shape; the
CLI prints ``str(exc)``, the message a user can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.messages import Message

__all__ = [
    "AlreadyResolved",
    "ApiKeyRevoked",
    "AppExists",
    "ConfigError",
    "ConsentLogError",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "ExportError",
    "GuardError",
    "InvalidValue",
    "KelisimError",
    "KeyAlreadyCreated",
    "KeyFileError",
    "LinkRefused",
    "LogKeyUnavailable",
    "NotFound",
    "NotLinked",
    "PolicyError",
    "PolicyImportError",
    "PolicySourceError",
    "ReceiptKeyUnavailable",
    "RecordConflict",
    "RecordsRejected",
    "RootError",
    "SigningError",
    "StateConflict",
    "TokenRevoked",
    "Unavailable",
    "UnknownApiKey",
    "UnknownApp",
    "UnknownDeletionRequest",
    "UnknownInstall",
    "Unprocessable",
    "VersionPublished",
]


class KelisimError(Exception):
    """Base of every domain error; ``details`` is the data behind the message."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class ConfigError(KelisimError, ValueError):
    """A configuration value that cannot be used; the message names the key."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message, key=key)
        self.key = key


class InvalidValue(KelisimError):
    """A value given by the caller (an option, a form field) that cannot be used."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field, problems=[f"{field}: {message}"])
        self.field = field


class NotFound(KelisimError):
    """Something named by the caller does not exist."""


class UnknownApp(NotFound):
    def __init__(self, app_id: str, hint: str = "") -> None:
        super().__init__(f"unknown app {app_id!r}" + (f"; {hint}" if hint else ""),
                         app_id=app_id)
        self.app_id = app_id


class UnknownDeletionRequest(NotFound):
    def __init__(self, app_id: str, request_id: str) -> None:
        super().__init__(f"no deletion request {request_id!r} for {app_id}",
                         app_id=app_id, request_id=request_id)
        self.app_id = app_id
        self.request_id = request_id


class UnknownApiKey(NotFound):
    def __init__(self, app_id: str, key_id: str) -> None:
        super().__init__(f"app {app_id} has no API key {key_id}", app_id=app_id,
                         key_id=key_id)
        self.app_id = app_id
        self.key_id = key_id


class StateConflict(KelisimError):
    """The operation contradicts what is stored."""


class AppExists(StateConflict):
    def __init__(self, app_id: str) -> None:
        super().__init__(
            f"app {app_id!r} exists already; to change its controller, vendors, data "
            f"categories or permissions, edit app.toml and publish a new version "
            f"(`kelisim publish <app-dir>/<version-dir>`)", app_id=app_id)
        self.app_id = app_id


class VersionPublished(StateConflict):
    """A publish that lost a race: another version of the app was published after the
    publisher last saw the app (or the same draft was published by a double click)."""

    def __init__(self, app_id: str, number: int, label: str, actor: str, at: str,
                 hint: str) -> None:
        super().__init__(f"version {number} ({label}) of {app_id} was just published by "
                         f"{actor} at {at}; {hint}", app_id=app_id, number=number,
                         label=label, actor=actor, at=at)
        self.app_id, self.number, self.label, self.actor, self.at = (app_id, number, label,
                                                                    actor, at)


class AlreadyResolved(StateConflict):
    def __init__(self, request_id: str, resolved_at: str) -> None:
        super().__init__(f"{request_id} was resolved at {resolved_at}",
                         request_id=request_id, resolved_at=resolved_at)
        self.request_id = request_id
        self.resolved_at = resolved_at


class ApiKeyRevoked(StateConflict):
    def __init__(self, key_id: str, revoked_at: str) -> None:
        super().__init__(f"API key {key_id} was revoked at {revoked_at}", key_id=key_id,
                         revoked_at=revoked_at)
        self.key_id = key_id
        self.revoked_at = revoked_at


class PolicyError(KelisimError):
    """A policy version that cannot be published."""


class PolicySourceError(PolicyError):
    """App or version data that cannot be published; ``problems`` lists
    ``file: field: message`` lines, one per problem; ``fields``, when the data was checked
    field by field, the same messages as ``{field.path: [message, ...]}`` (a form shows
    each next to its field)."""

    def __init__(self, problems: Sequence[str],
                 fields: dict[str, list[str]] | None = None) -> None:
        # ``fields`` in the details only when the data was checked field by field.
        super().__init__("\n".join(problems), problems=list(problems),
                         **({"fields": dict(fields)} if fields else {}))
        self.problems = list(problems)
        self.fields = dict(fields or {})


class MissingTitlesError(PolicySourceError):
    """A version with a document in a locale that lacks a purpose or data category title
    there: that language's screen would show the title in another language. Published
    only when explicitly allowed (``--allow-missing-titles``, the console's "publish
    anyway"). ``missing``: ``tag: purposes.ID.title`` lines."""

    def __init__(self, source: str, missing: Sequence[str]) -> None:
        super().__init__([Message(
            f"{source}: {m}: missing; a user reading this language would see the title in "
            f"another one (publish anyway: --allow-missing-titles, or the console's "
            f"\"publish anyway\")", "title_missing", field=m.partition(": ")[2],
            tag=m.partition(":")[0]) for m in missing])
        self.missing = list(missing)


class GuardError(PolicyError):
    """A change that needs ``major`` (or, for a store label change, ``minor``) was published
    as a lower significance."""

    def __init__(self, label: str, significance: str, reasons: Sequence[str],
                 needs: str = "major") -> None:
        lines = "\n".join(f"  - {r}" for r in reasons)
        at_least = "major" if needs == "major" else "minor or major"
        super().__init__(
            f"version {label} is marked {significance}, but these changes require "
            f"{at_least}:\n{lines}\nPublish it as {needs}, or pass --override-reason TEXT to "
            f"record why not.",
            label=label, significance=significance, reasons=list(reasons), needs=needs)
        self.label = label
        self.significance = significance
        self.reasons = list(reasons)
        self.needs = needs


class LabelError(PolicyError):
    """Store labels that cannot be made (a data category or purpose not mapped, a template
    without a question), or label files that drifted from the current version."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems), problems=list(problems))
        self.problems = list(problems)


class KeyFileError(KelisimError):
    """A key file that is missing, unreadable, too widely readable or not Ed25519."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message, path=str(path) if path is not None else None)
        self.path = path


class SigningError(KelisimError):
    """The manifest cannot be signed (no root, no key, no version in effect)."""

    def __init__(self, message: str, app_id: str | None = None) -> None:
        super().__init__(message, app_id=app_id)
        self.app_id = app_id


class RootError(KelisimError):
    """A root operation that cannot be carried out; the message says why."""


class PolicyImportError(KelisimError):
    """A file that cannot be imported; the message names the file and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message, file=file, line=line)
        self.file = file
        self.line = line


class ExportError(KelisimError):
    """The export folder cannot be used."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message, path=str(path) if path is not None else None)
        self.path = path


class Unavailable(KelisimError):
    """The server cannot do this now, through no fault of the request: answered ``503``
    with ``Retry-After: retry_after``; the client tries again later (or another node)."""

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached (stopped, network cut) or cannot be written (disk
    full, read-only). ``reason`` is the driver's first line, for the log only: it may name
    a host, a port or a path."""

    def __init__(self, reason: str, *, writes_only: bool = False,
                 retry_after: int = 10) -> None:
        what = "cannot write" if writes_only else "is unavailable"
        super().__init__(f"the database {what}; retry later", retry_after)
        self.reason = reason
        # True: reads still work (a full disk, a read-only database); only a write that
        # succeeds shows the database is back.
        self.writes_only = writes_only


class DatabaseBusy(Unavailable):
    """A lock was not obtained within LOCK_TIMEOUT (another process holds it: a long
    transaction, a frozen worker)."""

    def __init__(self, what: str, timeout: float, retry_after: int = 2) -> None:
        super().__init__(f"the database is busy ({what} not obtained within {timeout:g} s); "
                         f"retry later", retry_after, what=what)
        self.what = what
        self.timeout = timeout


class ConsentLogError(KelisimError):
    """Consent records or requests that cannot be stored."""


class UnknownInstall(ConsentLogError):
    def __init__(self, install_id: str | None = None) -> None:
        super().__init__("unknown install", install_id=install_id)
        self.install_id = install_id


class RecordConflict(ConsentLogError):
    def __init__(self, message: str, record_id: str) -> None:
        super().__init__(message, record_id=record_id)
        self.record_id = record_id


class Unprocessable(ConsentLogError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(problems[0] if problems else "unprocessable",
                         problems=list(problems))
        self.problems = list(problems)


class RecordsRejected(ConsentLogError):
    """Records refused for good; ``rejected`` is ``[{"id", "field", "reason"}]``."""

    def __init__(self, rejected: Sequence[dict[str, str]]) -> None:
        first = rejected[0] if rejected else {"id": "?", "field": "?", "reason": "rejected"}
        super().__init__(f"{len(rejected)} record(s) refused; first: {first['id']}: "
                         f"{first['field']}: {first['reason']}", rejected=list(rejected))
        self.rejected = list(rejected)


class TokenRevoked(UnknownInstall):
    """A token of an older generation than its install's (replaced by a renewal): refused
    for good like an unknown install (401 invalid_token)."""

    def __init__(self, install_id: str,
                 message: str = "this token was replaced by a renewal; register the "
                                "install again") -> None:
        ConsentLogError.__init__(self, message, install_id=install_id)
        self.install_id = install_id


class ReceiptKeyUnavailable(ConsentLogError):
    def __init__(self, message: str = "the receipt key is not available on this server"
                 ) -> None:
        super().__init__(message)


class LinkRefused(ConsentLogError):
    """A link token the server will never accept: ``reason`` is ``unknown``, ``used``,
    ``expired`` or ``other_app``. Nothing is stored."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)


class KeyAlreadyCreated(StateConflict):
    """The console form that creates an API key was sent again: the key it made the first
    time (``key_id``) is not shown again."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"this form created key {key_id} before; a key is shown once",
                         key_id=key_id)


class NotLinked(ConsentLogError):
    def __init__(self, install_id: str) -> None:
        super().__init__(f"install {install_id} is not linked to a subject",
                         install_id=install_id)


class LogKeyUnavailable(ReceiptKeyUnavailable):
    """The root lists a transparency-log key this server does not hold (503, as a
    missing receipt key: no record is stored without its receipt and proof)."""

    def __init__(self, message: str = "the log key is not available on this server"
                 ) -> None:
        super().__init__(message)

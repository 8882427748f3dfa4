"""The one set of consent rules: what makes a record valid against the version it names.

Pure functions over a :class:`client_sdk.protocol.model.Version` and a record's plain
values; no I/O, no clock. The SDK calls them before it records a decision (and raises
``UsageError`` with the first problem's message); the server calls them, with the signed
version it stored, before it stores a record (and answers 422 naming each problem's field).

API::

    Problem(field: str, message: str)                 # frozen dataclass

    check_record(version: Version, action: str, purposes: Mapping[str, bool], *,
                 locale: str | None = None, document_sha256: str | None = None,
                 age_confirmed: bool | None = None,
                 guardian: Mapping[str, object] | None = None,
                 evidence: Mapping[str, object] | None = None) -> list[Problem]

    check_accept(version, purposes, *, locale, document_sha256, age_confirmed, guardian)
    check_decline(version, purposes, *, locale, document_sha256)
    check_update(version, purposes)
    check_withdraw(version, purposes)
    check_acknowledge(version, purposes, *, locale, document_sha256)
    check_deletion_request(purposes)
    check_link(action, purposes, *, locale, document_sha256, age_confirmed, guardian,
               evidence)
    check_evidence(evidence: Mapping[str, object]) -> list[Problem]
    check_request(kind: object, note: object, withdraw: object) -> list[Problem]

``check_record`` dispatches on ``action`` (one of :data:`ACTIONS`) and adds
:func:`check_evidence` when ``evidence`` is given. An empty list means valid. ``field`` is
relative to the record (``purposes.analytics``, ``locale``, ``guardian.name``,
``evidence.seconds_on_screen``); the server prefixes it with the record's position.

The rules, per action:

- accept: every purpose is one the version has; every required purpose is granted;
  ``locale`` has a document and ``document_sha256`` is that document's; when the version
  sets ``min_age``, ``age_confirmed`` is given, and a user under age needs
  ``guardian_consent`` in the version and a ``guardian`` with a name; a guardian has only
  ``name`` and ``relation``, and only a user under ``min_age`` of a version with
  ``guardian_consent`` has one: an adult's accept (``age_confirmed`` true), an accept of a
  version without ``min_age`` or without ``guardian_consent`` carries ``guardian`` null.
- decline: known purposes, none granted; locale and document as for accept.
- update: known purposes; switching a required purpose off is a withdrawal, not an update.
- withdraw: known purposes, none granted.
- acknowledge: no purposes; locale and document as for accept.
- deletion_request (and access, rectification and blocking requests): no purposes.
- link and unlink (the install joins or leaves a subject: the operator's signed-in user):
  a statement about the install, not a decision: no purposes, no locale, no document, no
  age, no guardian, no evidence. Whether the link token is good is the server's to check.

A request of the data subject (:func:`check_request`, the same for the SDK before it
records one and the server before it stores one): ``kind`` is one of :data:`REQUEST_KINDS`;
``note`` is null or text of 1 to :data:`REQUEST_NOTE_MAX` characters (not only spaces), and a
rectification needs one (what is wrong and what is right); ``withdraw`` (whether the user
chose to withdraw consent in the same step) is true or false for a deletion and null for
the other kinds.

What depends on the user's state (nothing to withdraw, no notice to acknowledge) is not
here: the server does not keep that state per install, and the SDK checks it itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from client_sdk.protocol.grammar import is_locale, is_note
from client_sdk.protocol.model import Version
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import (
    ACTIONS,
    EVIDENCE_FIELDS,
    EVIDENCE_LAYERS,
    GUARDIAN_FIELDS,
    MAX_SECONDS,
    REQUEST_KINDS,
    REQUEST_NOTE_MAX,
)

__all__ = [
    "ACTIONS",
    "EVIDENCE_LAYERS",
    "MAX_SECONDS",
    "Problem",
    "check_accept",
    "check_acknowledge",
    "check_decline",
    "check_deletion_request",
    "check_evidence",
    "check_link",
    "check_record",
    "check_request",
    "check_update",
    "check_withdraw",
]


@record
class Problem(Record):
    """One rule a record breaks: the record's field and a message a person can act on."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _known(version: Version, purposes: Mapping[str, bool]) -> list[Problem]:
    known = {p.id for p in version.purposes}
    return [Problem(f"purposes.{pid}", f"unknown purpose {pid!r}; version {version.label} has "
                                       f"{', '.join(sorted(known))}")
            for pid in purposes if pid not in known]


def _nothing_granted(action: str, purposes: Mapping[str, bool]) -> list[Problem]:
    return [Problem(f"purposes.{pid}", f"a {action} grants no purpose")
            for pid, on in purposes.items() if on is not False]


def _no_purposes(action: str, purposes: Mapping[str, bool]) -> list[Problem]:
    if purposes:
        return [Problem("purposes", f"an {action} names no purposes"
                        if action[0] in "aeiou" else f"a {action} names no purposes")]
    return []


def _document(version: Version, locale: str | None,
              document_sha256: str | None) -> list[Problem]:
    if locale is None or not is_locale(locale):
        return [Problem("locale", f"{locale!r} is not a locale tag")]
    doc = version.locales.get(locale)
    if doc is None:
        return [Problem("locale", f"version {version.label} has no {locale!r} document; it has "
                                  f"{', '.join(sorted(version.locales))}")]
    if document_sha256 != doc.sha256:
        owners = [t for t, d in version.locales.items() if d.sha256 == document_sha256]
        where = (f"the {owners[0]!r} document, not the {locale!r} one" if owners
                 else f"not a document of version {version.label}")
        return [Problem("document_sha256", f"{document_sha256!r} is {where}")]
    return []


def _guardian(version: Version, age_confirmed: bool | None,
              guardian: Mapping[str, object] | None) -> list[Problem]:
    problems: list[Problem] = []
    if version.min_age is not None:
        if age_confirmed is None:
            problems.append(Problem("age_confirmed", f"version {version.label} sets min_age "
                                                     f"{version.min_age}: pass age_confirmed"))
        elif not age_confirmed and not version.guardian_consent:
            problems.append(Problem("age_confirmed", f"a user under {version.min_age} "
                                                     f"cannot consent to version "
                                                     f"{version.label}"))
    # A guardian consents for a user under min_age, and only where the version allows
    # guardian consent; anywhere else a guardian would be stored beside a consent that no
    # guardian gave (an adult's, or one the version never asked a guardian for).
    minor = version.min_age is not None and age_confirmed is False
    if guardian is not None and not (minor and version.guardian_consent):
        problems.append(Problem("guardian", _no_guardian(version, age_confirmed)))
    elif minor and version.guardian_consent:
        extra = set(guardian or {}) - set(GUARDIAN_FIELDS)
        name = (guardian or {}).get("name")
        if extra:
            problems.append(Problem("guardian", f"guardian takes "
                                                f"{' and '.join(GUARDIAN_FIELDS)}, not "
                                                f"{sorted(extra)}"))
        if not (isinstance(name, str) and name.strip()):
            problems.append(Problem("guardian", f"a user under {version.min_age} needs "
                                                f"guardian consent: a guardian with a name"))
    return problems


def _no_guardian(version: Version, age_confirmed: bool | None) -> str:
    """Why this accept must carry no guardian (``guardian`` null)."""
    if version.min_age is None:
        return (f"version {version.label} sets no min_age, so no guardian consents for the "
                f"user: send guardian null")
    if age_confirmed:
        return (f"the user confirmed being {version.min_age} or older: an adult's accept "
                f"carries no guardian; send guardian null")
    if age_confirmed is None:
        return (f"a guardian consents only for a user under {version.min_age} "
                f"(age_confirmed false)")
    return (f"version {version.label} has no guardian consent (guardian_consent false): a "
            f"guardian cannot consent for a user under {version.min_age}")


def check_accept(version: Version, purposes: Mapping[str, bool], *, locale: str | None,
                 document_sha256: str | None, age_confirmed: bool | None,
                 guardian: Mapping[str, object] | None) -> list[Problem]:
    """Problems of an acceptance of ``version`` granting ``purposes`` (``{id: bool}``)."""
    problems = _known(version, purposes)
    for p in version.purposes:
        if p.required and purposes.get(p.id) is not True:
            problems.append(Problem(f"purposes.{p.id}", f"purpose {p.id!r} is required: "
                                                        f"refusing it is a decline"))
    problems += _document(version, locale, document_sha256)
    problems += _guardian(version, age_confirmed, guardian)
    return problems


def check_decline(version: Version, purposes: Mapping[str, bool], *, locale: str | None,
                  document_sha256: str | None) -> list[Problem]:
    """Problems of a decline: known purposes, none granted, a document that was shown."""
    return [*_known(version, purposes), *_nothing_granted("decline", purposes),
            *_document(version, locale, document_sha256)]


def check_update(version: Version, purposes: Mapping[str, bool]) -> list[Problem]:
    """Problems of switching optional purposes on or off under an existing consent."""
    problems = _known(version, purposes)
    if not purposes:
        problems.append(Problem("purposes", "an update names at least one purpose"))
    required = {p.id for p in version.purposes if p.required}
    for pid, on in purposes.items():
        if pid in required and on is not True:
            problems.append(Problem(f"purposes.{pid}", f"purpose {pid!r} is required: "
                                                       f"switching it off is a withdrawal"))
    return problems


def check_withdraw(version: Version, purposes: Mapping[str, bool]) -> list[Problem]:
    """Problems of a withdrawal of the whole consent: known purposes, none granted."""
    return [*_known(version, purposes), *_nothing_granted("withdrawal", purposes)]


def check_acknowledge(version: Version, purposes: Mapping[str, bool], *, locale: str | None,
                      document_sha256: str | None) -> list[Problem]:
    """Problems of acknowledging a notice of ``version``: no purposes, a document shown."""
    return [*_no_purposes("acknowledgement", purposes),
            *_document(version, locale, document_sha256)]


def check_deletion_request(purposes: Mapping[str, bool]) -> list[Problem]:
    """Problems of a deletion request: it names no purposes."""
    return _no_purposes("deletion request", purposes)


def check_link(action: str, purposes: Mapping[str, bool], *, locale: str | None,
               document_sha256: str | None, age_confirmed: bool | None,
               guardian: Mapping[str, object] | None,
               evidence: Mapping[str, object] | None) -> list[Problem]:
    """Problems of a ``link`` or ``unlink`` record: it carries nothing but its id, version,
    time and manifest seq (see the module docstring)."""
    problems = _no_purposes(action, purposes)
    for name, value in (("locale", locale), ("document_sha256", document_sha256),
                        ("age_confirmed", age_confirmed), ("guardian", guardian)):
        if value is not None:
            problems.append(Problem(name, f"a {action} record carries no {name}: send null"))
    if evidence:
        problems.append(Problem("evidence", f"a {action} record carries no evidence: send {{}}"))
    return problems


def check_request(kind: object, note: object, withdraw: object) -> list[Problem]:
    """Problems of a data subject's request (see the module docstring); fields named
    ``kind``, ``note`` and ``withdraw``."""
    problems: list[Problem] = []
    if kind not in REQUEST_KINDS:
        problems.append(Problem("kind", f"kind must be one of {', '.join(REQUEST_KINDS)}"))
    if note is None:
        if kind == "rectification":
            problems.append(Problem("note", "a rectification request needs a note: what is "
                                            "wrong and what it should be"))
    elif not isinstance(note, str) or not is_note(note) or len(note) > REQUEST_NOTE_MAX:
        problems.append(Problem("note", f"note must be text of 1 to {REQUEST_NOTE_MAX} "
                                        f"characters with something visible in it, no "
                                        f"control or bidirectional-override characters, "
                                        f"or null"))
    if kind == "deletion":
        if not isinstance(withdraw, bool):
            problems.append(Problem("withdraw", "withdraw must be true or false for a "
                                                "deletion request"))
    elif withdraw is not None:
        problems.append(Problem("withdraw", "withdraw is only for a deletion request; "
                                            "send null"))
    return problems


def _seconds(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and \
        0 <= value <= MAX_SECONDS


def check_evidence(evidence: Mapping[str, object]) -> list[Problem]:
    """Problems of a record's ``evidence`` (what happened on screen; DESIGN.md).

    Fields, all optional: ``layers_shown`` (distinct names from :data:`EVIDENCE_LAYERS`),
    ``full_text_opened`` and ``scrolled_to_end`` (bool), ``seconds_on_screen`` (int 0-86400),
    ``seconds_by_layer`` (layer name -> int 0-86400), ``ui_locale`` (a locale tag).
    """
    problems: list[Problem] = []
    for key, value in evidence.items():
        where = f"evidence.{key}"
        if key in ("scrolled_to_end", "full_text_opened"):
            if not isinstance(value, bool):
                problems.append(Problem(where, f"evidence {key} must be a bool"))
        elif key == "seconds_on_screen":
            if not _seconds(value):
                problems.append(Problem(where, f"evidence {key} must be a number from 0 to "
                                               f"{MAX_SECONDS}"))
        elif key == "layers_shown":
            if not isinstance(value, list | tuple) or \
                    any(v not in EVIDENCE_LAYERS for v in value) or \
                    len(set(value)) != len(value):
                problems.append(Problem(where, f"evidence {key} must list distinct layers of "
                                               f"{', '.join(EVIDENCE_LAYERS)}"))
        elif key == "seconds_by_layer":
            if not isinstance(value, Mapping) or \
                    any(k not in EVIDENCE_LAYERS or not _seconds(v) for k, v in value.items()):
                problems.append(Problem(where, f"evidence {key} must map layers of "
                                               f"{', '.join(EVIDENCE_LAYERS)} to seconds from "
                                               f"0 to {MAX_SECONDS}"))
        elif key == "ui_locale":
            if not is_locale(value):
                problems.append(Problem(where, f"evidence {key} must be a locale tag"))
        else:
            problems.append(Problem(where, f"unknown evidence field {key!r}; use "
                                           f"{', '.join(EVIDENCE_FIELDS)}"))
    return problems


def check_record(version: Version, action: str, purposes: Mapping[str, bool], *,
                 locale: str | None = None, document_sha256: str | None = None,
                 age_confirmed: bool | None = None,
                 guardian: Mapping[str, object] | None = None,
                 evidence: Mapping[str, object] | None = None) -> list[Problem]:
    """Problems of a record of ``action`` against the ``version`` it names (see the module
    docstring). Fields an action does not use (a guardian on a withdrawal) are not checked
    here; the record's schema decides whether they may be present."""
    problems: list[Problem]
    if action == "accept":
        problems = check_accept(version, purposes, locale=locale,
                                document_sha256=document_sha256,
                                age_confirmed=age_confirmed, guardian=guardian)
    elif action == "decline":
        problems = check_decline(version, purposes, locale=locale,
                                 document_sha256=document_sha256)
    elif action == "update":
        problems = check_update(version, purposes)
    elif action == "withdraw":
        problems = check_withdraw(version, purposes)
    elif action == "acknowledge":
        problems = check_acknowledge(version, purposes, locale=locale,
                                     document_sha256=document_sha256)
    elif action in ("deletion_request", "access_request", "rectification_request",
                    "blocking_request"):
        problems = check_deletion_request(purposes)
    elif action in ("link", "unlink"):
        return check_link(action, purposes, locale=locale, document_sha256=document_sha256,
                          age_confirmed=age_confirmed, guardian=guardian, evidence=evidence)
    else:
        problems = [Problem("action", f"{action!r} is not one of {', '.join(ACTIONS)}")]
    if evidence is not None:
        problems += check_evidence(evidence)
    return problems

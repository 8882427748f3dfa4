"""The files each store takes, made from a version's store labels, and the check that files
in an app's repository still say what the current version says (``kelisim labels``).

Pure: :func:`build_files` returns ``{file name: bytes}``; :func:`check_files` compares them
with what is found and returns the drifts, each naming the file and line. Reading and writing
folders is the caller's (server/cli/labels.py, the console).

Files (docs/store-labels.md):

- ``PrivacyInfo.xcprivacy``: Apple's privacy manifest (a plist, Apple's keys only);
- ``app_privacy_details.json``: what fastlane's ``upload_app_privacy_details_to_app_store``
  uploads to App Store Connect;
- ``data_safety.csv``: Play Console's Data safety import (Question ID, Response ID, Response
  value, Answer requirement, Human-friendly question label), filled into the operator's
  exported template when one is given;
- ``labels.<locale>.md``: what the store pages will say, in each language of the version;
- ``kelisim-labels.json``: which signed version and manifest the files came from, and the
  sha256 of each (the JSON and the CSV have no room for a comment their importers accept).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import plistlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.errors import LabelError
from server.policy.labelwords import MD_WORDS
from server.policy.storelabels import (
    APPLE_DATA_TYPES,
    APPLE_PURPOSES,
    PLAY_DATA_TYPES,
    PLAY_PURPOSES,
    PLAY_UNANSWERED_ACCOUNTS,
    PLAY_UNANSWERED_OTHERS,
    StoreLabels,
    apple_name,
    label_lines,
    play_name,
)

__all__ = ["CSV_HEADER", "CSV_NAME", "JSON_NAME", "LOCK_NAME", "PLIST_NAME",
           "PYTHON_REQUIRED_REASONS", "Source",
           "build_files", "check_files", "fastlane_usages", "play_answers", "play_questions",
           "privacy_manifest", "read_play_csv"]

PLIST_NAME = "PrivacyInfo.xcprivacy"
JSON_NAME = "app_privacy_details.json"
CSV_NAME = "data_safety.csv"
LOCK_NAME = "kelisim-labels.json"
# The header row of Play Console's Data safety export, which its import requires.
CSV_HEADER = ("Question ID (machine readable)", "Response ID (machine readable)",
              "Response value", "Answer requirement", "Human-friendly question label")

# fastlane's data protections (spaceship's AppDataUsageDataProtection::ID).
DATA_LINKED_TO_YOU = "DATA_LINKED_TO_YOU"
DATA_NOT_LINKED_TO_YOU = "DATA_NOT_LINKED_TO_YOU"
DATA_USED_TO_TRACK_YOU = "DATA_USED_TO_TRACK_YOU"
DATA_NOT_COLLECTED = "DATA_NOT_COLLECTED"

_COLLECTION = "PSL_DATA_USAGE_COLLECTION_AND_SHARING"
_EPHEMERAL = "PSL_DATA_USAGE_EPHEMERAL"
_CONTROL = "DATA_USAGE_USER_CONTROL"
_WHY_COLLECTED = "DATA_USAGE_COLLECTION_PURPOSE"
_WHY_SHARED = "DATA_USAGE_SHARING_PURPOSE"
TRUE, FALSE = "TRUE", "FALSE"

# The required-reason API entries (NSPrivacyAccessedAPITypes) a Python app's bundle needs for
# what CPython itself does, whatever the app's policy (python/cpython#132006: App Store
# Connect flags the OpenSSL inside _ssl and _hashlib). Reason codes from Apple's "Describing
# use of required reason API":
# https://developer.apple.com/documentation/bundleresources/describing-use-of-required-reason-api
PYTHON_REQUIRED_REASONS: tuple[dict[str, Any], ...] = (
    # C617.1: timestamps, size or other metadata of files inside the app container. OpenSSL
    # (_ssl, _hashlib) stats its files: the reason OpenSSL's own manifest declares
    # (openssl/openssl os-dep/Apple/PrivacyInfo.xcprivacy). SQLite (_sqlite3) fstat()s its
    # database and journal files; CPython's import system stats .py and .pyc files.
    {"NSPrivacyAccessedAPIType": "NSPrivacyAccessedAPICategoryFileTimestamp",
     "NSPrivacyAccessedAPITypeReasons": ["C617.1"]},
    # 35F9.1: time elapsed between events in the app. time.monotonic() and perf_counter()
    # call mach_absolute_time() (SQLite's busy timeout and the SDK's deadlines use them).
    {"NSPrivacyAccessedAPIType": "NSPrivacyAccessedAPICategorySystemBootTime",
     "NSPrivacyAccessedAPITypeReasons": ["35F9.1"]},
)


@dataclass(frozen=True)
class Source:
    """The signed version the files come from."""

    app: str
    app_name: str
    version: int
    label: str
    manifest_seq: int
    manifest_sha256: str

    @property
    def line(self) -> str:
        return (f"kelisim: {self.app} version {self.version} ({self.label}), "
                f"manifest seq {self.manifest_seq} sha256 {self.manifest_sha256}")


# The line naming the source: a re-signed manifest (new seq, same labels) is no drift, and
# a new version is reported once, by kelisim-labels.json; the check compares the rest.
_SOURCE_RE = re.compile(r"kelisim: \S+ version [0-9]+ \(.*\), manifest seq [0-9]+ sha256 "
                        r"[0-9a-f]{64}")


def _mask(line: str) -> str:
    return _SOURCE_RE.sub("kelisim: *", line)





def privacy_manifest(labels: StoreLabels) -> dict[str, Any]:
    """``PrivacyInfo.xcprivacy``'s dictionary: Apple's keys only (the required-reason API
    entries are the app build's, docs/packaging.md)."""
    return {
        "NSPrivacyTracking": labels.tracking,
        "NSPrivacyTrackingDomains": list(labels.tracking_domains),
        "NSPrivacyCollectedDataTypes": [
            {"NSPrivacyCollectedDataType": a.type,
             "NSPrivacyCollectedDataTypeLinked": a.linked,
             "NSPrivacyCollectedDataTypeTracking": a.tracking,
             "NSPrivacyCollectedDataTypePurposes": list(a.purposes)}
            for a in labels.apple],
    }


def fastlane_usages(labels: StoreLabels) -> list[dict[str, Any]]:
    """fastlane's ``app_privacy_details.json``: what ``upload_app_privacy_details_to_app_store``
    reads (fastlane/lib/fastlane/actions/upload_app_privacy_details_to_app_store.rb): a list
    of ``{category, purposes, data_protections}`` sorted by category, or the one
    ``DATA_NOT_COLLECTED`` entry. Entries whose Apple type has no App Store Connect category
    are left to :attr:`StoreLabels.problems` by the caller."""
    usages = []
    for a in labels.apple:
        category = APPLE_DATA_TYPES.get(a.type, (None, ""))[0]
        if category is None:
            continue
        protections = [DATA_LINKED_TO_YOU if a.linked else DATA_NOT_LINKED_TO_YOU]
        if a.tracking:
            protections.append(DATA_USED_TO_TRACK_YOU)
        usages.append({"category": category,
                       "purposes": sorted({APPLE_PURPOSES[p][0] for p in a.purposes}),
                       "data_protections": sorted(protections)})
    if not usages:
        return [{"data_protections": [DATA_NOT_COLLECTED]}]
    return sorted(usages, key=lambda u: str(u["category"]))


def play_questions() -> list[tuple[str, str, str, str]]:
    """The full Data safety question list, in Play Console's order: ``(question id, response
    id, answer requirement, label)``."""
    rows: list[tuple[str, str, str, str]] = [
        ("PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA", "", "REQUIRED",
         "Does your app collect or share any of the required user data types?"),
        ("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", "", "MAYBE_REQUIRED",
         "Is all of the user data collected by your app encrypted in transit?"),
        *PLAY_UNANSWERED_ACCOUNTS,
        ("PSL_ACCOUNT_DELETION_URL", "", "MAYBE_REQUIRED",
         "Add a link that users can use to request that their account and associated data "
         "is deleted"),
        *(("PSL_SUPPORT_DATA_DELETION_BY_USER", rid, "SINGLE_CHOICE",
           f"Do you provide a way for users to request that their data is deleted? / {label}")
          for rid, label in (("DATA_DELETION_YES", "Yes"), ("DATA_DELETION_NO", "No"),
                             ("DATA_DELETION_NO_AUTO_DELETED",
                              "No, but user data is automatically deleted within 90 days"))),
        ("PSL_DATA_DELETION_URL", "", "MAYBE_REQUIRED", "Delete data URL"),
        *PLAY_UNANSWERED_OTHERS,
    ]
    rows += [(q, rid, "MULTIPLE_CHOICE", label) for rid, (q, label) in PLAY_DATA_TYPES.items()]
    for rid, (_, label) in PLAY_DATA_TYPES.items():
        name = label.split(" / ")[-1]
        head = f"Data usage and handling ({name})"
        pre = f"PSL_DATA_USAGE_RESPONSES:{rid}:"
        rows += [
            (pre + _COLLECTION, "PSL_DATA_USAGE_ONLY_COLLECTED", "MULTIPLE_CHOICE",
             f"{head} / Is this data collected, shared, or both? / Collected"),
            (pre + _COLLECTION, "PSL_DATA_USAGE_ONLY_SHARED", "MULTIPLE_CHOICE",
             f"{head} / Is this data collected, shared, or both? / Shared"),
            (pre + _EPHEMERAL, "", "MAYBE_REQUIRED",
             f"{head} / Is this data processed ephemerally?"),
            (pre + _CONTROL, "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL", "SINGLE_CHOICE",
             f"{head} / Is this data required for your app, or can users choose whether it's "
             f"collected? / Users can choose whether this data is collected"),
            (pre + _CONTROL, "PSL_DATA_USAGE_USER_CONTROL_REQUIRED", "SINGLE_CHOICE",
             f"{head} / Is this data required for your app, or can users choose whether it's "
             f"collected? / Data collection is required (users can't turn off this data "
             f"collection)"),
        ]
        rows += [(pre + _WHY_COLLECTED, pid, "MULTIPLE_CHOICE",
                  f"{head} / Why is this user data collected? Select all that apply. / {plabel}")
                 for pid, plabel in PLAY_PURPOSES.items()]
        rows += [(pre + _WHY_SHARED, pid, "MULTIPLE_CHOICE",
                  f"{head} / Why is this user data shared? Select all that apply. / {plabel}")
                 for pid, plabel in PLAY_PURPOSES.items()]
    return rows


def on(flag: bool) -> str:
    """A choice taken (``TRUE``) or not (empty), as the export writes them."""
    return TRUE if flag else ""


def play_answers(labels: StoreLabels) -> dict[tuple[str, str], str]:
    """The answer of every question the policy decides: ``(question id, response id) ->
    value`` (``TRUE``, ``FALSE``, a URL, or empty for a choice not taken). Questions in
    :data:`PLAY_UNANSWERED` are not in it."""
    answers: dict[tuple[str, str], str] = {
        ("PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA", ""): TRUE if labels.play else FALSE,
        ("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", ""):
            (TRUE if labels.encrypted_in_transit else FALSE) if labels.play else "",
        ("PSL_ACCOUNT_DELETION_URL", ""): labels.account_deletion_url or "",
        ("PSL_DATA_DELETION_URL", ""): labels.data_deletion_url or "",
    }
    deletion = "DATA_DELETION_YES" if labels.data_deletion_url else "DATA_DELETION_NO"
    for rid in ("DATA_DELETION_YES", "DATA_DELETION_NO", "DATA_DELETION_NO_AUTO_DELETED"):
        answers[("PSL_SUPPORT_DATA_DELETION_BY_USER", rid)] = TRUE if rid == deletion else ""
    entries = {e.type: e for e in labels.play}
    for rid, (q, _) in PLAY_DATA_TYPES.items():
        e = entries.get(rid)
        answers[(q, rid)] = TRUE if e else ""
        pre = f"PSL_DATA_USAGE_RESPONSES:{rid}:"
        answers[(pre + _COLLECTION, "PSL_DATA_USAGE_ONLY_COLLECTED")] = on(e is not None)
        answers[(pre + _COLLECTION, "PSL_DATA_USAGE_ONLY_SHARED")] = on(e is not None
                                                                        and e.shared)
        answers[(pre + _EPHEMERAL, "")] = "" if e is None else (TRUE if e.ephemeral else FALSE)
        answers[(pre + _CONTROL, "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL")] = on(
            e is not None and e.optional)
        answers[(pre + _CONTROL, "PSL_DATA_USAGE_USER_CONTROL_REQUIRED")] = on(
            e is not None and not e.optional)
        for pid in PLAY_PURPOSES:
            answers[(pre + _WHY_COLLECTED, pid)] = on(e is not None and pid in e.collected_for)
            answers[(pre + _WHY_SHARED, pid)] = on(e is not None and e.shared
                                                    and pid in e.shared_for)
    return answers


def read_play_csv(data: bytes, name: str) -> list[list[str]]:
    """The rows of a Data safety CSV (the header checked, then dropped).

    Raises:
        LabelError: not UTF-8, not the export's header, or a row without five columns.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelError([f"{name}: not UTF-8 (byte {exc.start})"]) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # a field over the csv module's limit, a NUL
        raise LabelError([f"{name}: not a CSV file Play Console writes ({exc})"]) from None
    if not rows or tuple(rows[0]) != CSV_HEADER:
        raise LabelError([f"{name}:1: not Play Console's Data safety export: the header must "
                          f"be {','.join(CSV_HEADER)}"])
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(CSV_HEADER):
            raise LabelError([f"{name}:{i}: {len(row)} columns, the export has "
                              f"{len(CSV_HEADER)}"])
    return rows[1:]


def _csv(labels: StoreLabels, template: list[list[str]] | None) -> bytes:
    answers = play_answers(labels)
    if template is None:
        rows = [[q, r, answers.get((q, r), ""), req, label]
                for q, r, req, label in play_questions()]
    else:
        keys = {(row[0], row[1]) for row in template}
        # A row the answers take (a value to fill in) must be there; an empty one may not.
        missing = [f"{q} {r}".strip() for (q, r), value in answers.items()
                   if value and (q, r) not in keys]
        if missing:
            raise LabelError([f"--play-template: no row for {m}; export the Data safety "
                              f"template from Play Console again" for m in missing[:5]])
        rows = [[q, r, answers.get((q, r), value), req, label]
                for q, r, value, req, label in template]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _md(version: Mapping[str, Any], labels: StoreLabels, source: Source, tag: str) -> bytes:
    title, intro, categories, unmapped = MD_WORDS.get(tag.split("-")[0], MD_WORDS["en"])
    lines = [f"# {title}: {source.app_name}", "", source.line, "", intro, "",
             f"## {categories}", ""]
    for cat in version.get("data_categories", []):
        texts = cat.get("title") or {}
        name = texts.get(tag) or texts.get(tag.split("-")[0]) or next(iter(texts.values()), "")
        store = cat.get("store") or {}
        apple = ", ".join(apple_name(t) for t in store.get("apple", [])) or unmapped
        play = ", ".join(play_name(t) for t in store.get("play", [])) or unmapped
        lines.append(f"- {name} ({cat['id']}): App Store: {apple}; Google Play: {play}")
    for store_name, prefix in (("App Store", "Apple: "), ("Google Play", "Play: ")):
        lines += ["", f"## {store_name}", ""]
        lines += [f"- {line.removeprefix(prefix)}" for line in label_lines(labels, tag)
                  if line.startswith(prefix)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _plist(labels: StoreLabels, source: Source, python_runtime: bool) -> bytes:
    manifest = privacy_manifest(labels)
    if python_runtime:
        manifest["NSPrivacyAccessedAPITypes"] = [dict(e) for e in PYTHON_REQUIRED_REASONS]
    data = plistlib.dumps(manifest, sort_keys=True)
    head, sep, rest = data.partition(b"<plist ")
    # A comment is the one place a plist holds what Apple's keys do not say.
    comment = f"<!-- {source.line} -->\n".encode()
    return head + comment + sep + rest


def build_files(version: Mapping[str, Any], labels: StoreLabels, source: Source, *,
                play_template: list[list[str]] | None = None,
                python_runtime: bool = False) -> dict[str, bytes]:
    """Every file for ``version`` (as the manifest carries it). ``python_runtime`` adds
    :data:`PYTHON_REQUIRED_REASONS` to the plist (an app that bundles CPython).

    Raises:
        LabelError: the policy does not map every data category and purpose, an Apple type
            has no App Store Connect category, or the template lacks a question.
    """
    problems = list(labels.problems)
    problems += [f"Apple data type {a.type} has no App Store Connect category fastlane can "
                 f"upload; declare it in App Store Connect by hand" for a in labels.apple
                 if APPLE_DATA_TYPES.get(a.type, (None, ""))[0] is None]
    if problems:
        raise LabelError(problems)
    files = {
        PLIST_NAME: _plist(labels, source, python_runtime),
        JSON_NAME: (json.dumps(fastlane_usages(labels), indent=2) + "\n").encode("utf-8"),
        CSV_NAME: _csv(labels, play_template),
    }
    for tag in sorted(version.get("locales", {})):
        files[f"labels.{tag}.md"] = _md(version, labels, source, tag)
    lock = {"app": source.app, "version": source.version, "label": source.label,
            "manifest_seq": source.manifest_seq, "manifest_sha256": source.manifest_sha256,
            "files": {name: hashlib.sha256(data).hexdigest()
                      for name, data in sorted(files.items())}}
    files[LOCK_NAME] = (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines()


def check_files(expected: Mapping[str, bytes], found: Mapping[str, bytes | None],
                labels: StoreLabels) -> list[str]:
    """Drifts between the files the current version makes (``expected``) and those found
    (``found``: name -> bytes, None when missing; ``labels.*.md`` found but not expected are
    in it too). Each problem names the file and line."""
    problems: list[str] = []
    for name in sorted(set(expected) | set(found)):
        data, want = found.get(name), expected.get(name)
        if want is None:
            problems.append(f"{name}: the current version has no such language")
            continue
        if data is None:
            problems.append(f"{name}: missing")
            continue
        if name == LOCK_NAME:
            problems += _check_lock(data, want)
        elif name == CSV_NAME:
            problems += _check_csv(data, labels)
        else:
            problems += _check_lines(name, data, want)
    return problems


def _check_lines(name: str, data: bytes, want: bytes) -> list[str]:
    have, should = _lines(data), _lines(want)
    for i, (a, b) in enumerate(zip(have, should, strict=False), 1):
        if _mask(a) != _mask(b):
            return [f"{name}:{i}: says {a.strip()!r}, the current version says {b.strip()!r}"]
    if len(have) != len(should):
        n = min(len(have), len(should)) + 1
        what = (f"the current version says {should[n - 1].strip()!r}" if len(should) >= n
                else "the current version ends before it")
        return [f"{name}:{n}: {what}"]
    return []


def _check_lock(data: bytes, want: bytes) -> list[str]:
    try:
        have = json.loads(data)
        version = int(have["version"])
    except (ValueError, KeyError, TypeError):
        return [f"{LOCK_NAME}:1: not a file kelisim labels wrote"]
    should = json.loads(want)
    if version != should["version"]:
        line = next((i for i, text in enumerate(_lines(data), 1) if '"version"' in text), 1)
        return [f"{LOCK_NAME}:{line}: made from version {version} ({have.get('label')}), the "
                f"current version is {should['version']} ({should['label']})"]
    return []


def _check_csv(data: bytes, labels: StoreLabels) -> list[str]:
    try:
        rows = read_play_csv(data, CSV_NAME)
    except LabelError as exc:
        return list(exc.problems)
    answers = play_answers(labels)
    problems: list[str] = []
    seen = set()
    for i, (q, r, value, _req, _label) in enumerate(rows, 2):
        seen.add((q, r))
        want = answers.get((q, r))
        # TRUE/true alike (exports differ); a URL exactly.
        same = value == want or (want in (TRUE, FALSE) and value.strip().upper() == want)
        if want is not None and not same:
            problems.append(f"{CSV_NAME}:{i}: {q} {r} is {value!r}, the current version "
                            f"says {want!r}".replace("  ", " "))
    for q, r in answers:
        if (q, r) not in seen and answers[(q, r)]:
            problems.append(f"{CSV_NAME}: no row for {q} {r}, the current version says "
                            f"{answers[(q, r)]!r}".replace("  ", " "))
    return problems

"""The one-file app bundle (``kelisim bundle APP OUT``): what an app ships so that its
first launch works offline.

Format (UTF-8 JSON, by convention ``<app>.kelisim``)::

    {"format": "kelisim-app-bundle", "format_version": 1, "app": "<app id>",
     "root": "<root envelope JSON text>",          # pinned: the root in force when bundled
     "manifest": "<manifest envelope JSON text>",  # the app's signed manifest
     "documents": {"<sha256>": "<Markdown text>"}} # current and upcoming documents

Envelopes and documents are JSON strings holding the exact bytes (UTF-8) the server
serves. :func:`load_bundle` only checks the shape; the signatures, the manifest's app and
every document's sha256 and length are verified by ``ConsentClient`` exactly as downloads
are (``ConsentClient.from_bundle``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from client_sdk.errors import FormatError
from client_sdk.protocol.digest import sha256_hex
from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.jsonutil import loads_strict
from client_sdk.protocol.record import Record, record

__all__ = ["BUNDLE_FORMAT", "BUNDLE_SUFFIX", "AppBundle", "load_bundle"]

BUNDLE_FORMAT = "kelisim-app-bundle"
BUNDLE_SUFFIX = ".kelisim"
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_APP_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_KEYS = {"format", "format_version", "app", "root", "manifest", "documents"}


@record
class AppBundle(Record):
    """A parsed bundle: exact bytes, not yet verified."""

    app_id: str
    root: bytes
    manifest: bytes
    documents: Mapping[str, bytes]


def load_bundle(source: str | Path | bytes, *, max_bytes: int = MAX_BUNDLE_BYTES
                ) -> AppBundle:
    """Read a bundle from a file path or from its bytes.

    Raises:
        FormatError: not a bundle (the message names the field), or larger than
            ``max_bytes``.
        OSError: the file cannot be read.
    """
    where = "app bundle"
    if isinstance(source, bytes):
        data = source
    else:
        where = str(source)
        with open(source, "rb") as f:
            data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FormatError(f"{where}: larger than {max_bytes} bytes", url=where)
    body = loads_strict(data, what="app bundle", url=where)
    if not isinstance(body, dict):
        raise FormatError(f"{where}: not a JSON object", url=where)
    if set(body) != _KEYS:
        missing, extra = sorted(_KEYS - set(body)), sorted(set(body) - _KEYS)
        raise FormatError(f"{where}: missing fields {missing}, unknown fields {extra}",
                          url=where)
    if body["format"] != BUNDLE_FORMAT or body["format_version"] != 1:
        raise FormatError(f"{where}: format must be {BUNDLE_FORMAT!r} version 1", url=where)
    app = body["app"]
    if not isinstance(app, str) or not _APP_ID.fullmatch(app):
        raise FormatError(f"{where}: field app is not an app id", url=where)
    for field in ("root", "manifest"):
        if not isinstance(body[field], str):
            raise FormatError(f"{where}: field {field} must be the envelope's JSON text",
                              url=where)
    root = body["root"].encode("utf-8")
    parse_envelope(root, PAYLOAD_ROOT)  # the right kind of envelope; verified later
    docs = body["documents"]
    if not isinstance(docs, dict):
        raise FormatError(f"{where}: field documents must map sha256 to text", url=where)
    documents: dict[str, bytes] = {}
    for sha, text in docs.items():
        if not _SHA256.fullmatch(sha) or not isinstance(text, str):
            raise FormatError(f"{where}: documents.{sha[:64]} must be text under its "
                              f"lower-case sha256", url=where)
        raw = text.encode("utf-8")
        if sha256_hex(raw) != sha:
            raise FormatError(f"{where}: documents.{sha} does not hash to its key",
                              url=where)
        documents[sha] = raw
    return AppBundle(app, root, body["manifest"].encode("utf-8"), documents)

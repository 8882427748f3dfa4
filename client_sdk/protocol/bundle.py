"""The one-file app bundle (``kelisim bundle APP OUT``): what an app ships so that its
first launch works offline.

Format (UTF-8 JSON, by convention ``<app>.kelisim``)::

    {"format": "kelisim-app-bundle", "format_version": 1, "app": "<app id>",
     "root": "<root envelope JSON text>",          # pinned: the root in force when bundled
     "manifest": "<manifest envelope JSON text>",  # the app's signed manifest
     "documents": {"<sha256>": "<Markdown text>"}, # current and upcoming documents
     "manifest_proof": "<tlog-proof text>"}        # optional: the manifest's proof in
                                                   # the policy log (docs/transparency.md)

Envelopes and documents are JSON strings holding the exact bytes (UTF-8) the server
serves. :func:`load_bundle` only checks the shape; the signatures, the manifest's app and
every document's sha256 and length are verified by ``ConsentClient`` exactly as downloads
are (``ConsentClient.from_bundle``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from client_sdk.errors import FormatError
from client_sdk.protocol.digest import sha256_hex
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.grammar import is_app_id, is_sha256
from client_sdk.protocol.jsonutil import loads_strict
from client_sdk.protocol.record import Record, record

__all__ = ["BUNDLE_FORMAT", "BUNDLE_SUFFIX", "AppBundle", "load_bundle"]

BUNDLE_FORMAT = "kelisim-app-bundle"
BUNDLE_SUFFIX = ".kelisim"
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
_KEYS = {"format", "format_version", "app", "root", "manifest", "documents"}


@record
class AppBundle(Record):
    """A parsed bundle: exact bytes, not yet verified."""

    app_id: str
    root: bytes
    manifest: bytes
    documents: Mapping[str, bytes]
    manifest_proof: bytes | None = None


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
    if set(body) - {"manifest_proof"} != _KEYS:
        missing = sorted(_KEYS - set(body))
        extra = sorted(set(body) - _KEYS - {"manifest_proof"})
        raise FormatError(f"{where}: missing fields {missing}, unknown fields {extra}",
                          url=where)
    if body["format"] != BUNDLE_FORMAT or body["format_version"] != 1:
        raise FormatError(f"{where}: format must be {BUNDLE_FORMAT!r} version 1", url=where)
    app = body["app"]
    if not is_app_id(app):
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
        if not is_sha256(sha) or not isinstance(text, str):
            raise FormatError(f"{where}: documents.{sha[:64]} must be text under its "
                              f"lower-case sha256", url=where)
        raw = text.encode("utf-8")
        if sha256_hex(raw) != sha:
            raise FormatError(f"{where}: documents.{sha} does not hash to its key",
                              url=where)
        documents[sha] = raw
    manifest = body["manifest"].encode("utf-8")
    _check_complete(manifest, documents, where)
    proof = body.get("manifest_proof")
    if proof is not None and not isinstance(proof, str):
        raise FormatError(f"{where}: field manifest_proof must be the tlog-proof's text",
                          field="manifest_proof", url=where)
    return AppBundle(app, root, manifest, documents,
                     proof.encode("utf-8") if proof is not None else None)


def _check_complete(manifest: bytes, documents: Mapping[str, bytes], where: str) -> None:
    """Every document the manifest names for its current and upcoming versions is in the
    bundle: a bundle without one would show a first launch with no text to consent to.
    Only the shape is read here (unverified); the client verifies the rest.

    Raises:
        FormatError: a document is missing (naming the version and locale), or the
            manifest is not an envelope.
    """
    payload = parse_envelope(manifest, PAYLOAD_MANIFEST).payload_json(url=where)
    if not isinstance(payload, dict):
        return  # the client's verification names what is wrong with it
    for key in ("current", "upcoming"):
        version = payload.get(key)
        if not isinstance(version, dict) or not isinstance(version.get("locales"), dict):
            continue
        for tag, doc in sorted(version["locales"].items()):
            sha = doc.get("sha256") if isinstance(doc, dict) else None
            if isinstance(sha, str) and sha not in documents:
                raise FormatError(f"{where}: the {key} version "
                                  f"{version.get('label', version.get('version'))!s} names "
                                  f"a {tag!r} document ({sha[:12]}…) that the bundle does "
                                  f"not hold; make the bundle again with `kelisim bundle`",
                                  field=f"documents ({key}.locales.{tag})", url=where)

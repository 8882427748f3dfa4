"""Endpoint secrets at rest.

The server must sign with an endpoint's secret, so it cannot keep only a hash as it does
for API keys. The secret is stored encrypted: AES-256-GCM with the deployment's webhook key
(``<instance>/webhook_key``, 32 random bytes in hex, written 0600 on first use like
``secret_key``; or WEBHOOK_KEY), the endpoint's public id as associated data (a box copied
to another endpoint's row does not open). A copy of the database alone (a backup, a
replica, an SQL injection elsewhere) then reveals no secret. The secret is shown once, when
the endpoint is created.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.config import Settings, check_private_file
from server.errors import ConfigError
from server.files import write_private_file

__all__ = ["SECRET_PREFIX", "new_secret", "open_secret", "seal_secret", "webhook_key"]

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 (a prefix, not a secret)
_NONCE = 12


def new_secret() -> str:
    """A new endpoint secret: 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_key(settings: Settings) -> bytes:
    """The deployment's webhook key (WEBHOOK_KEY, else ``<instance>/webhook_key``, created
    0600 on first use).

    Raises:
        ConfigError: the key is not 64 hex digits, or its file is readable by others.
    """
    text = settings.webhook_key
    if not text:
        path = Path(settings.instance_path) / "webhook_key"
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                write_private_file(path, secrets.token_hex(32).encode())
        check_private_file(path, "the webhook key file")
        text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError("WEBHOOK_KEY must be 64 hex digits (32 bytes)")
    return key


def seal_secret(key: bytes, endpoint_id: str, secret: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode(), endpoint_id.encode())


def open_secret(key: bytes, endpoint_id: str, box: bytes) -> str:
    """The secret in ``box``.

    Raises:
        ConfigError: the box does not open with this key (the webhook key was changed).
    """
    try:
        return AESGCM(key).decrypt(box[:_NONCE], box[_NONCE:], endpoint_id.encode()).decode()
    except InvalidTag:
        raise ConfigError(f"the secret of webhook endpoint {endpoint_id} does not open with "
                          f"the webhook key (was WEBHOOK_KEY changed?)") from None

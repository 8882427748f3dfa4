"""Install tokens: itsdangerous, own salt, SHA-256. The server alone checks them.

A token carries the app, the install and the install's token generation. Renewal bumps
the generation in the database, which revokes every earlier token of that install. An
expired token can be renewed only within ``renew_grace`` seconds after its expiry; after
that (and for a forged token, one signed by a secret no longer configured, an unknown
install or an older generation) the answer is ``401 invalid_token``: the SDK registers
again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from client_sdk.protocol.timeutil import utcnow
from server.http.errors import ApiError

__all__ = ["TokenClaim", "TokenService"]

_INVALID = "the install token is not valid; register the install again"


@dataclass(frozen=True)
class TokenClaim:
    """What a correctly signed token says; the generation is checked against the database."""

    install_id: str
    generation: int
    expired: bool


def _signer_with_clock(clock: Callable[[], datetime]) -> type[TimestampSigner]:
    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockSigner


class TokenService:
    """Issue and read install tokens.

    ``secrets`` lists the configured secret keys oldest first: the last signs, every one
    verifies (itsdangerous's key rotation), so dropping a secret from the list refuses the
    tokens it signed and nothing else.
    """

    def __init__(self, secrets: list[str], max_age: int, renew_grace: int,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.max_age = max_age
        self.renew_grace = renew_grace
        self._clock = clock
        self._s = URLSafeTimedSerializer(
            list(secrets), salt="kelisim.install-token",
            signer=_signer_with_clock(clock),
            signer_kwargs={"digest_method": hashlib.sha256})

    def issue(self, app_id: str, install_id: str, generation: int = 1) -> str:
        return self._s.dumps({"a": app_id, "i": install_id, "g": generation})

    def read(self, header: str | None, app_id: str, *, renewal: bool = False) -> TokenClaim:
        """The claim the ``Authorization: Bearer`` header proves.

        For ``renewal`` an expired token is accepted within the grace window.

        Raises:
            ApiError: 401 ``unauthorized`` (no bearer token), ``invalid_token`` (forged,
                signed by an unknown secret, or expired beyond the renewal grace),
                ``token_expired``; 403 a token of another app.
        """
        if not header or not header.startswith("Bearer ") or len(header) > 4096:
            raise ApiError(401, "unauthorized", "send the install token as "
                           "'Authorization: Bearer <token>'")
        token = header[7:].strip()
        try:
            data, signed_at = self._s.loads(token, max_age=None, return_timestamp=True)
        except BadSignature:
            raise ApiError(401, "invalid_token", _INVALID) from None
        if not isinstance(data, dict) or not isinstance(data.get("i"), str):
            raise ApiError(401, "invalid_token", _INVALID)
        generation = data.get("g", 1)  # tokens issued before generations existed
        if type(generation) is not int or generation < 1:
            raise ApiError(401, "invalid_token", _INVALID)
        if data.get("a") != app_id:
            raise ApiError(403, "forbidden", "this token belongs to another app")
        age = (self._clock() - signed_at).total_seconds()
        expired = age > self.max_age
        if expired and not renewal:
            raise ApiError(401, "token_expired", "the install token has expired; renew it at "
                           "POST /v1/apps/<app>/installs/<id>/token")
        if age > self.max_age + self.renew_grace:
            raise ApiError(401, "invalid_token", "the install token expired too long ago to "
                           "be renewed; register the install again")
        return TokenClaim(str(data["i"]), generation, expired)

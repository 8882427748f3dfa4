"""Installs: registering one, and the token generation every install token names.

A renewal bumps the generation (compare-and-set), which revokes every earlier token of
that install; ingest and request intake refuse a token of an older generation.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.errors import TokenRevoked, UnknownApp, UnknownInstall
from server.models import App, Install

__all__ = ["check_generation", "register_install", "renew_generation"]


def register_install(session: Session, app_id: str, now: datetime) -> Install:
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    install = Install(id=str(uuid.uuid4()), app_id=app_id, created_at=format_time(now),
                      token_generation=1)
    session.add(install)
    session.flush()
    return install


def check_generation(session: Session, app_id: str, install_id: str, generation: int) -> None:
    """Refuse a token of an unknown install or of an older generation than the install's.

    Reads the row, never the session's identity map: a renewal earlier in the same group
    transaction must be seen.

    Raises:
        UnknownInstall: an unknown install, or (TokenRevoked) a revoked token: 401
            invalid_token.
    """
    current = session.scalar(select(Install.token_generation).where(
        Install.id == install_id, Install.app_id == app_id))
    if current is None:
        raise UnknownInstall(install_id)
    if current != generation:
        raise TokenRevoked(install_id)


def renew_generation(session: Session, app_id: str, install_id: str, generation: int) -> int:
    """Revoke the token of ``generation`` and return the next generation (compare-and-set: of two
    renewals with the same token, one wins and the other is refused).

    Raises:
        UnknownInstall: an unknown install, or (TokenRevoked) an already revoked token.
    """
    done = session.execute(
        update(Install).where(Install.id == install_id, Install.app_id == app_id,
                              Install.token_generation == generation)
        .values(token_generation=generation + 1)
        .returning(Install.token_generation)).scalar_one_or_none()
    if done is None:
        exists = session.scalar(select(Install.id).where(Install.id == install_id,
                                                         Install.app_id == app_id))
        if exists:
            raise TokenRevoked(install_id, "this token was already renewed; register "
                               "the install again")
        raise UnknownInstall(install_id)
    return int(done)

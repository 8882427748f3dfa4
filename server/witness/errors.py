"""Errors of the parties outside the operator (witness, auditor, proof files): each a
:class:`~server.errors.KelisimError`, so the CLI prints it as one line."""

from __future__ import annotations

from server.errors import KelisimError

__all__ = ["AuditFailure", "WitnessConflict", "WitnessError", "WitnessSetupError",
           "WitnessUnavailable"]


class WitnessSetupError(KelisimError):
    """A witness folder, key file or log entry that cannot be used (the message names it)."""


class WitnessError(KelisimError):
    """A witness refused a checkpoint: ``status`` is its HTTP status, ``message`` its reason."""

    def __init__(self, message: str, *, status: int, url: str) -> None:
        super().__init__(message, status=status, url=url)
        self.status = status


class WitnessConflict(WitnessError):
    """409: the witness's latest cosigned size for the log is ``known_size``, not the old
    size the log sent; the log retries with a proof from that size."""

    def __init__(self, message: str, *, known_size: int, url: str) -> None:
        super().__init__(message, status=409, url=url)
        self.details["known_size"] = known_size
        self.known_size = known_size


class WitnessUnavailable(KelisimError):
    """The witness did not answer usefully: no connection, a timeout, an oversized or
    malformed answer, a 5xx."""


class AuditFailure(KelisimError):
    """An audit found a problem: ``step`` names the check that failed."""

    def __init__(self, message: str, *, step: str, **details: object) -> None:
        super().__init__(message, step=step, **details)
        self.step = step

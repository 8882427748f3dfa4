"""Files written whole: durably (fsync), and atomically where a reader may look meanwhile.

Every file the server writes goes through here: the bundle and the static export
(:func:`write_atomic`: a temporary file beside the target, fsynced, renamed over it, the
folder fsynced), secrets and private keys (:func:`write_private_file`: created 0600, never
wider whatever the umask, and never over an existing file).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["fsync_dir", "write_atomic", "write_private_file"]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power loss."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never wider, whatever the umask), durably."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)

"""The key that signs session cookies, kept out of the database.

With the key and the admin password hash (which the database holds) anyone could forge an admin
session, so one copy of the database file must not be enough. The key comes from
TRACKER_SECRET_KEY (Settings.secret_key) or, failing that, from `<database>.secret`: a file of
mode 0600 next to the database, made once, atomically, by whichever process gets there first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

MIN_LENGTH = 32


class KeyFileError(RuntimeError):
    """The key file exists but cannot be used; the message says which file and what to do."""


def key_path(database: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(database)}.secret")


def _read(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the session key file {path}: {exc}") from None
    if len(key) < MIN_LENGTH:
        raise KeyFileError(
            f"the session key file {path} holds fewer than {MIN_LENGTH} characters; "
            "delete it to make a new one (everyone will have to sign in again)"
        )
    return key


def _create(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place: readers never see
    a half-written key, and when two processes race the first link wins, the other reads it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_key(database: str | os.PathLike[str]) -> str:
    """The key from `<database>.secret`, creating that file (mode 0600) the first time."""
    path = key_path(database)
    if not path.exists():
        try:
            _create(path)
        except OSError as exc:
            raise KeyFileError(
                f"cannot create the session key file {path}: {exc}; set TRACKER_SECRET_KEY instead"
            ) from None
    return _read(path)

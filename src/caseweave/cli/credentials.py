"""The CLI's stored logins: one JSON file that only its owner may read, as ssh treats its keys.

{"databases": {KEY: {"database": URL without password, "default": NAME, "tokens": {NAME: TOKEN}}}}
KEY is the sha256 of the database URL without its password, so a token is only ever sent to the
database that issued it. A token is a secret: this module never prints one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from caseweave.errors import Invalid

ENV_PATH = "CASEWEAVE_CREDENTIALS"


def credentials_path() -> Path:
    """CASEWEAVE_CREDENTIALS, else $XDG_CONFIG_HOME/caseweave/credentials.json (~/.config by default)."""
    given = os.environ.get(ENV_PATH)
    if given:
        return Path(given).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "caseweave" / "credentials.json"


def public_url(database_url: str) -> str:
    """The URL without its password; a relative SQLite path made absolute, so that one file is one
    database wherever the command runs (and a token never goes to a same-named file elsewhere)."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return database_url
    url = url.set(password=None)
    path = url.database
    if url.get_backend_name() == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
        url = url.set(database=str(Path(path).resolve()))
    return url.render_as_string(hide_password=False)


def database_key(database_url: str) -> str:
    return hashlib.sha256(public_url(database_url).encode()).hexdigest()


@dataclass
class Logins:
    """The logins of one database: each user's token, and whom commands act as by default."""

    database: str
    default: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def forget(self, username: str) -> None:
        self.tokens.pop(username, None)
        if self.default == username:
            self.default = min(self.tokens) if self.tokens else None


@dataclass
class Credentials:
    path: Path
    databases: dict[str, Logins] = field(default_factory=dict)

    def logins(self, database_url: str) -> Logins:
        """This database's logins (an empty set, added to the file when saved)."""
        key = database_key(database_url)
        if key not in self.databases:
            self.databases[key] = Logins(public_url(database_url))
        return self.databases[key]


def load(path: Path | None = None) -> Credentials:
    """The stored logins; none if there is no file. A file others could read is refused, not used."""
    path = path or credentials_path()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return Credentials(path)
    except OSError as error:
        raise Invalid(
            f"cannot read the credentials file {path}: {error.strerror}",
            hint=f"remove it and log in again, or set {ENV_PATH} to another file",
        ) from None
    with os.fdopen(fd, "rb") as handle:
        _check_private(path, os.fstat(handle.fileno()))
        raw = handle.read()
    return Credentials(path, _parse(path, raw))


def save(credentials: Credentials) -> None:
    """Write atomically as 0600; a folder this creates is 0700."""
    path = credentials.path
    folder = path.parent
    if not folder.is_dir():
        folder.mkdir(parents=True)
        folder.chmod(0o700)
    document = {
        "databases": {
            key: {"database": logins.database, "default": logins.default, "tokens": logins.tokens}
            for key, logins in credentials.databases.items()
            if logins.tokens
        }
    }
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _check_private(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Invalid(f"the credentials file {path} is not a regular file", hint="remove it and log in again")
    if info.st_uid != os.getuid():
        raise Invalid(
            f"the credentials file {path} belongs to another account",
            hint=f"remove it and log in again, or set {ENV_PATH} to a file of your own",
        )
    if info.st_mode & 0o077:
        raise Invalid(
            f"the credentials file {path} may be read by other accounts "
            f"(mode {stat.S_IMODE(info.st_mode):04o})",
            hint=f"run `chmod 600 {path}` (and log in again if someone else may have read it)",
        )


def _parse(path: Path, raw: bytes) -> dict[str, Logins]:
    broken = Invalid(
        f"the credentials file {path} is not one caseweave wrote", hint="remove it and log in again"
    )
    try:
        document: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise broken from None
    databases = document.get("databases") if isinstance(document, dict) else None
    if not isinstance(databases, dict):
        raise broken
    parsed: dict[str, Logins] = {}
    for key, entry in databases.items():
        tokens = entry.get("tokens") if isinstance(entry, dict) else None
        if not isinstance(tokens, dict) or not all(
            isinstance(name, str) and isinstance(token, str) for name, token in tokens.items()
        ):
            raise broken
        default = entry.get("default")
        parsed[key] = Logins(
            database=str(entry.get("database", "")),
            default=default if isinstance(default, str) and default in tokens else None,
            tokens=dict(tokens),
        )
    return parsed

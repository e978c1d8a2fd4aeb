"""Who is acting: an authenticated user through the API, or the local operator through the CLI."""

from __future__ import annotations

import getpass
import os
import uuid
from dataclasses import dataclass, field

from caseweave.access.policy import Viewer
from caseweave.auth.models import User


def new_request_id() -> str:
    return uuid.uuid4().hex


def os_account() -> str:
    """The account this process runs as, from the password database: not $USER or $LOGNAME, which
    anyone can set to put another name in the audit log."""
    try:
        import pwd  # POSIX only

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


@dataclass
class Actor:
    """`user` is None for the CLI operator, who has shell access to the database anyway."""

    name: str
    user: User | None = None
    request_id: str = field(default_factory=new_request_id)

    @classmethod
    def for_user(cls, user: User, request_id: str | None = None) -> Actor:
        return cls(name=f"user:{user.username}", user=user, request_id=request_id or new_request_id())

    @classmethod
    def cli(cls) -> Actor:
        return cls(name=f"cli:{os_account()}")

    @property
    def is_operator(self) -> bool:
        return self.user is None

    @property
    def viewer(self) -> Viewer | None:
        if self.user is None:
            return None
        return Viewer(self.user.id, self.user.agency_id, frozenset(self.user.roles))

    def has_role(self, *roles: str) -> bool:
        return self.is_operator or (self.user is not None and self.user.has_role(*roles))

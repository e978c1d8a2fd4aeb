"""Errors that services raise; the API and the CLI each turn them into one clear answer."""

from __future__ import annotations


class CaseweaveError(Exception):
    """Base of every error a user can cause and fix. Never raised directly."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.hint:
            body["hint"] = self.hint
        return body

    def one_line(self) -> str:
        """The CLI's single line: what, where, how to fix."""
        where = f" [{self.field}]" if self.field else ""
        fix = f" — {self.hint}" if self.hint else ""
        return f"{self.message}{where}{fix}"


class NotFound(CaseweaveError):
    """Missing, or not visible to this user: the two look the same on purpose."""

    code = "not_found"
    http_status = 404


class Forbidden(CaseweaveError):
    code = "forbidden"
    http_status = 403


class Unauthenticated(CaseweaveError):
    code = "unauthenticated"
    http_status = 401


class Invalid(CaseweaveError):
    code = "invalid"
    http_status = 422


class Conflict(CaseweaveError):
    code = "conflict"
    http_status = 409


class Locked(CaseweaveError):
    """Too many failed logins: the account waits before the next try."""

    code = "locked"
    http_status = 429

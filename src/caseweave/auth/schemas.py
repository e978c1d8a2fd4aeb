"""API shapes for login, users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from caseweave.auth.passwords import MAX_PASSWORD_LENGTH
from caseweave.auth.totp import CODE_PATTERN
from caseweave.bounds import Count
from caseweave.operations.schemas import AgencyOut

# Bounded before anything else runs: a 10 MB password is refused (422) without being hashed.
Username = Annotated[str, Field(min_length=1, max_length=120)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
Code = Annotated[str, Field(pattern=CODE_PATTERN, description="6 digits from the authenticator app")]


class LoginIn(BaseModel):
    username: Username
    password: Password
    otp: Code | None = Field(default=None, description="the current code, once a second factor is enrolled")


class TokenIssued(BaseModel):
    token: str = Field(description="shown once; send as 'Authorization: Bearer <token>'")
    token_id: int
    expires_at: datetime


class TotpConfirmIn(BaseModel):
    username: Username
    password: Password
    code: Code = Field(description="a code from the secret that /auth/totp/enrol gave")


class TotpEnrolment(BaseModel):
    secret: str = Field(description="shown once: type it into the authenticator app, or use the URI")
    otpauth_uri: str = Field(description="otpauth:// URI, for a QR code")
    expires_at: datetime = Field(description="confirm a code from it before this time")


class PasswordChangeIn(BaseModel):
    current_password: Password
    new_password: Password = Field(description="12 to 256 characters, not common or easy to guess")
    otp: Code | None = Field(default=None, description="the current code, once a second factor is enrolled")


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(description="your other login sessions, now ended (API tokens stay)")


class UserIn(BaseModel):
    username: str
    agency: str = Field(description="agency code")
    roles: list[str] = Field(examples=[["analyst"]])
    full_name: str = ""
    password: str | None = Field(
        default=None, description="leave out to have one generated and returned once"
    )


class RevokedOut(BaseModel):
    revoked: int = Field(description="sessions and API tokens ended")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str
    agency: AgencyOut
    roles: list[str]
    disabled: bool


class UserCreated(UserOut):
    generated_password: str | None = None


class TokenIn(BaseModel):
    name: str = "api"
    username: str | None = Field(default=None, description="admins may create tokens for other users")
    days: Count | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    kind: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

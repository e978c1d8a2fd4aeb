"""API shapes for login, users and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from caseweave.bounds import Count
from caseweave.operations.schemas import AgencyOut


class LoginIn(BaseModel):
    username: str
    password: str


class TokenIssued(BaseModel):
    token: str = Field(description="shown once; send as 'Authorization: Bearer <token>'")
    token_id: int
    expires_at: datetime


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

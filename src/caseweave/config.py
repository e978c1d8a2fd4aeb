"""Settings, read from the environment (CASEWEAVE_*) when the app or CLI is built, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEWEAVE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///caseweave.db",
        description="SQLAlchemy URL; default an embedded SQLite file in the working directory.",
    )
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a login token.")
    api_token_days: int = Field(default=90, gt=0, description="Default lifetime of an API token.")
    lockout_after: int = Field(default=5, ge=1, description="Failed logins before the account waits.")
    lockout_base_seconds: int = Field(
        default=60, ge=1, description="First wait after lockout; doubles with every further failure."
    )
    min_password_length: int = Field(default=12, ge=8)
    auto_upgrade: bool = Field(default=True, description="Apply migrations on first use.")


def load_settings(**overrides: object) -> Settings:
    """Build settings now, from the environment plus explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]

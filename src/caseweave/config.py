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
    # 24 h: returns log instants in local time mislabelled as UTC (up to 14 h off) and residential
    # leases last about a day; a wider gap starts linking the next subscriber of a reused address.
    link_ip_tolerance_hours: float = Field(
        default=24.0, ge=0, description="IP sightings link only if their windows are this close."
    )
    link_max_persons_per_value: int = Field(
        default=25, ge=2, description="A selector held by more person records is over-correlating."
    )
    # Selectors that name one person: a shared one joins two records into one subject. IP addresses,
    # devices and URLs are shared by households, cafés and groups: they only support (see below).
    link_cluster_selectors: list[str] = Field(
        default=["email", "phone", "username", "wallet", "payment"],
        description="Selector types whose exact match joins two records into one subject.",
    )
    link_ip_min_shared: int = Field(
        default=2, ge=1, description="Distinct IP addresses in overlapping windows that join two records."
    )
    # Splink match weight (log2 of the odds); 2.75 is a match probability of about 0.87. On the
    # synthetic operations (three seeds, docs/linkage.md) it adds 0.32-0.35 pairwise recall to exact
    # correlation for at most 0.01 precision; 6 added 0.22-0.24 for the same precision.
    link_match_weight_threshold: float = Field(
        default=2.75, description="Probabilistic links at or above this weight join records into subjects."
    )


def load_settings(**overrides: object) -> Settings:
    """Build settings now, from the environment plus explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]

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
    lockout_after: int = Field(
        default=5, ge=1, description="Failed logins from one address for one username before it waits."
    )
    lockout_base_seconds: int = Field(
        default=60, ge=1, description="That address's first wait; doubles with every further failure."
    )
    min_password_length: int = Field(default=12, ge=12, description="Shortest password (ASVS: 12).")
    # Login (docs/architecture.md "Login"). Failures are counted per source address and per username
    # from that address, never per account alone, so nobody elsewhere can lock the real user out. The
    # counts live in each server process's memory; with several processes (`http_workers`) each
    # allows its share, so that together they allow no more than these numbers (auth/throttle.py).
    lockout_max_seconds: int = Field(
        default=900, ge=1, description="Longest wait of one address for one username."
    )
    login_address_failures: int = Field(
        default=50, ge=1, description="Failed logins from one address, whatever the usernames, per window."
    )
    login_address_window_seconds: int = Field(
        default=900, ge=1, description="That window; an address past its failures waits for the window."
    )
    # ASVS 2.2.1: at most 100 failed logins an hour on one account. Counted only for addresses the
    # account has never logged in from, so an attack spread over many addresses cannot lock out its user.
    login_account_failures: int = Field(
        default=100,
        ge=1,
        description="Failed logins for one username from addresses it never logged in from, per window.",
    )
    login_account_window_seconds: int = Field(default=3600, ge=1, description="That window.")
    login_throttle_entries: int = Field(
        default=100_000,
        ge=100,
        description="Addresses, and address-username pairs, each remembered at most (least recent go).",
    )
    login_hash_slots: int | None = Field(
        default=None, ge=1, description="Password checks computed at once; default the number of CPUs."
    )
    login_hash_wait_seconds: float = Field(
        default=2.0, ge=0, le=30, description="How long a login waits for a free slot before answering 503."
    )
    totp_issuer: str = Field(
        default="caseweave", min_length=1, max_length=60, description="Name shown in authenticator apps."
    )
    auto_upgrade: bool = Field(default=True, description="Apply migrations on first use.")
    # One process runs Python on one core at a time (docs/benchmarks.md: about 80 subject reads/s);
    # several share the listening socket and the database, and scale with the cores.
    http_workers: int = Field(
        default=1, ge=1, le=64, description="Server processes of `caseweave serve`; about one per CPU core."
    )
    # HTTP limits and availability (docs/architecture.md, "api/"): bodies are counted as they arrive,
    # so an oversized one is refused before it is read whole; a request that finds every slot taken
    # waits briefly, then gets 503 with Retry-After instead of queueing behind a busy database.
    http_max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body (JSON); a larger one gets 413."
    )
    http_max_upload_bytes: int = Field(
        default=268_435_456, ge=1, description="Largest request body of a file upload (multipart) route."
    )
    # Each request in progress holds one of the 40 worker threads and a pooled database connection.
    # 8: on 2 cores more CPU-bound requests at once only share the interpreter lock, and starve the
    # event loop that answers /health and refuses what it cannot serve (docs/benchmarks.md).
    http_max_concurrent_requests: int = Field(
        default=8, ge=1, le=40, description="Requests handled at once; the database pool is sized to it."
    )
    # Twice the slots: a burst waits its turn, but at saturation every waiter would otherwise sit out
    # most of the wait (64 made the 503s themselves take ~0.4 s, 16 takes ~7 ms; docs/benchmarks.md).
    http_max_queued_requests: int = Field(
        default=16, ge=0, description="Requests that may wait for a free slot; beyond them 503 at once."
    )
    http_queue_timeout_seconds: float = Field(
        default=0.5, ge=0, description="How long a request waits for a free slot before it gets 503."
    )
    http_retry_after_seconds: int = Field(
        default=1, ge=1, description="Retry-After of a 503 (server or database busy)."
    )
    http_shutdown_timeout_seconds: int = Field(
        default=10, ge=1, description="On SIGTERM, requests still running after this long are cancelled."
    )
    db_lock_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest wait for a database lock or pooled connection (then 503)."
    )
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
    # The model's features are derived in Python per record and sighting: kept between runs, an
    # import derives only its own records' (linkage/feature_cache.py).
    linkage_feature_cache: bool = Field(
        default=True,
        description="Keep the probabilistic model's features between runs (a DuckDB file per operation).",
    )
    linkage_cache_dir: str | None = Field(
        default=None,
        description="Folder of those files; by default beside a SQLite database file "
        "('<file>.linkage-cache'). A server database (PostgreSQL) keeps none unless this is set.",
    )

    # Attribution (docs/attribution.md): each clue adds its weight to a country; the prior is weight
    # given to "somewhere else", so one weak clue never looks certain.
    attribution_geoip_provider: str = Field(
        default="auto",
        description="IP geolocation: auto (maxmind when attribution_geoip_mmdb is set, else geoip2fast), "
        "geoip2fast (bundled GeoLite2 data, offline) or maxmind.",
    )
    attribution_geoip_mmdb: str | None = Field(
        default=None, description="Path of a licensed MaxMind GeoIP2/GeoLite2 Country or City .mmdb file."
    )
    attribution_weight_ip: float = Field(
        default=1.0, ge=0, description="An IP address block (/24 or /48) located in a country."
    )
    attribution_proxy_factor: float = Field(
        default=0.25, ge=0, le=1, description="Multiplies the weight of an address flagged possibleProxy."
    )
    # Addresses move between customers and countries; a location far from the data's date is a lead.
    attribution_ip_stale_days: int = Field(
        default=365, ge=0, description="An IP seen this many days from the geolocation data's date is stale."
    )
    attribution_ip_stale_factor: float = Field(
        default=0.5, ge=0, le=1, description="Multiplies the weight of a stale IP location."
    )
    attribution_weight_phone: float = Field(
        default=2.0, ge=0, description="A phone number written with its country code."
    )
    attribution_phone_national_factor: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Multiplies a phone written in national format (its country was assumed at import).",
    )
    attribution_weight_email_cctld: float = Field(
        default=0.3, ge=0, description="An e-mail domain under a country-code TLD (weak: anyone registers)."
    )
    attribution_weight_stated_country: float = Field(
        default=3.0, ge=0, description="A country an agency's referral states for the person (MISP, STIX)."
    )
    attribution_weight_platform_country: float = Field(
        default=2.0, ge=0, description="A country a platform states for its user (CyberTip, returns, chats)."
    )
    attribution_weight_address: float = Field(
        default=1.5, ge=0, description="A country read from the end of a stated postal address."
    )
    attribution_prior_weight: float = Field(
        default=1.0, ge=0, description="Weight of 'unknown' in the confidence: top / (total + prior)."
    )
    attribution_contested_margin: float = Field(
        default=0.15, ge=0, le=1, description="Top two countries' shares closer than this: contested."
    )
    attribution_min_confidence: float = Field(
        default=0.3, ge=0, le=1, description="Below this confidence a subject goes to review, not routed."
    )

    # Dissemination (docs/dissemination.md): a package must be acknowledged within the hours of its most
    # urgent subject. A child possibly at risk cannot wait for a weekly review; routine leads can.
    dissemination_deadline_hours_immediate: float = Field(
        default=24.0, gt=0, description="Acknowledge within: a child possibly at risk."
    )
    dissemination_deadline_hours_high: float = Field(
        default=72.0, gt=0, description="Acknowledge within: new material not yet matched against hash banks."
    )
    dissemination_deadline_hours_routine: float = Field(
        default=720.0, gt=0, description="Acknowledge within: every other lead package."
    )
    # A package names suspects and carries the coordinator's routing decision even where every record
    # in it is GREEN or CLEAR, so its label never falls below this (the strictest part wins above it).
    dissemination_tlp_floor: str = Field(
        default="AMBER", description="Lowest TLP label a lead package carries: CLEAR, GREEN, AMBER …"
    )

    # Media matching (docs/media.md). 31 of 256 bits is Meta's recommended PDQ threshold: resized and
    # recompressed copies fall well inside it, unrelated images lie near 128.
    media_pdq_max_distance: int = Field(
        default=31, ge=0, le=256, description="A PDQ hash matches a bank hash within this Hamming distance."
    )
    media_pdq_min_quality: int = Field(
        default=50, ge=0, le=100, description="PDQ hashes of lower quality (flat images) are not matched."
    )
    media_index_path: str | None = Field(
        default=None,
        description="File of the persisted PDQ index; by default beside a SQLite database file "
        "('<file>.pdq-index'). A server database (PostgreSQL) keeps it in memory unless this is set.",
    )

    # Safeguarding queue (docs/victims.md): open victims ordered by the sum of these parts; each place
    # in the queue shows its parts. A child possibly being abused now outranks everything else.
    safeguarding_weight_live: float = Field(
        default=40.0,
        ge=0,
        description="A referral about the victim mentions live streaming or ongoing contact.",
    )
    safeguarding_weight_new_material: float = Field(
        default=30.0, ge=0, description="A referral about the victim holds material matched to no bank."
    )
    safeguarding_weight_recency: float = Field(
        default=20.0,
        ge=0,
        description="Full for material received today, falling to 0 over the window below.",
    )
    safeguarding_recency_days: float = Field(
        default=90.0, gt=0, description="Material older than this adds nothing for recency."
    )
    safeguarding_weight_unidentified: float = Field(
        default=10.0, ge=0, description="The victim is not yet identified."
    )


def load_settings(**overrides: object) -> Settings:
    """Build settings now, from the environment plus explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]

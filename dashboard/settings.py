"""Dashboard settings, from the environment (and an optional .env file)."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.store import default_url


class DashboardSettings(BaseSettings):
    """Where to serve and which store to read."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("DASHBOARD_HOST", "host"))
    port: int = Field(default=8050, validation_alias=AliasChoices("DASHBOARD_PORT", "port"))
    database_url: str = Field(
        default_factory=default_url, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    boundaries: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DASHBOARD_BOUNDARIES", "boundaries"),
        description=(
            "GeoJSON file or folder of admin boundaries (OCHA COD-AB) for the map; by default"
            " the shipped Syria admin 1 and 2 of data/boundaries/."
        ),
    )
    stale_after_days: int = Field(
        default=30,
        validation_alias=AliasChoices("DASHBOARD_STALE_AFTER_DAYS", "stale_after_days"),
        description="Warn when a source's last load is older than this.",
    )
    warm_places: int = Field(
        default=50,
        ge=0,
        validation_alias=AliasChoices("DASHBOARD_WARM_PLACES", "warm_places"),
        description="How many places of the place menu a server reads into its cache at start.",
    )
    pack_places: int = Field(
        default=500,
        ge=0,
        validation_alias=AliasChoices("DASHBOARD_PACK_PLACES", "pack_places"),
        description=(
            "How many places' figures a server reads at its start and keeps compressed in"
            " memory (the menu's, then the largest units), so that their first views do not"
            " wait for the store; a place read later is kept too. 0: none kept."
        ),
    )
    disagreement_threshold: float = Field(
        default=0.10,
        validation_alias=AliasChoices("DASHBOARD_DISAGREEMENT", "disagreement_threshold"),
        description="Flag two publishers whose figures differ by more than this share.",
    )
    cache_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CACHE_URL", "cache_url"),
        description="redis://... to share query results between workers; in-process if unset.",
    )
    auth: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DASHBOARD_AUTH", "auth"),
        description="Unset (open, for loopback), 'basic' or 'proxy'.",
    )
    users: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DASHBOARD_USERS", "users"),
        description="For basic auth: user=hash;user=hash (werkzeug password hashes).",
    )
    auth_header: str = Field(
        default="X-Forwarded-User",
        validation_alias=AliasChoices("DASHBOARD_AUTH_HEADER", "auth_header"),
        description="For proxy auth: the header the proxy sets to the signed-in user.",
    )
    debug: bool = Field(default=False, validation_alias=AliasChoices("DASHBOARD_DEBUG", "debug"))

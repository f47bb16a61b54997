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
    debug: bool = Field(default=False, validation_alias=AliasChoices("DASHBOARD_DEBUG", "debug"))

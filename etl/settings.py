"""ETL settings, from the environment (and an optional .env file)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.store.connection import DATA_DIR, default_url
from etl.transport import HttpSettings


class EtlSettings(BaseSettings):
    """Where the store is, where the bundled inputs are, and how strict a load is."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default_factory=default_url, description="SQLAlchemy URL of the store."
    )
    data_dir: Path = Field(default=DATA_DIR, description="Gazetteer, events and bundled inputs.")
    sources_config: Path | None = Field(
        default=None,
        alias="SOURCES_CONFIG",
        description="The sources config file (TOML); default etl/sources.toml.",
    )
    max_rejected_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        alias="ETL_MAX_REJECTED_SHARE",
        description="A load whose rejected share of figures is above this loads nothing.",
    )
    max_input_mb: float = Field(
        default=100,
        gt=0,
        alias="ETL_MAX_INPUT_MB",
        description="`etl import` refuses a file bigger than this (MB) before reading it.",
    )
    lock_path: Path | None = Field(
        default=None, alias="ETL_LOCK_PATH", description="Lock file; default data_dir/etl.lock."
    )

    hdx_hapi_app_identifier: str | None = Field(
        default=None, alias="HDX_HAPI_APP_IDENTIFIER", description="HDX HAPI app identifier."
    )
    idmc_client_id: str | None = Field(
        default=None, alias="IDMC_CLIENT_ID", description="IDMC API client id."
    )
    dtm_subscription_key: str | None = Field(
        default=None, alias="DTM_SUBSCRIPTION_KEY", description="IOM DTM API subscription key."
    )
    http_timeout: float = Field(default=30.0, alias="HTTP_TIMEOUT", description="Read timeout (s).")
    http_retries: int = Field(default=4, alias="HTTP_RETRIES", description="Retries per request.")
    http_backoff: float = Field(
        default=0.5, alias="HTTP_BACKOFF", description="Backoff factor between retries (s)."
    )

    def credentials(self) -> dict[str, str | None]:
        """The credentials connectors may ask for, by setting name."""
        return {
            "hdx_hapi_app_identifier": self.hdx_hapi_app_identifier,
            "idmc_client_id": self.idmc_client_id,
            "dtm_subscription_key": self.dtm_subscription_key,
        }

    def http(self) -> HttpSettings:
        """How patient connectors are with upstreams."""
        return HttpSettings(
            read_timeout=self.http_timeout, retries=self.http_retries, backoff=self.http_backoff
        )

    def max_input_bytes(self) -> int:
        """The biggest file `etl import` reads, in bytes."""
        return int(self.max_input_mb * 2**20)

    def lock_file(self) -> Path:
        """The lock file that keeps ETL runs one at a time."""
        return self.lock_path or self.data_dir / "etl.lock"

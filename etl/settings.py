"""ETL settings, from the environment (and an optional .env file)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.store.connection import DATA_DIR, default_url


class EtlSettings(BaseSettings):
    """Where the store is, where the bundled inputs are, and how strict a load is."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=default_url, description="SQLAlchemy URL of the store."
    )
    data_dir: Path = Field(default=DATA_DIR, description="Gazetteer, events and bundled inputs.")
    bundled_inputs: list[str] = Field(
        default=["bundled/nw_syria_2019_2020.csv"],
        description="HXL files under data_dir that `refresh` loads as source `hxl`.",
    )
    max_rejected_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        alias="ETL_MAX_REJECTED_SHARE",
        description="A load whose rejected share of figures is above this loads nothing.",
    )
    lock_path: Path | None = Field(
        default=None, alias="ETL_LOCK_PATH", description="Lock file; default data_dir/etl.lock."
    )

    def lock_file(self) -> Path:
        """The lock file that keeps ETL runs one at a time."""
        return self.lock_path or self.data_dir / "etl.lock"

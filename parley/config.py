"""The one place configuration is read: environment (``PARLEY_*``), a ``.env`` file, CLI flags."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".parley")


class Settings(BaseSettings):
    """Every setting Parley reads. Each one is listed in docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="PARLEY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(
        default=DEFAULT_HOME,
        description="Folder for the embedded database, the demo warehouse and credentials.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL of the state database; default: SQLite under home.",
    )
    host: str = Field(default="127.0.0.1", description="Address `parley serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `parley serve` listens on.")
    public_url: str | None = Field(
        default=None,
        description="Base URL clients reach Parley at, used in links (`omniChatUrl`).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs pagination cursors; default: one generated and kept in "
        "the state database, so every replica shares it. Warehouse passwords are encrypted "
        "with a key derived from it (default: a key file in home).",
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    access_log: bool = Field(default=True, description="Log one JSON line per HTTP request.")
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="Connections per process to the state database (and as many again "
        "in overflow).",
    )
    now: datetime | None = Field(
        default=None,
        description="A fixed 'now' for the assistant's time words (evaluations, demos).",
    )
    demo_as_of: date | None = Field(
        default=None,
        description="Last day (exclusive) of the demo warehouse's orders; default: today.",
    )
    query_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a warehouse query may run before it is stopped."
    )
    query_row_cap: int = Field(
        default=5000, ge=1, description="Most rows a warehouse query returns."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint; when set, questions are planned by an LLM.",
    )
    llm_model: str | None = Field(default=None, description="Model name for the LLM planner.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM endpoint.")
    workers: int = Field(
        default=2,
        ge=0,
        description="In-process job workers started with the server; 0 runs none (then run "
        "`parley worker` processes).",
    )
    job_poll_interval: float = Field(
        default=0.2,
        gt=0,
        description="Seconds an idle worker waits before looking for queued jobs again "
        "(in-process workers are also woken at once by a submit).",
    )
    job_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a worker's claim on a job lasts without a heartbeat; a job whose "
        "lease runs out is taken over by another worker.",
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        description="Workers that may take a job in turn (after crashes) before it is FAILED.",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Tries to deliver a job's final webhook before giving up."
    )
    webhook_retry_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Wait before the first webhook retry; each later retry waits twice as long "
        "(at most 10 minutes).",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a webhook receiver has to answer."
    )
    first_run: bool = Field(
        default=True,
        description="On an empty database, create a demo organization and print its keys.",
    )

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.home / 'parley.db').as_posix()}"

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def credentials_path(self) -> Path:
        return self.home / "credentials.json"

    @property
    def demo_warehouse_path(self) -> Path:
        return self.home / "demo.duckdb"


@lru_cache
def get_settings() -> Settings:
    return Settings()

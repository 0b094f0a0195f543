"""The one place configuration is read: environment (``PARLEY_*``), a ``.env`` file, CLI flags."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parley.networks import allow_list

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
        description="Key that signs pagination cursors and encrypts webhook signing secrets "
        "and warehouse passwords (each with a key of its own derived from it); default: a "
        "cursor key generated and kept in the state database (so every replica shares it) "
        "and an encryption key file, `secret.key` under home.",
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    access_log: bool = Field(default=True, description="Log one JSON line per HTTP request.")
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="Connections per process to the state database: at most twice this "
        "many (on PostgreSQL kept open once opened; on SQLite the second half is overflow).",
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
    llm_concurrency: int = Field(
        default=32,
        ge=1,
        description="Calls to the LLM endpoint in flight at once, per process; with a model "
        "configured, a process runs up to twice this many jobs at once.",
    )
    llm_org_share: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Largest share of `PARLEY_LLM_CONCURRENCY` one organization may hold. "
        "Whatever it is, a freed slot goes first to the waiting organization with the "
        "fewest calls in flight, so a busy organization never starves the others.",
    )
    llm_timeout: float = Field(
        default=60.0, gt=0, description="Seconds one call to the LLM endpoint may take."
    )
    llm_job_timeout: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a job with an LLM may run, retries included, before it fails.",
    )
    llm_max_retries: int = Field(
        default=4,
        ge=0,
        description="Retries of one LLM call after a 429, a 5xx, a timeout or a lost "
        "connection (exponential backoff with jitter, or the endpoint's Retry-After).",
    )
    llm_retry_seconds: float = Field(
        default=0.5,
        gt=0,
        description="Backoff before the first LLM retry; it doubles at each retry (at most "
        "30 s), with random jitter.",
    )
    llm_breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Consecutive failed LLM calls (after their retries) that open the "
        "circuit: jobs then fail at once with LLM_UNAVAILABLE.",
    )
    llm_breaker_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Seconds the circuit stays open before one call is let through to see "
        "whether the endpoint is back.",
    )
    llm_iterations: int = Field(
        default=3,
        ge=1,
        description="Plan, validate, run rounds per job: after a warehouse error or an "
        "empty result, the model may correct its query this many times in all.",
    )
    llm_write_answers: bool = Field(
        default=True,
        description="Have the model write the answer from the rows (checked: every number "
        "must come from them); off, the answer is the built-in template.",
    )
    llm_images: bool = Field(
        default=False,
        description="The model takes images: a job's image attachments are sent to it with "
        "the question (as data URLs). Off, or for PDFs, the answer names the files it could "
        "not look at.",
    )
    workers: int = Field(
        default=2,
        ge=0,
        description="In-process job workers started with the server; 0 runs none (then run "
        "`parley worker` processes). Also the size of the pool that plans without a model, "
        "compiles and runs warehouse queries; with an LLM configured, jobs waiting on the "
        "model hold no worker (see `PARLEY_LLM_CONCURRENCY`).",
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
        default=5.0,
        gt=0,
        description="Seconds a webhook delivery may take in all (connecting, sending, the "
        "receiver's answer); a slower receiver counts as a failed try.",
    )
    webhook_concurrency: int = Field(
        default=32, ge=1, description="Webhook deliveries one process makes at the same time."
    )
    webhook_per_destination: int = Field(
        default=2,
        ge=1,
        description="Webhook deliveries one process makes at the same time to one receiver "
        "(`host:port`), so a slow receiver holds up only its own events.",
    )
    webhook_allowed_networks: str = Field(
        default="",
        description="Comma-separated CIDR networks and host names webhooks may be sent to "
        "although they are loopback, private or otherwise internal (refused by default).",
    )
    previous_secret_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated former values of `PARLEY_SECRET_KEY`, still accepted to "
        "decrypt webhook signing secrets after a key rotation.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest request body accepted; a larger one is refused with 413 before "
        "it is read or its token checked.",
    )
    max_job_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1,
        description="Largest body of `POST /api/v1/ai/jobs`, which may carry attachments "
        "(up to 10 MiB of files, base64); refused with 413 before it is read.",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Most bytes of request line and headers `parley serve` reads for one "
        "request; more is refused with 431.",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a client has to send a request's line and headers, and then "
        "its body, each in full; past them the request is answered 408 and the connection "
        "closed.",
    )
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="Failed authentications allowed per client address per minute; further "
        "failed attempts get 429 (valid tokens are never refused by this).",
    )
    event_streams_per_token: int = Field(
        default=10,
        ge=1,
        description="Event streams one token may hold open at once (per process); one more "
        "is refused with 429.",
    )
    event_stream_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest an event stream stays open; then it ends and the client "
        "reconnects with `Last-Event-ID`.",
    )
    sqlite_checkpoint_seconds: float = Field(
        default=300.0,
        gt=0,
        description="SQLite only: how often the server checkpoints the write-ahead log and "
        "truncates it to nothing.",
    )
    first_run: bool = Field(
        default=True,
        description="On an empty database, create a demo organization and print its keys.",
    )

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        allow_list(value)  # refuse a bad entry at startup, not at the first webhook
        return value

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
    def secret_key_path(self) -> Path:
        """Key file that encrypts webhook signing secrets when PARLEY_SECRET_KEY is unset."""
        return self.home / "secret.key"

    @property
    def demo_warehouse_path(self) -> Path:
        return self.home / "demo.duckdb"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The state database's tables (SQLAlchemy Core), shared by repositories and migrations.

Every tenant-owned row carries ``organization_id`` and every query filters on it first:
it keeps organizations apart and lets the tables be sharded by organization later.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from parley.kit.timestamps import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    # The ORG_ADMIN membership created with the organization; organization keys that
    # act without a userId act as this member. Not a foreign key: the two rows refer to
    # each other and are written in one transaction.
    Column("owner_membership_id", Uuid, nullable=True),
    Column("rate_limit_per_minute", Integer, nullable=True),
    Column("ai_enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("email", String(320), nullable=False),
    Column("display_name", String(200), nullable=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("organization_id", "email"),
    CheckConstraint("role IN ('MEMBER', 'ORG_ADMIN')", name="role"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("membership_id", Uuid, ForeignKey("memberships.id", ondelete="CASCADE"), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    CheckConstraint("kind IN ('organization', 'personal')", name="kind"),
    CheckConstraint(
        "(kind = 'organization' AND membership_id IS NULL) OR "
        "(kind = 'personal' AND membership_id IS NOT NULL)",
        name="kind_member",
    ),
)

# A warehouse an organization's models read. The URL is kept without its password;
# the password (or token) is encrypted apart (parley/kit/secretbox.py).
connections = Table(
    "connections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("url", Text, nullable=False),
    Column("sealed_secret", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("tested_at", UtcDateTime, nullable=True),
    UniqueConstraint("organization_id", "name"),
)

models = Table(
    "models",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    # Either a connection of the organization or, as before connections existed, a URL.
    Column("connection_url", Text, nullable=True),
    Column("connection_id", Uuid, ForeignKey("connections.id", ondelete="RESTRICT"), nullable=True),
    Column("definition", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "organization_id", "id"),
    CheckConstraint(
        "connection_url IS NOT NULL OR connection_id IS NOT NULL", name="has_connection"
    ),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("membership_id", Uuid, ForeignKey("memberships.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(500), nullable=True),
    Column("last_user_prompt", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The list is one index range scan in either scope (see docs/decisions/0002).
    Index(
        "ix_conversations_member_recent",
        "organization_id",
        "membership_id",
        Column("updated_at").desc(),
        Column("id").desc(),
    ),
    Index(
        "ix_conversations_org_recent",
        "organization_id",
        Column("updated_at").desc(),
        Column("id").desc(),
    ),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, nullable=False),
    Column(
        "conversation_id",
        Uuid,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("job_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("role IN ('user', 'assistant')", name="role"),
    Index(None, "conversation_id", "created_at"),
    # A job writes at most one prompt and one answer, whatever crashes and takeovers
    # happen: the database refuses a duplicate.
    Index(
        "ux_messages_job_role",
        "job_id",
        "role",
        unique=True,
        sqlite_where=text("job_id IS NOT NULL"),
        postgresql_where=text("job_id IS NOT NULL"),
    ),
)

# totalRecords without counting rows: one counter per member ('<membership uuid hex>')
# and one for the whole organization ('*'), changed in the same transaction as the
# conversations themselves.
conversation_counts = Table(
    "conversation_counts",
    metadata,
    Column("organization_id", Uuid, primary_key=True),
    Column("scope", String(36), primary_key=True),
    Column("n", Integer, nullable=False),
)

# Instance-wide secrets (the cursor signing key) live in the database so that every
# replica signs and verifies with the same key.
instance_secrets = Table(
    "instance_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Per-key fixed-window request counters, for rate limits shared across replicas.
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("api_key_id", Uuid, primary_key=True),
    Column("window_start", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)

# Failed authentications per client address and one-minute window (auth/throttle.py).
auth_failure_windows = Table(
    "auth_failure_windows",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("window_start", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)

ORG_SCOPE = "*"

JOB_STATES = ("QUEUED", "EXECUTING", "DELIVERING", "COMPLETE", "FAILED", "CANCELLED")
UNFINISHED_SQL = "state IN ('QUEUED', 'EXECUTING', 'DELIVERING')"

# AI jobs, and the queue workers claim them from (docs/design.md, Jobs).
jobs = Table(
    "jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("membership_id", Uuid, ForeignKey("memberships.id", ondelete="CASCADE"), nullable=False),
    Column(
        "conversation_id",
        Uuid,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("model_id", Uuid, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("topic_name", String(256), nullable=True),
    Column("prompt", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", JSON, nullable=True),
    Column("result", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("attempts", Integer, nullable=False),
    # A fresh token per claim: a worker that lost its lease can never write again.
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    # A hash of the caller's key and its Idempotency-Key header.
    Column("idempotency_key", String(64), nullable=True),
    # A hash of what that submit asked for: the same key with another request is a 422.
    Column("idempotency_fingerprint", String(64), nullable=True),
    Column("cancel_requested", Boolean, nullable=False),
    Column("cancelled_by", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("execution_started_at", UtcDateTime, nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    CheckConstraint(
        "state IN ('QUEUED', 'EXECUTING', 'DELIVERING', 'COMPLETE', 'FAILED', 'CANCELLED')",
        name="state",
    ),
    # One unfinished job per conversation, so two racing submits cannot both win.
    Index(
        "ux_jobs_one_unfinished",
        "conversation_id",
        unique=True,
        sqlite_where=text(UNFINISHED_SQL),
        postgresql_where=text(UNFINISHED_SQL),
    ),
    Index(
        "ux_jobs_idempotency",
        "organization_id",
        "idempotency_key",
        unique=True,
        sqlite_where=text("idempotency_key IS NOT NULL"),
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
    # Workers look for the oldest claimable job.
    Index("ix_jobs_claim", "state", "created_at"),
    Index(None, "conversation_id", "created_at"),
)

# A job's webhook settings, written once at submit: kept out of the jobs row, which every
# progress step and state change rewrites.
job_webhooks = Table(
    "job_webhooks",
    metadata,
    Column("job_id", Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, nullable=False),
    # host:port, the unit of the per-destination delivery limit.
    Column("destination", String(300), nullable=False),
    # Encrypted (parley/jobs/signing_secrets.py); plaintext in rows from before that.
    Column("secret", Text, nullable=False),
    Column("metadata", JSON, nullable=True),
    Column("progress", Boolean, nullable=False),
)

# The webhook outbox: written in a job's final transaction, delivered after commit.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("job_id", Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    CheckConstraint("event IN ('final', 'progress')", name="event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index(None, "job_id"),
)

# Files a member attached to a job's prompt (images or PDFs), kept with the prompt.
job_attachments = Table(
    "job_attachments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("job_id", Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(255), nullable=True),
    Column("mime_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index(None, "job_id"),
)

# What a directory (SCIM, the embed API) knows of a member beyond its membership row:
# the external id of an embed user, its groups and user attributes.
member_profiles = Table(
    "member_profiles",
    metadata,
    Column(
        "membership_id",
        Uuid,
        ForeignKey("memberships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("external_id", String(255), nullable=True),
    Column("groups", JSON, nullable=False),
    Column("user_attributes", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("organization_id", "external_id"),
)

# How an organization embeds the chat page: how long a signed-in embed session lasts
# and which origins may frame it.
embed_settings = Table(
    "embed_settings",
    metadata,
    Column(
        "organization_id",
        Uuid,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("session_minutes", Integer, nullable=False),
    Column("frame_origins", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The organization's named embed secrets: any of them signs standard SSO login URLs.
# The secret itself is sealed with the server's key.
embed_secrets = Table(
    "embed_secrets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(100), nullable=False),
    Column("sealed_secret", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    UniqueConstraint("organization_id", "name"),
)

# Nonces of standard SSO login URLs already used, kept until the URL would have expired
# anyway; only their hash is stored.
embed_nonces = Table(
    "embed_nonces",
    metadata,
    Column(
        "organization_id",
        Uuid,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("nonce_hash", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# Single-use sign-in sessions made by generate-session or generate-url; only the hash
# of the session id is stored.
embed_sessions = Table(
    "embed_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("membership_id", Uuid, ForeignKey("memberships.id", ondelete="CASCADE"), nullable=False),
    Column("content_path", String(2000), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
)

# Tokens each LLM call used, kept after the job and its conversation are deleted: the
# organization's monthly limit and `parley orgs usage` read it.
llm_usage = Table(
    "llm_usage",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "organization_id", Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    # Not foreign keys: the spend outlives the member and the job.
    Column("membership_id", Uuid, nullable=True),
    Column("job_id", Uuid, nullable=True),
    Column("purpose", String(16), nullable=False),
    Column("model", String(200), nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "organization_id", "created_at"),
)

# An organization's monthly token limit (prompt and completion tokens together).
llm_limits = Table(
    "llm_limits",
    metadata,
    Column(
        "organization_id",
        Uuid,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("monthly_tokens", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def readable(table: Table, org_id: uuid.UUID) -> ColumnElement[bool]:
    """The tenant filter on any table with ``organization_id``, for code that reads a
    table another package owns without importing that package (its repository's
    ``readable`` may add more, such as the member)."""
    return table.c.organization_id == org_id

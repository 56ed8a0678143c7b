"""Settings, read once from `SANGGAR_*` environment variables or a `.env` file."""

from __future__ import annotations

import ipaddress
import re
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Worker threads and connections kept for what runs outside requests: the periodic jobs
# (app.core.periodic) and the start-up's bootstrap admin.
BACKGROUND_THREADS = 4


class RegistrationMode(StrEnum):
    OPEN = "open"
    INVITE = "invite"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SANGGAR_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///./sanggar.db"
    # Requests served at once by one process; the others wait their turn before they take a
    # thread or a connection (app.core.middleware.AdmissionMiddleware). Two cores gain
    # nothing from more: more requests in flight only fight longer over the GIL.
    max_concurrent_requests: int = Field(default=8, ge=1, le=1000)
    # At least one connection per request in flight plus the periodic jobs and their spare
    # (checked below): a request then never waits for a connection held by one that waits.
    database_pool_size: int = Field(default=16, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    # Milliseconds a request waits for a row lock (PostgreSQL) before it is answered 503.
    database_lock_timeout_ms: int = Field(default=10_000, ge=100)
    redis_url: str | None = None
    # Live notification streams (app.notifications.live): a heartbeat comment this often,
    # and at most this many open streams per member (429 too_many_streams past it).
    notification_stream_heartbeat_seconds: float = Field(default=15, gt=0, le=300)
    notification_stream_max_per_member: int = Field(default=5, ge=1, le=100)

    # None means: generate one and keep it in `.sanggar/secret_key`, fine for one machine.
    # Several app processes on several machines must share one explicit key.
    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # Seconds after a refresh token is exchanged in which presenting it again answers the same
    # successor instead of revoking the log-in: two browser tabs refreshing at once both keep
    # it. Past them a second exchange is reuse (a copy exists) and revokes it. 0: no grace.
    refresh_reuse_grace_seconds: int = Field(default=30, ge=0, le=300)
    # Seconds a process remembers who a Bearer token is (app.principal.cache) while it cannot
    # read other processes' changes: a revocation elsewhere applies within this time. 0: off.
    auth_cache_seconds: float = Field(default=10, ge=0, le=300)
    # The same while it reads them (app.principal.polling, about once a second; with periodic
    # jobs enabled): a revocation elsewhere applies within a second (Redis: milliseconds).
    auth_cache_shared_seconds: float = Field(default=300, ge=0, le=3600)
    registration: RegistrationMode = RegistrationMode.OPEN
    invitation_days: int = Field(default=7, ge=1, le=365)
    # Argon2id cost; the defaults follow OWASP's recommendation (19 MiB, 2 passes).
    password_hash_memory_kib: int = Field(default=19_456, ge=1024)
    password_hash_time_cost: int = Field(default=2, ge=1)
    # Accounts (app/accounts): how long a mailed password-reset token works.
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Every reset request is answered after this long at least, known address or not.
    password_reset_answer_seconds: float = Field(default=0.5, ge=0, le=5)
    # `on`: registration mails a verification token, and an unverified member may only read
    # and edit their own profile; `off`: addresses are not checked.
    email_verification: Literal["off", "on"] = "off"
    # How long a mailed email-verification or email-change token works.
    email_token_hours: int = Field(default=48, ge=1, le=30 * 24)

    public_base_url: str | None = None
    # Printed on share cards and as the publisher of anthology books.
    community_name: str = Field(default="Sanggar", min_length=1, max_length=100)
    # The language of anthology books (BCP 47), for reading apps and screen readers.
    community_language: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    # Browser origins allowed to call the API (CORS); none by default. Credentials (cookies)
    # are never allowed: the API authenticates with bearer tokens, sent explicitly.
    cors_origins: Annotated[list[str], NoDecode] = []
    # The reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
    # are believed; none by default, so nobody on the host can pick the client address the
    # per-address limits count (a forged X-Forwarded-For from 127.0.0.1 was believed before).
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Strict-Transport-Security max-age on answers served over https; 0 turns it off.
    hsts_max_age: int = Field(default=63_072_000, ge=0)
    max_body_bytes: int = 1_048_576
    # What a client may take to send a request, and how much it may send before its body
    # (app.core.server, app.core.middleware.BodyLimitMiddleware): a slow or endless
    # client must not hold a connection, or the memory of its headers, for ever.
    max_url_bytes: int = Field(default=8192, ge=256, le=65536)
    max_header_bytes: int = Field(default=32768, ge=1024, le=1_048_576)
    header_timeout_seconds: float = Field(default=10, gt=0, le=300)
    body_timeout_seconds: float = Field(default=30, gt=0, le=3600)
    # Anonymous GETs of the showcase and of closed results are answered from an in-process
    # cache for this long (app.core.publiccache); 0 turns the cache off.
    public_cache_seconds: float = Field(default=5, ge=0, le=3600)

    rate_limit_enabled: bool = True
    rate_limit_default: str = "300/minute"
    rate_limit_auth: str = "10/minute"
    # Token refreshes per client address: an SPA refreshes every few minutes from each tab,
    # and a developer reloads it all day; the strict budget above stays on log-in and sign-up.
    rate_limit_refresh: str = "60/minute"
    # Log-in attempts per account (the email or handle typed), from any number of addresses:
    # a password guesser spread over many addresses still gets this few tries.
    rate_limit_login_account: str = "10/15minutes"
    # While Redis is unreachable limits are counted in memory; Redis is tried again this often.
    rate_limit_redis_retry_seconds: float = Field(default=5, ge=0, le=3600)
    # Messages from strangers to creators: strict, per client address (or member).
    # Exports of a member's own data (a ZIP of everything), per member.
    rate_limit_export: str = "5/hour"
    rate_limit_inquiries: str = "5/hour"
    # New threads, replies, comments, ideas, announcements and reports, per member: enough
    # for a lively discussion, too few for a spam run.
    rate_limit_posting: str = "30/10minutes"

    # Background jobs (the challenge phase sweep, later webhook deliveries) run in every app
    # process; each job is safe to run in several processes at once.
    periodic_jobs_enabled: bool = True
    # How often phase crossings (challenge opened, voting started, closed) are looked for:
    # an announcement comes at most this long after its date.
    challenge_sweep_seconds: float = Field(default=30, gt=0, le=3600)

    # Outgoing webhooks. Deliveries due are looked for this often by every process.
    webhook_dispatch_seconds: float = Field(default=2, gt=0, le=3600)
    # The first retry comes this long after a failed attempt, doubling each time; after
    # `webhook_max_attempts` attempts (12: the last one ~17 h after the first) it has failed.
    webhook_retry_base_seconds: float = Field(default=30, gt=0, le=86_400)
    webhook_max_attempts: int = Field(default=12, ge=1, le=30)
    # This many failed deliveries in a row (no success between) disable the webhook.
    webhook_disable_after_failures: int = Field(default=5, ge=1, le=1000)
    webhook_connect_timeout_seconds: float = Field(default=3, gt=0, le=60)
    webhook_read_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # How long a process owns the deliveries it claimed: when it dies without a graceful
    # shutdown, they are sent again (by any process) this long after the claim. Keep it
    # longer than connect + 2 × read timeout, or a slow send is sent twice.
    webhook_lease_seconds: float = Field(default=300, ge=1, le=86_400)
    # Finished deliveries (and their attempts) stay in the log this long (app/webhooks/retention).
    webhook_retention_days: int = Field(default=30, ge=1, le=3650)
    # Private, loopback and link-local targets are refused unless this is set (a closed
    # network where the receivers live next to the app, or tests).
    webhooks_allow_private: bool = False
    # Chat bridges (app/chat_bridges): the members' app that messages link to
    # (`{app_url}/challenges/12`); unset, `public_base_url`; both unset, messages carry no link.
    app_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    # A kind's platform at another base URL (scheme, host and port replaced, the platform's
    # path kept), e.g. {"telegram": "http://127.0.0.1:9000"}: tests, self-hosted gateways.
    chat_bridge_base_urls: dict[str, str] = {}

    # Mail (app/mail): `smtp://user:pass@host:587` (STARTTLS whenever the server offers
    # it), `smtp+starttls://…` (insists on it), `smtps://…:465` (implicit TLS), or
    # `file:<directory>` (one .eml per message, no server needed).
    mail_url: SecretStr = SecretStr("file:./var/mail")
    mail_from: str = Field(default="Sanggar <noreply@localhost>", max_length=254)
    # A PEM bundle the SMTP server's certificate is checked against (a private CA); unset,
    # the system's trust store. Certificates are always checked.
    smtp_ca_file: str | None = None
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # The language of texts and mails when the member's is unknown: `id` or `en`.
    default_locale: str = Field(default="id", pattern=r"^(id|en)$")
    # How often every process looks for members owed this week's digest (app/mail/digest).
    mail_digest_seconds: float = Field(default=3600, gt=0, le=7 * 86_400)

    # Uploaded files (app/media): `file:<directory>` or `s3://bucket/prefix` (any
    # S3-compatible store; the credentials below, else the standard AWS variables).
    media_storage: str = Field(default="file:./var/media", pattern=r"^(file:.+|s3://[^/]+(/.*)?)$")
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # Largest upload per kind, in MiB, and the largest image in megapixels (checked from the
    # header, before anything is decoded).
    media_image_max_mb: int = Field(default=25, ge=1, le=4096)
    media_image_max_megapixels: int = Field(default=50, ge=1, le=1000)
    media_audio_max_mb: int = Field(default=50, ge=1, le=4096)
    media_video_max_mb: int = Field(default=200, ge=1, le=4096)
    media_document_max_mb: int = Field(default=50, ge=1, le=4096)
    # What one member's uploads may take in all; how many may be in progress at once.
    media_quota_mb: int = Field(default=1024, ge=1)
    media_max_concurrent_uploads: int = Field(default=3, ge=1, le=100)
    # How often every process looks for uploads to process and for media to remove.
    media_process_seconds: float = Field(default=2, gt=0, le=3600)
    media_janitor_seconds: float = Field(default=300, gt=0, le=86_400)
    # Uploads never attached to anything are removed this long after they were made.
    media_orphan_hours: float = Field(default=24, gt=0, le=24 * 365)
    # How long the signed URL of a 307 to object storage stays valid.
    media_signed_url_seconds: int = Field(default=300, ge=10, le=86_400)

    log_level: str = "INFO"
    log_json: bool = True
    # FastAPI's own OpenTelemetry spans and metrics, for a process whose OpenTelemetry SDK
    # is set up (as under `opentelemetry-instrument`); off, no request looks for one.
    opentelemetry: bool = False

    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    bootstrap_admin_handle: str = "admin"

    @field_validator("chat_bridge_base_urls")
    @classmethod
    def _bridge_base_urls(cls, urls: dict[str, str]) -> dict[str, str]:
        for kind, url in urls.items():
            if kind not in ("discord", "telegram", "slack", "matrix"):
                raise ValueError(f"unknown chat bridge kind {kind!r}")
            if not re.fullmatch(r"https?://[^/\s]+/?", url):
                raise ValueError(f"{url!r} is not a base URL like http://127.0.0.1:9000")
        return urls

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _named_proxies(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"{proxy!r} is not an address or network like 10.0.0.5 or 10.0.0.0/24: "
                    "name the proxies whose forwarded headers are believed"
                ) from None
        return proxies

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not re.fullmatch(r"https?://[^/\s*]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.org")
        return origins

    @model_validator(mode="after")
    def _pool_serves_every_request_in_flight(self) -> Settings:
        # Each thread's, and PostgreSQL's read connections kept open (app.readmodels).
        needed = self.worker_threads + self.max_concurrent_requests
        if self.database_pool_size + self.database_max_overflow < needed:
            raise ValueError(
                f"database_pool_size + database_max_overflow must be at least {needed} "
                f"(max_concurrent_requests twice, + {BACKGROUND_THREADS} for periodic jobs)"
            )
        return self

    @property
    def worker_threads(self) -> int:
        """The worker-thread pool: one thread per request in flight, and the jobs'."""
        return self.max_concurrent_requests + BACKGROUND_THREADS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def signing_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _local_secret_key()


@lru_cache(maxsize=1)
def _local_secret_key() -> str:
    path = Path(".sanggar") / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

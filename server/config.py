"""Aisle's one settings object: every `AISLE_*` environment variable is read here and nowhere else."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.core.errors import ConfigurationError
from server.core.files import private_dir

DEFAULT_DATA_DIR = Path(".aisle")


class Settings(BaseSettings):
    """Runtime configuration, from `AISLE_*` environment variables (or a `.env` file).

    The embedding model (`model_path`) defaults to the bundled all-MiniLM-L6-v2, which is English-only; a
    chain with Chinese product text points AISLE_MODEL_PATH at a multilingual sentence-transformers model
    folder (e.g. paraphrase-multilingual-MiniLM-L12-v2) on disk. Nothing is downloaded.
    """

    model_config = SettingsConfigDict(env_prefix="AISLE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where the demo database and key file live.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    redis_url: str = Field(
        "", description="Redis URL for fan-out across server processes; empty = in-process."
    )
    floor_heartbeat_seconds: float = Field(
        25.0, gt=0, le=300, description="Seconds between the live floor's pings to each connected phone."
    )
    floor_grace_seconds: float = Field(
        900.0,
        ge=0,
        le=24 * 3600,
        description="How long a clerk whose phone lost its connection still receives the floor's events "
        "(to replay on reconnect); signing out leaves at once.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Master secret; JWT, phone HMAC and phone encryption keys derive from it."
    )
    default_phone_region: str = Field("CN", description="Region assumed for phone numbers without a +prefix.")
    token_minutes: int = Field(12 * 60, ge=1, description="Lifetime of a staff sign-in (one shift).")
    model_path: str = Field(
        "",
        description="Sentence-transformers model folder; empty = the bundled all-MiniLM-L6-v2, which is "
        "English-only: for Chinese product text set AISLE_MODEL_PATH to a multilingual sentence-transformers "
        "model (e.g. paraphrase-multilingual-MiniLM-L12-v2) on disk. A catalogue the model cannot read "
        "(Chinese names under an English model, SKU codes only) gets history-based suggestions only.",
    )
    recommender_warm_up: bool = Field(
        True, description="Build the recommender when the server starts, so the first arrival is not slow."
    )
    recommender_refresh_seconds: float = Field(
        300.0,
        ge=0,
        description="How often to look for catalog changes and rebuild the recommender; 0 = never.",
    )
    search_threads: int = Field(
        1,
        ge=0,
        le=64,
        description="Threads one search or encoding may use (0 = the libraries' default, every core); "
        "a server's parallelism comes from its requests.",
    )
    attribution_days: int = Field(
        14, ge=1, le=365, description="Days after a recommendation in which its sale is credited to it."
    )
    offer_valid_days: int = Field(
        30, ge=1, le=365, description="Days a reactivation offer issued to a member stays valid."
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body accepted (413 above it, before any endpoint)."
    )
    models_dir: Path = Field(
        DEFAULT_DATA_DIR / "models",
        description="Where HQ's trained recommender versions live, one folder each (models/versions.py); "
        "default: <data_dir>/models.",
    )
    model_max_drop: float = Field(
        0.02,
        ge=0,
        le=1,
        description="How much worse (relative) a version's recall@10 may be than the version it replaces "
        "for `aisle models promote` and POST /models/promote to accept it without --force (0.02 = 2 %).",
    )
    model_nightly_rebuild: bool = Field(
        True,
        description="Whether `aisle jobs nightly` trains a recommender version on new sales into models_dir "
        "and serves it chain-wide, unless its held-back recall@10 is more than model_max_drop below the "
        "served version's (then it waits for `aisle models promote --force`).",
    )
    nightly_chunk_members: int = Field(
        20_000,
        ge=1,
        description="Members per chunk when `aisle jobs nightly --share` splits a night's steps among the "
        "workers that share it (docs/nightly.md).",
    )
    nightly_poll_seconds: float = Field(
        2.0,
        gt=0,
        description="How often a worker sharing a night looks again for a chunk while others finish theirs.",
    )
    # Automations (server/automations, docs/automations.md): journeys run in `aisle serve` and `aisle worker`.
    automations_runner: bool = Field(
        True, description="Run the journey worker inside `aisle serve` (a chain runs `aisle worker`s)."
    )
    automations_global_holdout_percent: float = Field(
        5.0, ge=0, le=50, description="Share of members (by a stable hash) no journey sends anything to."
    )
    automations_holdout_salt: str = Field(
        "aisle",
        min_length=1,
        max_length=64,
        description="Mixed into the control-group hash; change it to "
        "draw new control groups (members already in journeys keep theirs).",
    )
    automations_step_batch: int = Field(
        1000, ge=1, le=20000, description="Due steps one worker runs at once."
    )
    automations_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="Idle journey worker's poll interval."
    )
    # Messages to members (server/messaging, docs/messaging.md). Nothing is sent to a real provider
    # until one is configured: the console adapter writes each message to <data_dir>/messages.jsonl.
    messaging_sms_provider: Literal["console", "aliyun", "tencent", "twilio"] = Field(
        "console", description="Who delivers SMS: console (a file in data_dir), aliyun, tencent or twilio."
    )
    messaging_wechat_provider: Literal["console", "wechat"] = Field(
        "console",
        description="Who delivers WeChat template messages (service notices only): console or wechat.",
    )
    messaging_console_file: Path | None = Field(
        None, description="The console adapter's JSON-lines file; default <data_dir>/messages.jsonl."
    )
    messaging_dispatcher: bool = Field(
        True, description="Run the outbox dispatcher inside `aisle serve` (a chain runs `aisle worker`s)."
    )
    messaging_default_lang: Literal["zh", "en"] = Field(
        "zh", description="Language of a member whose locale the templates do not cover."
    )
    messaging_batch: int = Field(100, ge=1, le=1000, description="Messages one dispatcher claims at once.")
    messaging_poll_seconds: float = Field(1.0, gt=0, le=60, description="Idle dispatcher's poll interval.")
    messaging_claim_seconds: float = Field(
        120.0, ge=1, description="How long a claim lasts; a send still claimed after it becomes `unknown`."
    )
    messaging_max_tries: int = Field(5, ge=1, le=20, description="Transient failures before `failed`.")
    messaging_backoff_seconds: float = Field(
        30.0, ge=0, description="First retry's delay; each further retry waits twice as long."
    )
    messaging_reconcile_grace_seconds: float = Field(
        900.0,
        ge=0,
        description="An `unknown` message the provider still does not know this long after its claim "
        "expired was never received, and is queued again with the same idempotency key.",
    )
    messaging_marketing_per_day: int = Field(
        2, ge=0, description="Marketing messages per member, channel and 24 hours."
    )
    messaging_marketing_per_week: int = Field(6, ge=0, description="... and per 7 days.")
    messaging_rate_per_second: dict[str, float] = Field(
        default_factory=lambda: {"aliyun": 100.0, "tencent": 100.0, "twilio": 50.0, "wechat": 50.0},
        description="Per-provider send rate of one process (a token bucket); a chain with N workers "
        "sets each to its share. A provider not named is not limited.",
    )
    messaging_send_threads: int = Field(
        8, ge=1, le=64, description="Calls to an HTTP provider one dispatcher makes at once."
    )
    messaging_webhook_secret: SecretStr | None = Field(
        None,
        description="Password of the providers' receipt and inbound-SMS webhooks (HTTP Basic, any user, "
        "or the X-Aisle-Webhook-Secret header); Twilio's are checked by its own signature instead.",
    )
    messaging_public_url: str = Field(
        "", description="The server's public base URL, for unsubscribe links and status callbacks."
    )
    messaging_http_timeout: float = Field(10.0, gt=0, le=120, description="Seconds per provider call.")
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sms_sign_name: str = ""
    aliyun_sms_templates: dict[str, str] = Field(
        default_factory=dict, description="Purpose -> Alibaba Cloud SMS template code ('*' for the rest)."
    )
    aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com"
    tencent_secret_id: str = ""
    tencent_secret_key: SecretStr | None = None
    tencent_sms_app_id: str = ""
    tencent_sms_sign_name: str = ""
    tencent_sms_templates: dict[str, str] = Field(
        default_factory=dict, description="Purpose -> Tencent Cloud SMS template id ('*' for the rest)."
    )
    tencent_region: str = "ap-guangzhou"
    tencent_endpoint: str = "https://sms.tencentcloudapi.com"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = ""
    twilio_base_url: str = Field(
        "https://api.twilio.com", description="Twilio's API (or a Twilio-compatible gateway)."
    )
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr | None = None
    wechat_templates: dict[str, str] = Field(
        default_factory=dict, description="Purpose -> the official account's template message id."
    )
    wechat_template_fields: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Purpose -> {our variable: the WeChat template's keyword}, e.g. "
        '{"tier_change": {"new_tier": "keyword1"}}; a variable not named goes under its own name.',
    )
    wechat_callback_token: SecretStr | None = Field(
        None, description="The Token set in the official account's server configuration (callback checks)."
    )
    wechat_base_url: str = "https://api.weixin.qq.com"
    host: str = "127.0.0.1"
    port: int = 8000
    sql_echo: bool = False

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if value and "://" not in value:
            raise ValueError(
                f"AISLE_DATABASE_URL={value!r} is not a database URL; expected e.g. "
                "'sqlite:///aisle.db' or 'postgresql+psycopg://user:pass@localhost/aisle'"
            )
        return value

    @model_validator(mode="after")
    def _models_under_data_dir(self) -> Settings:
        if "models_dir" not in self.model_fields_set:
            self.models_dir = self.data_dir / "models"
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or SQLite inside the data directory."""
        if self.database_url:
            url = self.database_url
            # People paste libpq-style URLs; route them to the psycopg 3 driver we ship.
            for prefix in ("postgresql://", "postgres://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{(self.data_dir / 'aisle.db').resolve()}"

    def master_secret(self) -> bytes:
        """The master secret: AISLE_SECRET_KEY, else a key file created once in the data directory."""
        if self.secret_key is not None:
            raw = self.secret_key.get_secret_value().encode()
            if len(raw) < 16:
                raise ConfigurationError("AISLE_SECRET_KEY must be at least 16 characters long")
            return raw
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            private_dir(self.data_dir)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return key_file.read_text().strip().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call `get_settings.cache_clear()` after changing the env)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AISLE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc

"""Which adapter carries each channel, built once per process from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.core.errors import ConfigurationError
from server.messaging.adapters.aliyun import AliyunAdapter
from server.messaging.adapters.base import Adapter
from server.messaging.adapters.console import ConsoleAdapter
from server.messaging.adapters.internal import PushAdapter, WeComAdapter
from server.messaging.adapters.tencent import TencentAdapter
from server.messaging.adapters.twilio import TwilioAdapter
from server.messaging.adapters.wechat import WeChatAdapter
from server.messaging.limits import TokenBucket
from server.realtime.events import Envelope

WEBHOOK_PATH = "/api/v1/messaging/webhooks"


@dataclass
class Adapters:
    """Adapters by channel and by name, and each provider's rate limit in this process."""

    by_channel: dict[str, Adapter]
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def named(self, name: str) -> Adapter | None:
        """The adapter called `name` (for its webhooks), if one is in use."""
        return next((a for a in self.by_channel.values() if a.name == name), None)

    def take(self, adapter: Adapter) -> None:
        """Wait for the provider's rate limit."""
        bucket = self.buckets.get(adapter.name)
        if bucket is not None:
            bucket.take()


def _secret(value: object) -> str:
    return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined,no-any-return]


def build_adapters(
    settings: Settings,
    sessions: sessionmaker[Session],
    transport: httpx.BaseTransport | None = None,
    fan_out: Callable[[list[Envelope]], None] | None = None,
) -> Adapters:
    """The adapters the settings configure (ConfigurationError naming a missing credential)."""
    client = httpx.Client(transport=transport, timeout=settings.messaging_http_timeout)
    console = ConsoleAdapter(settings.messaging_console_file or settings.data_dir / "messages.jsonl")
    sms: Adapter = console
    provider = settings.messaging_sms_provider
    if provider == "aliyun":
        _need(settings, "SMS", "aliyun_access_key_id", "aliyun_access_key_secret", "aliyun_sms_sign_name")
        sms = AliyunAdapter(
            settings.aliyun_access_key_id,
            _secret(settings.aliyun_access_key_secret),
            settings.aliyun_sms_sign_name,
            settings.aliyun_sms_templates,
            settings.aliyun_endpoint,
            client,
        )
    elif provider == "tencent":
        _need(
            settings,
            "SMS",
            "tencent_secret_id",
            "tencent_secret_key",
            "tencent_sms_app_id",
            "tencent_sms_sign_name",
        )
        sms = TencentAdapter(
            settings.tencent_secret_id,
            _secret(settings.tencent_secret_key),
            settings.tencent_sms_app_id,
            settings.tencent_sms_sign_name,
            settings.tencent_sms_templates,
            settings.tencent_region,
            settings.tencent_endpoint,
            client,
        )
    elif provider == "twilio":
        _need(settings, "SMS", "twilio_account_sid", "twilio_auth_token", "twilio_from")
        base = settings.messaging_public_url.rstrip("/")
        sms = TwilioAdapter(
            settings.twilio_account_sid,
            _secret(settings.twilio_auth_token),
            settings.twilio_from,
            settings.twilio_base_url,
            f"{base}{WEBHOOK_PATH}/twilio/receipts" if base else "",
            client,
        )
    wechat: Adapter = console
    if settings.messaging_wechat_provider == "wechat":
        _need(settings, "WeChat", "wechat_app_id", "wechat_app_secret")
        wechat = WeChatAdapter(
            settings.wechat_app_id,
            _secret(settings.wechat_app_secret),
            settings.wechat_templates,
            settings.wechat_template_fields,
            _secret(settings.wechat_callback_token),
            settings.wechat_base_url,
            client,
        )
    by_channel: dict[str, Adapter] = {
        "sms": sms,
        "wechat": wechat,
        "wecom": WeComAdapter(sessions),
        "push": PushAdapter(sessions, fan_out),
    }
    rates = settings.messaging_rate_per_second
    buckets = {name: TokenBucket(rate) for name, rate in rates.items() if rate > 0}
    return Adapters(by_channel, buckets)


def _need(settings: Settings, channel: str, *names: str) -> None:
    missing = [f"AISLE_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise ConfigurationError(f"the {channel} provider needs {', '.join(missing)}")

"""Messaging's wire shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from server.core.bounds import Id

Channel = Literal["sms", "wechat", "wecom", "push"]


class TemplateSave(BaseModel):
    """A new version of a template."""

    body: str = Field(min_length=1, max_length=1000, description="Text with {variable} placeholders.")


class TemplateRead(BaseModel):
    """One version of a purpose's template in one language, and the variables it may use."""

    purpose: str
    purpose_class: Literal["marketing", "service"]
    lang: str
    version: int
    body: str
    variables: dict[str, str] = Field(description="Variable -> type (str, int, date, money, secret).")
    created_at: datetime
    created_by_id: int | None


class PreviewCreate(BaseModel):
    """Render a template with a member's data (and the variables given, else examples)."""

    member_id: Id
    variables: dict[str, Any] = Field(default_factory=dict)
    body: str | None = Field(
        None, max_length=1000, description="An unsaved text to try; default the saved one."
    )


class PreviewRead(BaseModel):
    """The text the member would read (secrets masked)."""

    purpose: str
    lang: str
    version: int | None
    text: str


class MessageRead(BaseModel):
    """A message in the outbox; a one-time code is never shown."""

    id: int
    member_id: int | None  # None: a sign-in code to someone who is not a member yet
    store_id: int | None
    channel: str
    purpose: str
    status: str
    body: str
    lang: str | None
    template_version: int | None
    provider: str | None
    tries: int
    reason: str | None
    created_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None


class ConsentRead(BaseModel):
    """Per channel: whether marketing and service messages may be sent now."""

    member_id: int
    channels: dict[str, dict[str, bool]]


class ConsentCreate(BaseModel):
    """A consent given or withdrawn, as the member told a clerk (or in the app, or on the member page)."""

    channel: Channel
    purpose_class: Literal["marketing", "service"] = "marketing"
    granted: bool
    source: Literal["till", "app", "member_page", "import"] = "app"
    note: str = Field("", max_length=500)


class SendCreate(BaseModel):
    """A campaign message to one member."""

    text: str = Field(min_length=1, max_length=500)
    channel: Channel | None = None
    idempotency_key: str = Field(min_length=1, max_length=100)


class WebhookRead(BaseModel):
    """What a provider's webhook call changed."""

    received: int
    changed: int


class WeChatBindingSave(BaseModel):
    """A member's openid for the chain's official account (from its OAuth page or the till's scan)."""

    openid: str = Field(min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    source: Literal["till", "app", "member_page", "import"] = "till"


class WeChatBindingRead(BaseModel):
    """A member's WeChat binding; the openid is never shown in full."""

    member_id: int
    app_id: str
    openid_masked: str
    source: str
    bound_at: datetime
    bound_by_id: int | None

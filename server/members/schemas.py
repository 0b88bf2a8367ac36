"""Members at the HTTP edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from server.core.bounds import Id

Gender = Literal["female", "male", "other", "unknown"]
CARD_PATTERN = r"^[A-Za-z0-9-]{4,40}$"
QR_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


MAX_INTERESTS = 10
INTEREST_LENGTH = 40
INTERESTS_DOC = (
    f"Up to {MAX_INTERESTS} catalogue categories the member says they like, each by key or by its label in "
    "any language (any case); stored and read back as category keys."
)


def _clean_interests(value: list[str] | None) -> list[str] | None:
    """Trimmed, without repeats (any case); 422 naming an empty, over-long or surplus interest."""
    if value is None:
        return None
    out: dict[str, str] = {}
    for raw in value:
        text = raw.strip()
        if not text:
            raise ValueError("an interest cannot be empty")
        if len(text) > INTEREST_LENGTH:
            raise ValueError(
                f"an interest has at most {INTEREST_LENGTH} characters: {text[:INTEREST_LENGTH]!r}..."
            )
        out.setdefault(text.casefold(), text)
    if len(out) > MAX_INTERESTS:
        raise ValueError(f"at most {MAX_INTERESTS} interests, not {len(out)}")
    return list(out.values())


def _past_birthday(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= date.today():
        raise ValueError("a birthday must lie between 1900-01-01 and today")
    return value


class MemberCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=1, max_length=40, description="Any common format; '+86 138 0013 8000'.")
    home_store_id: Id
    gender: Gender = "unknown"
    birthday: date | None = None
    card_number: str | None = Field(None, pattern=CARD_PATTERN, description="Generated when left out.")
    qr_token: str | None = Field(None, pattern=QR_PATTERN, description="Generated when left out.")
    marketing_consent: bool = False
    locale: str = Field("en", min_length=2, max_length=10)
    interests: list[str] | None = Field(None, description=INTERESTS_DOC)

    _birthday = field_validator("birthday")(_past_birthday)
    _interests = field_validator("interests")(_clean_interests)


class MemberInterests(BaseModel):
    """The member's whole set of interests: those left out are removed."""

    interests: list[str] = Field(description=INTERESTS_DOC)

    _interests = field_validator("interests")(_clean_interests)


class MemberUpdate(BaseModel):
    """Fields left out stay as they are; birthday may be set to null to clear it."""

    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=1, max_length=40)
    gender: Gender | None = None
    birthday: date | None = None
    marketing_consent: bool | None = None
    locale: str | None = Field(None, min_length=2, max_length=10)

    _birthday = field_validator("birthday")(_past_birthday)

    @model_validator(mode="after")
    def _no_null_except_birthday(self) -> MemberUpdate:
        for field in self.model_fields_set - {"birthday"}:
            if getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null; leave it out to keep it unchanged")
        return self


class MemberRead(BaseModel):
    id: int
    name: str
    phone: str | None = Field(description="Full E.164 for the home store's manager or an admin, else masked.")
    phone_masked: bool
    gender: str
    birthday: date | None
    card_number: str | None
    qr_token: str | None
    home_store_id: int | None
    joined_on: date
    marketing_consent: bool
    locale: str
    interests: list[str] = Field(description="The catalogue categories (keys) the member said they like.")
    created_at: datetime
    updated_at: datetime

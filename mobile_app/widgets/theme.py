"""The app's look in one place: a light background, dark text, one accent and a colour per tier."""

from __future__ import annotations

from datetime import date, datetime

Colour = tuple[float, float, float, float]


def hex_colour(value: str, alpha: float = 1.0) -> Colour:
    """#RRGGBB as the RGBA floats Kivy draws with."""
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"expected #RRGGBB, got {value!r}")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


BACKGROUND = hex_colour("#F4F5F7")
SURFACE = hex_colour("#FFFFFF")
BORDER = hex_colour("#E2E5EA")
TEXT = hex_colour("#1F2430")
MUTED = hex_colour("#6B7280")
ACCENT = hex_colour("#2F4A9E")
ACCENT_SOFT = hex_colour("#E7ECFA")
ON_ACCENT = hex_colour("#FFFFFF")
GOOD = hex_colour("#15803D")
WARN = hex_colour("#B45309")
BAD = hex_colour("#B91C1C")
BAD_SOFT = hex_colour("#FDECEC")
NOTICE = hex_colour("#7A4B00")
NOTICE_SOFT = hex_colour("#FFF3DC")
USER_BUBBLE = hex_colour("#2F4A9E")
BOT_BUBBLE = hex_colour("#FFFFFF")

# The demo ladder is new < growing < loyal < VIP; a chain may name its own tiers, which get SLATE.
TIER_COLOURS: dict[str, Colour] = {
    "new": hex_colour("#8A94A6"),
    "growing": hex_colour("#2E8B57"),
    "loyal": hex_colour("#2563EB"),
    "vip": hex_colour("#B7862B"),
}
SLATE = hex_colour("#475569")


def tier_colour(tier: str) -> Colour:
    """The badge colour of a tier, case-insensitive; unknown tiers get slate."""
    return TIER_COLOURS.get(tier.strip().casefold(), SLATE)


def is_cjk(char: str) -> bool:
    """Whether a character is Chinese/Japanese/Korean (ideographs, kana, hangul, CJK punctuation)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
    )


def cjk_wrap(text: str) -> str:
    """Text mostly in Chinese with its spaces made non-breaking, so Kivy wraps it by character.

    Kivy breaks lines at spaces only: "常与TA 297天前买的…" would break at the one space and leave half a
    line empty. Chinese is wrapped between any two characters, which is what Kivy does to a run with no
    space in it. English (or a Chinese name inside English) keeps its ordinary word wrap.
    """
    letters = [c for c in text if not c.isspace()]
    if " " not in text or not letters or sum(map(is_cjk, letters)) * 10 < len(letters) * 3:
        return text
    return text.replace(" ", "\u00a0")


def heat_colour(heat: int) -> Colour:
    """Green for a warm member, amber for cooling, red for cold (heat index 0-100)."""
    if heat >= 60:
        return GOOD
    if heat >= 30:
        return WARN
    return BAD


def short_time(when: datetime | None) -> str:
    """An arrival's time of day as HH:MM (its own clock: the business clock the server used)."""
    return when.strftime("%H:%M") if when is not None else ""


def short_date(day: date | None) -> str:
    """A date as YYYY-MM-DD, the same in Chinese and English; empty for none."""
    return day.isoformat() if day is not None else ""


def sparkline(values: list[int] | list[float]) -> str:
    """Weekly values as a row of block characters (the heat-index trend on the member screen)."""
    if not values:
        return ""
    blocks = "▁▂▃▄▅▆▇█"
    low, high = min(values), max(values)
    span = (high - low) or 1
    return "".join(blocks[round((v - low) / span * (len(blocks) - 1))] for v in values)

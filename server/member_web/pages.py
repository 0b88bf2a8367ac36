"""Rendering the member page's templates: the language, the CSRF token and the words go into every page."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.member_web import texts

HERE = Path(__file__).resolve().parent
CSS = (HERE / "static" / "member.css").read_text(encoding="utf-8")
_ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


def render(name: str, lang: str, **values: Any) -> str:
    """The page `name` in `lang`; `t` words, `num`, `money` and `day` format for the language."""
    words = {
        "lang": lang,
        "other_lang": "en" if lang == "zh" else "zh",
        "t": lambda key, **kw: texts.t(lang, key, **kw),
        "num": lambda v: texts.number(lang, v),
        "money": lambda v, c: texts.money(lang, v, c),
        "day": lambda v: texts.day(lang, v if isinstance(v, date) else date.fromisoformat(str(v))),
        "progress_text": lambda p, c: progress_text(lang, p, c),
        "expires_in": lambda until, today: expires_in(lang, until, today),
    }
    return _ENV.get_template(name).render(**words, **values)


def qr_svg(text: str, scale: int = 8) -> str:
    """`text` as a QR code in SVG (dark modules on white, a quiet zone of four)."""
    out = io.BytesIO()
    # A standalone document (namespace and size): an <img> shows only an SVG that declares both.
    segno.make_qr(text, error="m").save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgclass=None)
    return out.getvalue().decode()


def progress_text(lang: str, progress: Any, currency: str) -> str:
    """ "200 more to VIP" in the member's words, from the loyalty service's Progress."""
    if progress.next_tier is None:
        return texts.t(lang, "top_tier")
    amount = texts.money(lang, progress.spend_needed, currency)
    visits, tier = progress.visits_needed, progress.next_tier
    if progress.spend_needed > 0 and visits > 0:
        joiner = texts.t(lang, "and" if " and " in progress.text else "or")
        return texts.t(lang, "to_next_both", amount=amount, visits=visits, tier=tier, joiner=joiner)
    if visits > 0:
        return texts.t(lang, "to_next_visits", visits=visits, tier=tier)
    return texts.t(lang, "to_next_spend", amount=amount, tier=tier)


def expires_in(lang: str, until: date, today: date) -> str:
    """ "expires in 3 days" (today, tomorrow, in N days)."""
    days = (until - today).days
    if days <= 0:
        return texts.t(lang, "expires_today")
    if days == 1:
        return texts.t(lang, "expires_in_one")
    return texts.t(lang, "expires_in", days=days)

"""The server's figures worded in the app's language: tier progress, dormancy, persona, benefits, tasks.

The server sends each of these as data and also as an English sentence. The phone words the data itself
(strings in i18n_phrases.py), so a clerk reads one language, switching languages needs no new request,
and a profile saved for offline use reads right in either. Where the data is missing (an older server, a
chain's own alert kind) the server's sentence shows as it came.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from mobile_app.api.wire import ArrivalCard, Benefit, Consultant, Persona, PersonaEvidence, Task, Tier
from mobile_app.state.i18n import plural, tr


def label(kind: str, name: str, lang: str) -> str:
    """A built-in name (kind "tier", "tag" or "persona") in `lang`; a chain's own name as it is."""
    key = f"{kind}.{name}"
    text = tr(key, lang)
    return name if text == key else text


def tier_name(name: str, lang: str) -> str:
    """A tier's name in `lang` (new, growing, loyal, VIP are built in)."""
    return label("tier", name, lang)


def benefit_name(code: str, name: str, lang: str) -> str:
    """A default benefit's name in `lang`; a benefit the chain renamed or added keeps its own name."""
    key = f"benefit.{code}"
    return tr(key, lang) if tr(key, "en") == name else name


def days(n: int, lang: str) -> str:
    """ "1 day", "3 days", "3 天"."""
    return plural("unit.day", n, lang)


def expires_in(until: date, today: date, lang: str) -> str:
    """ "expires today", "expires tomorrow", "expires in 3 days" (3天后到期)."""
    left = (until - today).days
    if left <= 0:
        return tr("coupon.expires_today", lang)
    if left == 1:
        return tr("coupon.expires_tomorrow", lang)
    return plural("coupon.expires_in", left, lang)


def consultants(people: Sequence[Consultant], lang: str) -> list[str]:
    """ "Primary consultant: 刘婷" for each of a member's consultants; ["No consultant assigned"] for none."""
    lines = [
        tr("member.consultant", lang, position=label("position", c.position, lang), name=c.name)
        for c in people
    ]
    return lines or [tr("member.no_consultant", lang)]


def _amount(value: str) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal("0")


def progress(
    current: str, next_tier: str | None, spend_needed: str, visits_needed: int, qualify: str, lang: str
) -> str:
    """What the next tier still needs: "200.00 more to VIP", "再消费 200.00 即可升至VIP"."""
    if not next_tier:
        return tr("progress.top", lang, tier=tier_name(current, lang))
    parts = []
    if _amount(spend_needed) > 0:
        parts.append(tr("progress.spend", lang, amount=spend_needed))
    if visits_needed > 0:
        parts.append(plural("progress.visits", visits_needed, lang))
    target = tier_name(next_tier, lang)
    if not parts:
        return tr("progress.met", lang, tier=target)
    joiner = "progress.and" if qualify == "spend_and_visits" else "progress.or"
    needs = parts[0] if len(parts) == 1 else tr(joiner, lang, a=parts[0], b=parts[1])
    return tr("progress.to", lang, needs=needs, tier=target)


def tier_progress(tier: Tier, lang: str) -> str:
    """The member screen's tier line, from the profile's TierRead figures."""
    if tier.next_tier and not tier.spend_needed:  # a server without the figures
        return tier.progress
    return progress(tier.name, tier.next_tier, tier.spend_needed, tier.visits_needed, tier.qualify, lang)


def card_progress(card: ArrivalCard, lang: str) -> str:
    """An arrival card's tier line, from the event's figures."""
    if card.next_tier and not card.spend_needed:
        return card.tier_progress
    return progress(card.tier, card.next_tier, card.spend_needed, card.visits_needed, card.tier_qualify, lang)


def tier_review(tier: Tier, lang: str) -> str:
    """When the tier is next at stake and what it becomes; "" when it is not at stake."""
    if tier.review_on is None or not tier.review_tier:
        return tier.review or ""
    return tr(
        "progress.review",
        lang,
        tier=tier_name(tier.name, lang),
        day=tier.review_on.isoformat(),
        to=tier_name(tier.review_tier, lang),
    )


def dormancy(status: str, since: int | None, last: date | None, lang: str, fallback: str = "") -> str:
    """ "dormant: last purchase 410 days ago (2025-10-09)" in `lang`; `fallback` for an unknown status."""
    if status == "never_purchased":
        return tr("dormancy.never_purchased", lang)
    if status in ("active", "at_risk", "dormant") and since is not None and last is not None:
        return tr(f"dormancy.{status}", lang, days=days(since, lang), day=last.isoformat())
    return fallback


def evidence(e: PersonaEvidence, lang: str) -> str | None:
    """One reason for the persona in `lang`; None for evidence this app does not know."""
    v = e.value or 0.0
    if e.code == "purchases":
        n = int(v)
        count = plural("unit.purchase", n, lang)
        return tr("evidence.purchases", lang, count=count, needed=int(e.threshold or 0))
    if e.code in ("coupon_or_discount_share", "coupon_share", "new_product_share"):
        return tr(f"evidence.{e.code}", lang, share=f"{v:.0%}")
    if e.code == "price_index":
        if e.value is None:
            return tr("evidence.no_price_index", lang)
        return tr("evidence.price_index", lang, index=f"{v:.2f}")
    if e.code == "categories":
        return plural("evidence.categories", int(v), lang)
    if e.code == "weak_signal":
        name = label("persona", e.persona or "", lang)
        return tr(
            "evidence.weak_signal", lang, persona=name, score=f"{v:.2f}", threshold=f"{e.threshold or 0:g}"
        )
    return None


def persona_reasons(persona: Persona, lang: str) -> list[str]:
    """Why the member has their persona, in `lang` (the server's sentence for unknown evidence)."""
    if not persona.evidence:
        return list(persona.reasons)
    out = []
    for i, e in enumerate(persona.evidence):
        text = evidence(e, lang)
        out.append(text if text is not None else (persona.reasons[i] if i < len(persona.reasons) else ""))
    return [t for t in out if t]


def benefit_reason(b: Benefit, birthday: date | None, lang: str) -> str:
    """Why a benefit can or cannot be used now, in `lang`."""
    code = b.reason_code
    if code == "not_for_tier" and b.tiers:
        tiers = tr("list.sep", lang).join(tier_name(t, lang) for t in b.tiers)
        return tr("benefit_reason.not_for_tier", lang, tiers=tiers)
    if code == "birthday_month" and birthday is not None:
        return tr("benefit_reason.birthday_month", lang, month=tr(f"month.{birthday.month}", lang))
    if code == "left" and b.valid_until is not None:
        day = b.valid_until.isoformat()
        return tr("benefit_reason.left", lang, left=b.remaining, quota=b.quota, day=day)
    if code in ("no_birthday", "included") or (code == "used_up" and b.quota):
        return tr(f"benefit_reason.{code}", lang, quota=b.quota)
    return b.reason


def _client(t: Task, lang: str) -> str | None:
    if t.position is None:
        return None
    position = label("task", t.position, lang) if t.position in ("primary", "secondary") else t.position
    n = t.days_since_last_purchase
    if n is None:
        bought = tr("task.never_bought", lang)
    else:
        bought = tr("task.dormant_for" if t.dormant else "task.bought_ago", lang, days=days(n, lang))
    return tr("task.client", lang, position=position, bought=bought)


def _quiet(t: Task, lang: str) -> str | None:
    if t.days_since_last_purchase is None:
        return None
    ago = t.days_since_contact
    contact = (
        tr("task.no_contact", lang) if ago is None else tr("task.last_contact", lang, days=days(ago, lang))
    )
    return tr("task.quiet", lang, days=days(t.days_since_last_purchase, lang), contact=contact)


def _follow_up(t: Task, lang: str) -> str | None:
    if t.channel is None or t.contact_on is None or t.due_in_days is None:
        return None
    what = label("task.channel", t.channel, lang)
    text = tr("task.follow_up", lang, what=what, day=t.contact_on.isoformat())
    if t.contact_by:
        text += tr("task.by", lang, name=t.contact_by)
    if t.note:
        text += tr("task.note", lang, note=t.note)
    due = t.due_in_days
    if due < 0:
        when = tr("task.overdue", lang, days=days(-due, lang))
    else:
        when = tr("task.due_in", lang, days=days(due, lang)) if due else tr("task.due_today", lang)
    return text + tr("task.when", lang, when=when)


def _alert(kind: str, data: dict[str, Any], lang: str) -> str | None:
    if kind == "heat_alert" and data.get("weekly") and data.get("week_end"):
        values = " → ".join(str(v) for v in data["weekly"])
        return tr("alert.heat_alert", lang, values=values, day=data["week_end"])
    if kind == "tier_change" and data.get("from") and data.get("to"):
        old, new = tier_name(str(data["from"]), lang), tier_name(str(data["to"]), lang)
        return tr("alert.tier_change", lang, old=old, new=new)
    if kind == "points_expiring" and data.get("points") and data.get("first_expiry"):
        return plural("alert.points_expiring", data["points"], lang, day=data["first_expiry"])
    if kind in ("journey_task", "journey_note"):  # a journey's script, in the phone's language
        script = data.get("script_zh" if lang == "zh" else "script_en") or data.get(f"text_{lang}")
        if script:
            return tr("alert.journey_task", lang, journey=data.get("journey") or "", script=script)
    code = str(data.get("benefit") or "")
    if kind == "benefit_expiring" and tr(f"benefit.{code}", lang) != f"benefit.{code}":
        name = tr(f"benefit.{code}", lang)
        return tr(
            "alert.benefit_expiring", lang, benefit=name, n=data.get("remaining"), day=data.get("expires_on")
        )
    return None


def task_reason(t: Task, lang: str) -> str:
    """Why a task is on the list, in `lang` (the server's sentence for what the phone cannot word)."""
    if t.kind == "client":
        text = _client(t, lang)
    elif t.kind == "dormant":
        text = _quiet(t, lang)
    elif t.kind == "follow_up":
        text = _follow_up(t, lang)
    else:
        text = _alert(t.kind, t.data, lang)
    return text if text is not None else t.reason

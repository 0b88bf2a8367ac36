"""The member's 360° view: tier and progress, points, offer, talking points, suggestions, activity."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from kivy.metrics import dp
from kivy.properties import BooleanProperty

from mobile_app.api.wire import Profile, Suggestion
from mobile_app.screens.base import AisleScreen
from mobile_app.state import phrases
from mobile_app.widgets import theme
from mobile_app.widgets.basics import BodyLabel, Chip, MutedLabel
from mobile_app.widgets.cards import SuggestionView, fill

PURCHASES_SHOWN = 6
FIGURES = ("window_spend", "spend_needed", "window_visits", "visits_needed")


def tier_fraction(profile: Profile) -> float | None:
    """How far the member is towards the next tier, 0..1 (1 at the top tier); None without the figures.

    A tier is reached by spend OR visits, so progress is the better of the two. The figures are the
    server's TierRead window_spend / spend_needed / window_visits / visits_needed.
    """
    tier = profile.tier
    if not tier.next_tier:
        return 1.0
    # An older server sends no figures: then the bar is hidden, the sentence still shows.
    figures: list[Any] = [getattr(tier, name, None) for name in FIGURES]
    if any(value is None or value == "" for value in figures):
        return None
    spend, spend_needed, visits, visits_needed = (float(v) for v in figures)
    fractions = [
        have / (have + need) for have, need in ((spend, spend_needed), (visits, visits_needed)) if have + need
    ]
    return max(fractions, default=0.0)


def trend_arrow(values: list[int]) -> str:
    """↑, ↓ or → comparing the last weekly heat value with the one before."""
    if len(values) < 2 or values[-1] == values[-2]:
        return "→"
    return "↑" if values[-1] > values[-2] else "↓"


class MemberScreen(AisleScreen):
    """Everything about the member on screen, from `state.member` and the suggestions beside it."""

    kv_file: ClassVar[str] = "member.kv"
    watches: ClassVar[frozenset[str]] = frozenset(
        {"member", "member_from_cache", "recommendations", "talking_points", "offer", "offer_issued", "staff"}
    )

    loading = BooleanProperty(True)
    is_manager = BooleanProperty(False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.verdicts: dict[int, str] = {}
        self._member_id = 0
        super().__init__(*args, **kwargs)
        # ids hold weak references: keep the offer card alive while it is out of the layout.
        self._offer_card = self.ids.offer_card.__self__

    def refresh(self) -> None:
        """Redraw every section from state."""
        staff = self.state.staff
        self.is_manager = bool(staff is not None and staff.is_manager)
        profile: Profile | None = self.state.member
        self.loading = profile is None
        if profile is None:
            return
        if profile.id != self._member_id:
            self._member_id = profile.id
            self.verdicts.clear()
            self.ids.scroll.scroll_y = 1
        lang = self.lang
        self._header(profile, lang)
        self._tier(profile, lang)
        self._points(profile, lang)
        self._offer(lang)
        fill(
            self.ids.talking_points,
            [BodyLabel(text=theme.cjk_wrap("• " + p.text)) for p in self.state.talking_points],
        )
        fill(self.ids.recommendations, [self._suggestion(s, lang) for s in self.state.recommendations])
        self._activity(profile, lang)
        self._tags(profile, lang)
        self._benefits(profile, lang)
        self._coupons(profile, lang)
        self._purchases(profile, lang)

    def _header(self, p: Profile, lang: str) -> None:
        ids = self.ids
        ids.name.text = p.name
        ids.badge.tier = p.tier.name
        ids.badge.text = self.tier_label(p.tier.name, lang)
        parts = [p.card_number or "", p.phone or "", p.home_store.name if p.home_store else ""]
        ids.identity.text = " · ".join(x for x in parts if x)
        ids.cached.text = self.t("member.from_cache", lang) if self.state.member_from_cache else ""
        ids.consultants.text = "\n".join(phrases.consultants(p.consultants, lang))

    def _tier(self, p: Profile, lang: str) -> None:
        fraction = tier_fraction(p)
        self.ids.tier_bar.value = fraction or 0.0
        self.ids.tier_bar.opacity = 0 if fraction is None else 1
        self.ids.tier_bar.bar_colour = theme.tier_colour(p.tier.next_tier or p.tier.name)
        self.ids.tier_progress.text = theme.cjk_wrap(phrases.tier_progress(p.tier, lang))
        self.ids.tier_review.text = theme.cjk_wrap(phrases.tier_review(p.tier, lang))

    def _points(self, p: Profile, lang: str) -> None:
        ids = self.ids
        ids.points_available.value = f"{p.points.available:,}"
        ids.points_value.value = p.points.value
        expiring = p.points.expiring_within_30_days
        first = min((u.on for u in p.upcoming if u.kind == "points_expiry" and u.on), default=None)
        ids.points_expiring.value = (
            f"{expiring:,}  ({first.isoformat()})" if expiring and first else f"{expiring:,}"
        )
        ids.points_expiring.value_colour = theme.WARN if expiring else theme.TEXT

    def _offer(self, lang: str) -> None:
        offer, issued = self.state.offer, self.state.offer_issued
        ids = self.ids
        slot, card = ids.offer_slot, self._offer_card
        shown = offer is not None or bool(issued)
        if shown and card.parent is None:
            slot.add_widget(card)
        elif not shown and card.parent is not None:
            slot.remove_widget(card)
        ids.offer_text.text = offer.text if offer is not None else ""
        ids.offer_issued.text = (
            self.t(
                "member.offer_issued", lang, code=issued.get("code", ""), until=issued.get("valid_until", "")
            )
            if issued
            else ""
        )
        can_issue = offer is not None and not issued
        ids.issue_offer.disabled = not can_issue
        ids.issue_offer.opacity = 1 if can_issue else 0
        ids.issue_offer.height = dp(48) if can_issue else 0

    def _suggestion(self, s: Suggestion, lang: str) -> SuggestionView:
        verdict = self.verdicts.get(s.recommendation_id, "")
        return SuggestionView(
            recommendation_id=s.recommendation_id,
            title=s.name,
            reason=s.reason,
            price=f"{s.price:.2f}",
            verdict=self.t(f"feedback.{verdict}", lang) if verdict else "",
            decided=bool(verdict),
            accept_text=self.t("member.accept", lang),
            decline_text=self.t("member.decline", lang),
            sold_text=self.t("member.sold", lang),
            actor=self.record_verdict,
        )

    def record_verdict(self, recommendation_id: int, action: str) -> None:
        """Send accept / decline / sold for a suggestion and show it as decided."""
        self.verdicts[recommendation_id] = action
        self.controller.feedback(recommendation_id, action)
        self._dirty = True
        self._trigger()

    def issue_offer(self) -> None:
        """Issue the reactivation offer to the member on screen (one tap; queued when offline)."""
        if self.state.member is not None:
            self.controller.issue_offer(self.state.member.id)

    def _activity(self, p: Profile, lang: str) -> None:
        ids = self.ids
        d = p.dormancy
        text = phrases.dormancy(d.status, d.days_since_last_purchase, p.rfm.last_purchase_on, lang, d.text)
        ids.dormancy.text = theme.cjk_wrap(text)
        ids.heat.value = f"{p.heat.index}/100"
        ids.heat_bar.value = p.heat.index
        ids.heat_bar.bar_colour = theme.heat_colour(p.heat.index)
        weekly = p.heat.weekly
        ids.heat_trend.value = f"{theme.sparkline(weekly)} {trend_arrow(weekly)}" if weekly else "—"

    def _tags(self, p: Profile, lang: str) -> None:
        fill(self.ids.tags, [Chip(text=phrases.label("tag", tag, lang)) for tag in p.tags])
        persona = phrases.label("persona", p.persona.label, lang) if p.persona.label else ""
        self.ids.persona.text = self.t("member.persona", lang, persona=persona) if persona else ""
        reasons = phrases.persona_reasons(p.persona, lang)[:3]
        self.ids.persona_reasons.text = "\n".join(theme.cjk_wrap(r) for r in reasons)

    def _benefits(self, p: Profile, lang: str) -> None:
        rows: list[Any] = []
        for b in p.benefits:
            name = phrases.benefit_name(b.code, b.name, lang)
            if b.available:
                rows.append(BodyLabel(text=f"✓ {name}"))
            else:
                reason = phrases.benefit_reason(b, p.birthday, lang)
                rows.append(MutedLabel(text=theme.cjk_wrap(f"{name} — {reason}")))
        fill(self.ids.benefits, rows or [MutedLabel(text=self.t("member.none", lang))])

    def _coupons(self, p: Profile, lang: str) -> None:
        today = p.as_of.date() if p.as_of is not None else date.today()
        rows: list[Any] = []
        for c in p.coupons:
            rows.append(BodyLabel(text=theme.cjk_wrap(f"{c.name} · {c.value}")))
            when = phrases.expires_in(c.valid_until, today, lang) if c.valid_until else ""
            soon = c.valid_until is not None and (c.valid_until - today).days <= 3
            rows.append(
                MutedLabel(
                    text=theme.cjk_wrap(f"{c.code}   {when}   {c.hint}".strip()),
                    color=theme.WARN if soon else theme.MUTED,
                )
            )
        fill(self.ids.coupons, rows or [MutedLabel(text=self.t("member.none", lang))])

    def _purchases(self, p: Profile, lang: str) -> None:
        rows: list[Any] = []
        for line in p.recent_purchases[:PURCHASES_SHOWN]:
            day = line.occurred_at.date().isoformat() if line.occurred_at else ""
            rows.append(BodyLabel(text=f"{line.name} × {line.quantity}   {line.amount}", font_size="14sp"))
            rows.append(MutedLabel(text=day))
        fill(self.ids.purchases, rows or [MutedLabel(text=self.t("member.none", lang))])

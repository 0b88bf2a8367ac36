"""The store manager's view: consultants with their clients and open tasks; assign and reassign VIPs."""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile_app.api.wire import ClientRow, Profile, StaffSummary
from mobile_app.screens.base import AisleScreen
from mobile_app.state import phrases
from mobile_app.state.i18n import plural
from mobile_app.widgets import theme
from mobile_app.widgets.basics import MutedLabel
from mobile_app.widgets.cards import ConsultantRow, MemberRow, fill


class ManagerScreen(AisleScreen):
    """Consultants of the store; the member on screen (if any) can be given a primary or secondary one."""

    kv_file: ClassVar[str] = "manager.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"consultants", "clients_by_consultant", "member", "staff"})

    target_text = StringProperty("")
    selected = NumericProperty(0)
    has_member = BooleanProperty(False)
    has_primary = BooleanProperty(False)
    has_secondary = BooleanProperty(False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._reload_member = 0  # a member whose consultants this screen just changed
        super().__init__(*args, **kwargs)

    def _on_state(self, changed: set[str]) -> None:
        # The lists come back after an assignment: fetch the member again so their consultants show.
        if "consultants" in changed and self._reload_member:
            member_id, self._reload_member = self._reload_member, 0
            self.controller.open_member(member_id)
        super()._on_state(changed)

    def on_pre_enter(self, *args: Any) -> None:
        """Fetch the consultants afresh each time the screen opens."""
        super().on_pre_enter(*args)
        self.controller.load_consultants()

    def refresh(self) -> None:
        """Redraw the target member line and the consultants (with the chosen one's clients)."""
        lang = self.lang
        member: Profile | None = self.state.member
        self.has_member = member is not None
        positions = {c.position for c in member.consultants} if member is not None else set()
        self.has_primary, self.has_secondary = "primary" in positions, "secondary" in positions
        if member is None:
            self.target_text = self.t("manager.no_member", lang)
        else:
            current = self.t("list.sep", lang).join(phrases.consultants(member.consultants, lang))
            self.target_text = self.t("manager.target", lang, name=member.name, current=current)
        rows: list[Any] = []
        for consultant in self.state.consultants:
            rows.append(self._row(consultant, member, lang))
            if consultant.id == self.selected:
                rows.extend(self._clients(consultant.id, lang))
        if not rows:
            rows.append(MutedLabel(text=self.t("manager.no_consultants", lang)))
        fill(self.ids.consultants, rows)

    def _row(self, consultant: StaffSummary, member: Profile | None, lang: str) -> ConsultantRow:
        return ConsultantRow(
            staff_id=consultant.id,
            name=consultant.name,
            counts=self.t(
                "manager.counts",
                lang,
                clients=plural("manager.clients_count", consultant.client_count, lang),
                tasks=plural("manager.tasks_count", consultant.open_task_count, lang),
            ),
            selected=consultant.id == self.selected,
            clients_text=self.t(
                "manager.hide" if consultant.id == self.selected else "manager.clients", lang
            ),
            primary_text=self.t("manager.make_primary", lang) if member is not None else "",
            secondary_text=self.t("manager.make_secondary", lang) if member is not None else "",
            chooser=self.choose,
            assigner=self.assign,
        )

    def _clients(self, staff_id: int, lang: str) -> list[Any]:
        clients: list[ClientRow] | None = self.state.clients_by_consultant.get(staff_id)
        if clients is None:
            return [MutedLabel(text=self.t("tasks.loading", lang))]
        if not clients:
            return [MutedLabel(text=self.t("manager.no_clients", lang))]
        return [
            MemberRow(
                member_id=c.member_id,
                name=c.name,
                tier=c.tier,
                tier_label=self.tier_label(c.tier, lang),
                reason=self._client_reason(c, lang),
                opener=self.open_member,
            )
            for c in clients
        ]

    def _client_reason(self, client: ClientRow, lang: str) -> str:
        parts = [self.t(f"position.{client.position}", lang)]
        if client.last_purchase_on is not None:
            parts.append(self.t("manager.last_purchase", lang, day=theme.short_date(client.last_purchase_on)))
        if client.dormant:
            parts.append(self.t("manager.dormant", lang))
        return " · ".join(parts)

    def choose(self, staff_id: int) -> None:
        """Show a consultant's clients (a second tap hides them)."""
        self.selected = 0 if self.selected == staff_id else staff_id
        self.refresh()

    def assign(self, staff_id: int, position: str) -> None:
        """Make `staff_id` the member's primary or secondary consultant (replacing whoever was)."""
        member = self.state.member
        if member is not None:
            self._reload_member = member.id
            self.controller.assign(member.id, staff_id, position)

    def unassign(self, position: str) -> None:
        """Remove the member's primary or secondary consultant."""
        member = self.state.member
        if member is not None:
            self._reload_member = member.id
            self.controller.unassign(member.id, position)

    def open_member(self, member_id: int) -> None:
        """Open one of the consultant's clients."""
        self.controller.open_member(member_id)
        self.services.go("member")

    def consultant_rows(self) -> list[ConsultantRow]:
        """The consultant rows on screen, top to bottom."""
        return [w for w in reversed(self.ids.consultants.children) if isinstance(w, ConsultantRow)]

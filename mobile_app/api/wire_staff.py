"""Wire shapes of staff and their work: the signed-in clerk, consultants, tasks, a consultant's clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mobile_app.api.wire_parse import as_date, as_int, as_str, items

# The role a phone shows when a staff member holds several: the most senior one.
ROLE_ORDER = ("admin", "hq_analyst", "store_manager", "vip_consultant", "clerk", "cashier")
MANAGER_ROLES = frozenset({"admin", "store_manager"})


@dataclass(frozen=True)
class StaffSummary:
    """A staff member as the phone shows them: the signed-in clerk, or a consultant on the manager screen."""

    id: int
    username: str
    name: str
    role: str
    store_id: int | None
    store_name: str
    roles: list[str]
    locale: str
    client_count: int
    open_task_count: int

    @property
    def is_manager(self) -> bool:
        """Whether the manager screen (consultants and assignments) applies."""
        return bool(MANAGER_ROLES.intersection(self.roles))

    @classmethod
    def from_json(cls, d: dict[str, Any], store_name: str = "") -> StaffSummary:
        """Parse a StaffRead (roles as grants) or a consultant row (one role, counts)."""
        grants = [g for g in d.get("roles") or () if isinstance(g, dict)]
        roles = [as_str(g.get("role")) for g in grants] or ([as_str(d["role"])] if d.get("role") else [])
        stores = {g.get("store_id") for g in grants}
        store_id = d.get("store_id") if not grants else (stores.pop() if len(stores) == 1 else None)
        ranked = sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER))
        return cls(
            id=as_int(d.get("id", d.get("staff_id"))),
            username=as_str(d.get("login", d.get("username"))),
            name=as_str(d.get("display_name", d.get("name"))),
            role=ranked[0] if ranked else "",
            store_id=store_id,
            store_name=store_name or as_str(d.get("store_name")),
            roles=ranked,
            locale=as_str(d.get("locale")) or "en",
            client_count=as_int(d.get("client_count")),
            open_task_count=as_int(d.get("open_task_count")),
        )


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the bearer token and who it belongs to."""

    access_token: str
    expires_in: int
    staff: StaffSummary

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SignIn:
        """Parse a TokenRead."""
        return cls(
            access_token=as_str(d["access_token"]),
            expires_in=as_int(d.get("expires_in")),
            staff=StaffSummary.from_json(d["staff"]),
        )


@dataclass(frozen=True)
class Task:
    """Something for the clerk to do about a member (call a dormant client, a follow-up, an alert)."""

    kind: str
    member_id: int
    member_name: str
    tier: str
    reason: str  # the server's English sentence: shown only when the figures below do not say it
    due_on: date | None
    ref: str
    # The reason as figures, worded on the phone in its language (None where they do not apply).
    position: str | None = None
    days_since_last_purchase: int | None = None
    dormant: bool = False
    days_since_contact: int | None = None
    channel: str | None = None
    contact_on: date | None = None
    contact_by: str | None = None
    note: str | None = None
    due_in_days: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Task:
        """Parse one item of GET /tasks."""
        return cls(
            kind=as_str(d.get("kind")),
            member_id=as_int(d.get("member_id")),
            member_name=as_str(d.get("member_name")),
            tier=as_str(d.get("tier")),
            reason=as_str(d.get("reason")),
            due_on=as_date(d.get("due_on")),
            ref=as_str(d["ref"]),
            position=d.get("position"),
            days_since_last_purchase=d.get("days_since_last_purchase"),
            dormant=bool(d.get("dormant")),
            days_since_contact=d.get("days_since_contact"),
            channel=d.get("channel"),
            contact_on=as_date(d.get("contact_on")),
            contact_by=d.get("contact_by"),
            note=d.get("note"),
            due_in_days=d.get("due_in_days"),
            data=dict(d.get("data") or {}),
        )


@dataclass(frozen=True)
class TaskList:
    """The clerk's work list, in four groups."""

    my_clients: list[Task]
    dormant: list[Task]
    alerts: list[Task]
    follow_ups: list[Task]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TaskList:
        """Parse GET /tasks."""
        return cls(
            my_clients=items(d, "my_clients", Task.from_json),
            dormant=items(d, "dormant", Task.from_json),
            alerts=items(d, "alerts", Task.from_json),
            follow_ups=items(d, "follow_ups", Task.from_json),
        )

    def without(self, ref: str) -> TaskList:
        """The list with the task `ref` taken out of every group (it was done)."""
        return TaskList(*([t for t in group if t.ref != ref] for group in self.groups()))

    def groups(self) -> tuple[list[Task], list[Task], list[Task], list[Task]]:
        """The four groups in screen order."""
        return (self.my_clients, self.dormant, self.alerts, self.follow_ups)


@dataclass(frozen=True)
class ClientRow:
    """One member a consultant looks after (GET /staff/{id}/clients)."""

    member_id: int
    name: str
    tier: str
    position: str
    last_purchase_on: date | None
    days_since_last_purchase: int | None
    dormant: bool

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClientRow:
        """Parse one client row."""
        return cls(
            member_id=as_int(d.get("id", d.get("member_id"))),
            name=as_str(d.get("name")),
            tier=as_str(d.get("tier")),
            position=as_str(d.get("position")),
            last_purchase_on=as_date(d.get("last_purchase_on")),
            days_since_last_purchase=d.get("days_since_last_purchase"),
            dormant=bool(d.get("dormant")),
        )

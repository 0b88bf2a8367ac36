"""Who may call which API operation: one table, checked for every route before its handler runs.

The table names roles only; which store's members, till or team a role reaches is checked by each
service on top (a clerk of store 3 works on store 3). An operation missing from the table is refused
for everyone, so a new endpoint stays closed until someone decides who it is for.
Checked in `get_current_staff` (and, for an endpoint signing in on its own, `staff_for_claims`); the
router-wide `route_policy` dependency refuses a route the table does not know, signed in or not.
"""

from __future__ import annotations

from typing import Final, Literal

from fastapi import Request

from server.auth.roles import Role
from server.core.errors import Forbidden

# (HTTP method, path template under /api/v1), e.g. ("GET", "/members/{member_id}").
Operation = tuple[str, str]
Rule = frozenset[Role] | Literal["public", "signed in"]

API_PREFIX: Final = "/api/v1"  # where server.app mounts every router
PUBLIC: Final = "public"  # no sign-in
WEBSOCKET: Final = "WEBSOCKET"  # the method name of a socket route, which the OpenAPI document leaves out
SIGNED_IN: Final = "signed in"  # any account, even one without a role (to see itself, change its password)

CLERK, VIP, CASHIER = Role.CLERK, Role.VIP_CONSULTANT, Role.CASHIER
MANAGER, ANALYST, ADMIN = Role.STORE_MANAGER, Role.HQ_ANALYST, Role.ADMIN

EVERY_ROLE = frozenset(Role)
# Floor work: profiles, recommendations, chat, interactions, tasks, offers.
FLOOR = frozenset({CLERK, VIP, MANAGER, ADMIN})
# What the floor reads, an hq_analyst reads too (never writes).
FLOOR_READ = FLOOR | {ANALYST}
# Ringing up a sale or a redemption needs a till role in the store; a chain-wide admin holds none.
TILL = frozenset({CASHIER, CLERK, MANAGER})
MANAGERS = frozenset({MANAGER, ADMIN})
HQ = frozenset({ANALYST, ADMIN})
ADMINS = frozenset({ADMIN})

POLICY: Final[dict[Operation, Rule]] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/health/ready"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("GET", "/auth/me"): SIGNED_IN,
    ("POST", "/auth/password"): SIGNED_IN,
    # Stores and their teams.
    ("GET", "/stores"): EVERY_ROLE,
    ("POST", "/stores"): ADMINS,
    ("GET", "/stores/{store_id}"): EVERY_ROLE,
    ("GET", "/staff"): MANAGERS,
    ("POST", "/staff"): MANAGERS,
    ("PATCH", "/staff/{staff_id}"): MANAGERS,
    # Members: look-up and the till's reads are for every role; the 360° view is floor work.
    ("GET", "/members/lookup"): EVERY_ROLE,
    ("GET", "/members"): EVERY_ROLE,
    ("POST", "/members"): FLOOR | {CASHIER},  # members often join at the till
    ("GET", "/members/{member_id}"): EVERY_ROLE,
    ("PATCH", "/members/{member_id}"): FLOOR,
    ("PUT", "/members/{member_id}/interests"): FLOOR,
    ("GET", "/members/{member_id}/profile"): FLOOR_READ,
    ("GET", "/members/{member_id}/transactions"): EVERY_ROLE,  # a return starts from the sale
    ("GET", "/members/{member_id}/points"): EVERY_ROLE,
    # The till.
    ("POST", "/transactions"): TILL,
    ("POST", "/members/{member_id}/redemptions"): TILL,
    ("POST", "/members/{member_id}/benefits/{code}/use"): TILL | {VIP},  # a consultant hands over a gift
    ("POST", "/members/{member_id}/check-ins"): TILL | {VIP},
    ("POST", "/members/{member_id}/activities"): TILL | {VIP},
    # Rewards for points (积分兑换): HQ keeps the catalogue; the till exchanges, hands over and cancels.
    ("GET", "/rewards"): EVERY_ROLE,
    ("POST", "/rewards"): ADMINS,
    ("PUT", "/rewards/{reward_id}"): ADMINS,
    ("POST", "/members/{member_id}/reward-exchanges"): TILL,
    ("GET", "/members/{member_id}/reward-exchanges"): EVERY_ROLE,
    ("POST", "/reward-exchanges/{exchange_id}/collect"): TILL | {VIP},
    ("POST", "/reward-exchanges/{exchange_id}/cancel"): TILL | {VIP},
    ("POST", "/stores/{store_id}/arrivals"): FLOOR | {CASHIER},  # the till and the door scanner announce
    ("POST", "/stores/{store_id}/price-approvals"): MANAGERS,  # a code read to the cashier
    # Catalogue.
    ("GET", "/products"): EVERY_ROLE,
    ("GET", "/products/categories"): EVERY_ROLE,
    ("GET", "/products/{product_id}"): EVERY_ROLE,
    # Loyalty configuration and tag rules: read at HQ, changed by an admin.
    ("GET", "/loyalty/config/{key}"): HQ,
    ("PUT", "/loyalty/config/{key}"): ADMINS,
    ("GET", "/rules/facts"): HQ,
    ("GET", "/rules"): HQ,
    ("POST", "/rules"): ADMINS,
    ("GET", "/rules/{rule_id}"): HQ,
    ("PUT", "/rules/{rule_id}"): ADMINS,
    # Clienteling on the floor.
    ("GET", "/members/{member_id}/interactions"): FLOOR_READ,
    ("POST", "/members/{member_id}/interactions"): FLOOR,
    ("GET", "/members/{member_id}/offers"): FLOOR_READ,
    ("POST", "/members/{member_id}/offers"): FLOOR,
    # Coupons: HQ keeps the templates; the floor issues them; the till quotes and redeems them.
    # Journeys (automations): a store manager keeps their store's and switches the chain's for it; an admin
    # keeps the chain's; an HQ analyst reads, simulates and reports (the services check which store).
    ("GET", "/journeys"): MANAGERS | {ANALYST},
    ("POST", "/journeys"): MANAGERS,
    ("POST", "/journeys/validate"): MANAGERS | {ANALYST},
    ("POST", "/journeys/audience"): MANAGERS | {ANALYST},
    ("GET", "/journeys/{journey_id}"): MANAGERS | {ANALYST},
    ("PUT", "/journeys/{journey_id}"): MANAGERS,
    ("GET", "/journeys/{journey_id}/versions"): MANAGERS | {ANALYST},
    ("POST", "/journeys/{journey_id}/publish"): MANAGERS,
    ("POST", "/journeys/{journey_id}/pause"): MANAGERS,
    ("POST", "/journeys/{journey_id}/resume"): MANAGERS,
    ("PUT", "/journeys/{journey_id}/stores/{store_id}"): MANAGERS,
    ("POST", "/journeys/{journey_id}/simulate"): MANAGERS | {ANALYST},
    ("GET", "/journeys/{journey_id}/report"): MANAGERS | {ANALYST},
    ("GET", "/coupons/templates"): FLOOR_READ,
    ("POST", "/coupons/templates"): ADMINS,
    ("GET", "/coupons/templates/{template_id}"): FLOOR_READ,
    ("PUT", "/coupons/templates/{template_id}"): ADMINS,
    ("POST", "/coupons/templates/{template_id}/batches"): ADMINS,
    ("GET", "/coupons/figures"): MANAGERS | {ANALYST},
    ("GET", "/members/{member_id}/coupons"): FLOOR_READ | {CASHIER},
    ("POST", "/members/{member_id}/coupons"): FLOOR,
    ("POST", "/transactions/quote"): TILL,
    ("GET", "/members/{member_id}/events"): FLOOR_READ,
    ("GET", "/events"): FLOOR_READ,
    ("POST", "/events/{event_id}/acknowledge"): FLOOR,
    ("GET", "/members/{member_id}/recommendations"): FLOOR_READ,
    ("POST", "/recommendations/{recommendation_id}/feedback"): FLOOR,
    ("POST", "/members/{member_id}/chat"): FLOOR,
    ("GET", "/chat/{session_id}"): FLOOR_READ,
    ("GET", "/recommendations/attribution"): MANAGERS | {ANALYST},
    ("GET", "/tasks"): FLOOR,
    ("POST", "/tasks/done"): FLOOR,
    # Consultants: handed out by the store's manager; a consultant sees their own clients.
    ("GET", "/members/{member_id}/consultants"): FLOOR_READ,
    ("PUT", "/members/{member_id}/consultants/{position}"): MANAGERS,
    ("DELETE", "/members/{member_id}/consultants/{position}"): MANAGERS,
    ("GET", "/stores/{store_id}/consultants"): MANAGERS,
    ("GET", "/staff/{staff_id}/clients"): MANAGERS | {VIP},
    # Recommender versions: which store serves which, promotions and A/B experiments (HQ's decision).
    ("GET", "/models/versions"): HQ,
    ("GET", "/models/versions/{a}/compare/{b}"): HQ,
    ("GET", "/models/deployments"): HQ,
    ("POST", "/models/promote"): HQ,
    ("POST", "/models/rollback"): HQ,
    ("POST", "/models/experiments"): HQ,
    ("POST", "/models/experiments/{experiment}/stop"): HQ,
    ("GET", "/models/experiments/{experiment}/report"): HQ,
    # Messages to members: HQ writes the templates, store managers read and preview them; the outbox is
    # seen by managers (their stores) and HQ; consents are floor work; providers call the webhooks.
    ("GET", "/messaging/templates"): MANAGERS | HQ,
    ("GET", "/messaging/templates/{purpose}/{lang}/versions"): MANAGERS | HQ,
    ("PUT", "/messaging/templates/{purpose}/{lang}"): HQ,
    ("POST", "/messaging/templates/{purpose}/{lang}/preview"): MANAGERS | HQ,
    ("GET", "/messaging/messages"): MANAGERS | HQ,
    ("GET", "/members/{member_id}/consents"): FLOOR_READ,
    ("POST", "/members/{member_id}/consents"): FLOOR | {CASHIER},  # members often say so at the till
    ("POST", "/members/{member_id}/messages"): MANAGERS,
    # A member's WeChat openid is bound at the till or on the floor, by staff of the member's store.
    ("GET", "/members/{member_id}/wechat"): FLOOR_READ | {CASHIER},
    ("PUT", "/members/{member_id}/wechat"): FLOOR | {CASHIER},
    ("DELETE", "/members/{member_id}/wechat"): FLOOR | {CASHIER},
    ("GET", "/messaging/unsubscribe/{token}"): PUBLIC,  # the member's own link, signed
    ("POST", "/messaging/unsubscribe/{token}"): PUBLIC,
    ("GET", "/messaging/webhooks/{provider}/receipts"): PUBLIC,  # WeChat's echostr check, signed
    ("POST", "/messaging/webhooks/{provider}/receipts"): PUBLIC,  # the provider's signature or secret
    ("POST", "/messaging/webhooks/{provider}/inbound"): PUBLIC,
    # The member's own page (outside /api/v1): public to staff roles, it signs members in with its own
    # cookie after a one-time code (server/member_web).
    ("GET", "/m/s/{store_code}"): PUBLIC,
    ("GET", "/m/s/{store_code}/qr.svg"): PUBLIC,
    ("POST", "/m/s/{store_code}/code"): PUBLIC,
    ("POST", "/m/s/{store_code}/sign-in"): PUBLIC,
    ("POST", "/m/s/{store_code}/join"): PUBLIC,
    ("POST", "/m/s/{store_code}/check-in"): PUBLIC,
    ("POST", "/m/s/{store_code}/preferences"): PUBLIC,
    ("POST", "/m/s/{store_code}/opt-out"): PUBLIC,
    ("POST", "/m/s/{store_code}/sign-out"): PUBLIC,
    ("GET", "/m/me/qr.svg"): PUBLIC,
    # The live floor's socket: arrivals carry recommendations and talking points, which is floor work.
    (WEBSOCKET, "/ws/floor"): FLOOR,
}


def operation_of(request: Request) -> Operation | None:
    """The (method, path template) of the route `request` matched; None outside a route."""
    path = getattr(request.scope.get("route"), "path_format", None)
    if not isinstance(path, str):
        return None
    # FastAPI names an included route by its router's path; be right when it gives the mounted one too.
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    return request.method.upper(), path


def rule_for(operation: Operation | None) -> Rule | None:
    """Who may call `operation`; None when the table does not name it."""
    return POLICY.get(operation) if operation is not None else None


def _named(operation: Operation | None) -> str:
    return f"{operation[0]} {operation[1]}" if operation is not None else "this route"


def _unknown(operation: Operation | None) -> Forbidden:
    return Forbidden(f"{_named(operation)} has no entry in the access policy: refused for everyone")


def authorize(roles: frozenset[Role], operation: Operation | None) -> None:
    """Raise Forbidden unless one of `roles` (the caller's, in any store) may call `operation`."""
    rule = rule_for(operation)
    if rule is None:
        raise _unknown(operation)
    if isinstance(rule, str):  # public or any signed-in account
        return
    if not roles & rule:
        names = sorted(r.value for r in rule)
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise Forbidden(f"{_named(operation)} is for role {listed}")


def required_operation(request: Request) -> Operation:
    """The operation `request` calls, if the table names it; Forbidden for everyone otherwise."""
    operation = operation_of(request)
    if operation is None or rule_for(operation) is None:
        raise _unknown(operation)
    return operation


async def route_policy(request: Request) -> None:
    """Router-wide dependency: refuse, signed in or not, a route the table does not name (fail closed)."""
    required_operation(request)


def markdown_table() -> str:
    """The policy as the README's table: one row per operation, a column per role."""
    roles = list(Role)
    lines = [
        "| operation | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for (method, path), rule in POLICY.items():
        cells: list[str]
        if isinstance(rule, str):
            cells = [rule] * len(roles)
        else:
            cells = ["✓" if r in rule else "" for r in roles]
        lines.append(f"| `{method} {path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)

"""Every domain router, mounted under /api/v1. A new domain adds one line here and its operations to
server/auth/policy.py (until then they answer 403 to everyone)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from server.arrivals.router import router as arrivals_router
from server.assignments.router import router as assignments_router
from server.auth.policy import route_policy
from server.auth.router import router as auth_router
from server.automations.router import router as automations_router
from server.coupons.router import router as coupons_router
from server.deployments.router import router as deployments_router
from server.events.router import router as events_router
from server.health.router import router as health_router
from server.interactions.router import router as interactions_router
from server.loyalty.router import router as loyalty_router
from server.member_web.router import router as member_page_router
from server.members.router import router as members_router
from server.messaging.router import router as messaging_router
from server.offers.router import router as offers_router
from server.products.router import router as products_router
from server.profile.router import router as profile_router
from server.realtime.router import router as realtime_router
from server.recommendations.router import router as recommendations_router
from server.rewards.router import router as rewards_router
from server.staff.router import router as staff_router
from server.stores.router import router as stores_router
from server.tags.router import router as rules_router
from server.tasks.router import router as tasks_router
from server.transactions.router import router as transactions_router

# Mounted in this order: /members/lookup must be matched before /members/{id}.
HTTP_ROUTERS: list[APIRouter] = [
    health_router,
    auth_router,
    stores_router,
    staff_router,
    profile_router,
    members_router,
    transactions_router,
    products_router,
    loyalty_router,
    rewards_router,
    rules_router,
    interactions_router,
    assignments_router,
    tasks_router,
    offers_router,
    coupons_router,
    automations_router,
    events_router,
    recommendations_router,
    arrivals_router,
    deployments_router,
    messaging_router,
]


def include_routers(app: FastAPI, prefix: str) -> None:
    """Mount every router; each HTTP route answers only if the access policy names it (fail closed)."""
    for router in HTTP_ROUTERS:
        app.include_router(router, prefix=prefix, dependencies=[Depends(route_policy)])
    # The member's own page sits outside the API prefix (/m/...): its address is printed on the door.
    app.include_router(member_page_router, dependencies=[Depends(route_policy)])
    # The floor socket is no HTTP operation: it signs in with its own frame (server/realtime/access.py).
    app.include_router(realtime_router, prefix=prefix)

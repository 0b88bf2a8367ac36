"""Every domain router, mounted under /api/v1. A new domain adds one line here."""

from __future__ import annotations

from fastapi import FastAPI

from server.arrivals.router import router as arrivals_router
from server.assignments.router import router as assignments_router
from server.auth.router import router as auth_router
from server.catalog.router import router as catalog_router
from server.health.router import router as health_router
from server.insights.router import router as events_router
from server.interactions.router import router as interactions_router
from server.loyalty.router import router as loyalty_router
from server.members.router import router as members_router
from server.offers.router import router as offers_router
from server.profile.router import router as profile_router
from server.realtime.router import router as realtime_router
from server.recommendations.router import router as recommendations_router
from server.staff.router import router as staff_router
from server.stores.router import router as stores_router
from server.tags.router import router as rules_router
from server.tasks.router import router as tasks_router
from server.transactions.router import router as transactions_router


def include_routers(app: FastAPI, prefix: str) -> None:
    app.include_router(health_router, prefix=prefix)
    app.include_router(auth_router, prefix=prefix)
    app.include_router(stores_router, prefix=prefix)
    app.include_router(staff_router, prefix=prefix)
    # /members/lookup must be matched before /members/{id}.
    app.include_router(profile_router, prefix=prefix)
    app.include_router(members_router, prefix=prefix)
    app.include_router(transactions_router, prefix=prefix)
    app.include_router(catalog_router, prefix=prefix)
    app.include_router(loyalty_router, prefix=prefix)
    app.include_router(rules_router, prefix=prefix)
    app.include_router(interactions_router, prefix=prefix)
    app.include_router(assignments_router, prefix=prefix)
    app.include_router(tasks_router, prefix=prefix)
    app.include_router(offers_router, prefix=prefix)
    app.include_router(events_router, prefix=prefix)
    app.include_router(realtime_router, prefix=prefix)
    app.include_router(recommendations_router, prefix=prefix)
    app.include_router(arrivals_router, prefix=prefix)

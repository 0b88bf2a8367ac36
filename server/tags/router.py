"""Tag rules over HTTP: the facts a rule may name, and saving rules (validated, 422 naming the path).

A saved rule tags members from the next nightly pass on, and each member again after their next purchase.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from server.auth.deps import CurrentStaff
from server.auth.roles import Role
from server.auth.scope import require, require_any_role
from server.core.bounds import Id
from server.core.clock import NowDep
from server.core.deps import SessionDep
from server.core.pagination import Page, PageDep
from server.db.tables import TagRule
from server.tags import service
from server.tags.rules import OPS
from server.tags.schemas import FactRead, TagRuleCreate, TagRuleRead, TagRuleUpdate

router = APIRouter(prefix="/rules", tags=["tag rules"])
RULE_EDITORS = frozenset({Role.HQ_ANALYST, Role.ADMIN})


def _read(row: TagRule) -> TagRuleRead:
    return TagRuleRead.model_validate(row, from_attributes=True)


@router.get("/facts")
def list_facts(caller: CurrentStaff) -> list[FactRead]:
    """The facts a rule may name, with their types and the operators each accepts (for the rule editor)."""
    require_any_role(caller)
    return [
        FactRead(name=f.name, type=f.type.value, description=f.description, ops=dict(OPS[f.type]))
        for f in service.list_facts()
    ]


@router.get("")
def list_rules(caller: CurrentStaff, session: SessionDep, page: PageDep) -> Page[TagRuleRead]:
    """Every tag rule, active or not, by name (hq_analyst or admin)."""
    require(caller, RULE_EDITORS)
    rows, total = service.list_rules(session, page.limit, page.offset)
    return Page(items=[_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{rule_id}")
def get_rule(rule_id: Id, caller: CurrentStaff, session: SessionDep) -> TagRuleRead:
    """One tag rule (hq_analyst or admin)."""
    require(caller, RULE_EDITORS)
    return _read(service.get_rule(session, rule_id))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_rule(body: TagRuleCreate, caller: CurrentStaff, session: SessionDep, now: NowDep) -> TagRuleRead:
    """Save a rule that sets the tag `name`; 422 names where the rule is wrong, 409 a taken name."""
    require(caller, RULE_EDITORS)
    row = service.create_rule(
        session,
        body.name,
        body.rule,
        now,
        description=body.description,
        active=body.active,
        staff_id=caller.id,
    )
    return _read(row)


@router.put("/{rule_id}")
def update_rule(
    rule_id: Id, body: TagRuleUpdate, caller: CurrentStaff, session: SessionDep, now: NowDep
) -> TagRuleRead:
    """Change a rule's condition, description or whether it is active; a new condition is re-validated."""
    require(caller, RULE_EDITORS)
    row = service.update_rule(
        session,
        rule_id,
        now,
        rule=body.rule,
        description=body.description,
        active=body.active,
        staff_id=caller.id,
    )
    return _read(row)

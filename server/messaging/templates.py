"""Templates: `{variable}` placeholders checked against the purpose's typed variables, rendered per language.

A template is validated when saved (422 naming an unknown variable or a format it cannot take), versioned
(each save is a new version; a message records the version it used), and created from `DEFAULTS` the
first time a purpose and language is asked for, so a new database sends sensible texts at once. Defaults
are made on first use rather than by a migration so that a purpose added later needs no data migration.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.tables import MessageTemplate
from server.messaging.defaults import DEFAULTS
from server.messaging.purposes import LANGS, Purpose, purpose_of

MASK = "******"
MAX_BODY = 1000


def fields(body: str) -> list[str]:
    """The variables a template uses, in order (422 for broken braces or a format spec)."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise InvalidInput(f"body: {exc} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise InvalidInput(f"body: {{{name}}} is not a variable name")
        if spec or conversion:
            raise InvalidInput(f"body: variable {name} takes no format ({{{name}}} is formatted by its type)")
        names.append(name)
    return names


def validate(purpose: Purpose, body: str) -> list[str]:
    """The template's variables if it is valid for `purpose`; 422 naming the problem otherwise."""
    if not body.strip() or len(body) > MAX_BODY:
        raise InvalidInput(f"body: a text of 1 to {MAX_BODY} characters is required")
    names = fields(body)
    for name in names:
        if name not in purpose.allowed:
            allowed = ", ".join(sorted(purpose.allowed))
            raise InvalidInput(f"body: unknown variable {{{name}}} for {purpose.name}; allowed: {allowed}")
    return names


def shown(value: Any, kind: str, lang: str, currency: str = "") -> str:
    """One variable's value as the member reads it."""
    if kind == "date":
        day = date.fromisoformat(str(value))
        return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()
    if kind == "money":
        return f"{currency} {value}".strip() if lang == "en" else f"{value}{currency and ' ' + currency}"
    return str(value)


def render(
    purpose: Purpose,
    body: str,
    values: dict[str, Any],
    lang: str,
    currency: str = "",
    secrets: dict[str, str] | None = None,
) -> str:
    """The text with `values` filled in; secret variables stay placeholders unless `secrets` holds them."""
    out: dict[str, str] = {}
    for name in fields(body):
        kind = purpose.allowed[name]
        if kind == "secret":
            out[name] = (secrets or {}).get(name, "{" + name + "}")
        elif name in values:
            out[name] = shown(values[name], kind, lang, currency)
        else:
            raise InvalidInput(f"variables.{name}: the {purpose.name} template in {lang} needs it")
    return body.format_map(out)


def check_lang(lang: str) -> str:
    """`lang` if the templates cover it (422 otherwise)."""
    if lang not in LANGS:
        raise InvalidInput(f"lang: use one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def current(session: Session, purpose: str, lang: str) -> MessageTemplate:
    """The newest version of the template in `lang`, made from the defaults when none is saved yet."""
    found = purpose_of(purpose)
    check_lang(lang)
    stmt = (
        select(MessageTemplate)
        .where(MessageTemplate.purpose == found.name, MessageTemplate.lang == lang)
        .order_by(MessageTemplate.version.desc())
        .limit(1)
    )
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    seed = MessageTemplate(purpose=found.name, lang=lang, version=1, body=DEFAULTS[found.name][lang])
    try:
        with session.begin_nested():
            session.add(seed)
            session.flush()
    except IntegrityError:  # another request seeded it first
        return session.scalars(stmt).one()
    return seed


def version(session: Session, purpose: str, lang: str, number: int) -> MessageTemplate:
    """One saved version (404 if there is none)."""
    row = session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.purpose == purpose,
            MessageTemplate.lang == lang,
            MessageTemplate.version == number,
        )
    ).first()
    if row is None:
        raise NotFound(f"template {purpose}/{lang} has no version {number}")
    return row


def versions(session: Session, purpose: str, lang: str) -> list[MessageTemplate]:
    """Every version of a template, newest first."""
    current(session, purpose, lang)
    stmt = (
        select(MessageTemplate)
        .where(MessageTemplate.purpose == purpose, MessageTemplate.lang == lang)
        .order_by(MessageTemplate.version.desc())
    )
    return list(session.scalars(stmt))


def save(
    session: Session, purpose: str, lang: str, body: str, staff_id: int | None, now: datetime
) -> MessageTemplate:
    """Validate `body` and store it as the template's next version."""
    found = purpose_of(purpose)
    check_lang(lang)
    validate(found, body)
    current(session, found.name, lang)
    newest = session.scalar(
        select(func.max(MessageTemplate.version)).where(
            MessageTemplate.purpose == found.name, MessageTemplate.lang == lang
        )
    )
    row = MessageTemplate(
        purpose=found.name,
        lang=lang,
        version=(newest or 0) + 1,
        body=body,
        created_by_id=staff_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"template {found.name}/{lang} was changed at the same time: try again") from None
    return row

"""The one-off pass that seals interaction notes and chat text stored before they were encrypted at rest.

It runs when the server starts, not as a migration: sealing needs the keys, which derive from
AISLE_SECRET_KEY or the key file, and a migration sees only an engine (`aisle db upgrade`, or a test's
or the demo's own settings). Sealing with keys guessed from the environment could lock text away for
good. Sealed values carry the SEALED mark, so the pass skips them: running it again (on every start,
from several processes at once) seals nothing twice, and readers open both kinds meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Result, Select, bindparam, func, inspect, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.core.context import AppContext
from server.core.crypto import CHAT, NOTE, SEALED, Keys
from server.core.words import counted
from server.db.tables import ChatTurn, Interaction

logger = logging.getLogger(__name__)
BATCH = 500


def seal_clear_text(context: AppContext) -> int:
    """Seal every note and chat text still in clear, in batches; returns how many rows were sealed."""
    names = set(inspect(context.engine).get_table_names())
    keys = context.keys
    sealed = 0
    if Interaction.__tablename__ in names:
        notes = _clear(Interaction.id, Interaction.note)
        sealed += _each_batch(context, notes, lambda session, row_id: _seal_note(session, row_id, keys))
    if ChatTurn.__tablename__ in names:
        turns = _clear(ChatTurn.id, ChatTurn.utterance)
        sealed += _each_batch(context, turns, lambda session, row_id: _seal_turn(session, row_id, keys))
    if sealed:
        logger.info(
            "sealed %s stored in clear",
            counted(sealed, "interaction note or chat turn", "interaction notes and chat turns"),
        )
    return sealed


def _clear(row_id: InstrumentedAttribute[int], text: InstrumentedAttribute[str]) -> Select[Any]:
    """Ids of rows whose `text` is neither empty nor sealed, in id order (filtered on `row_id > :after`)."""
    unsealed = func.substr(text, 1, len(SEALED)) != SEALED
    return select(row_id).where(text != "", unsealed, row_id > bindparam("after")).order_by(row_id)


def _each_batch(context: AppContext, clear: Select[Any], seal: Callable[[Session, int], int]) -> int:
    done, after = 0, 0
    while True:
        with context.sessions() as session:
            ids: list[int] = list(session.scalars(clear.limit(BATCH), {"after": after}))
            for row_id in ids:
                done += seal(session, row_id)
            session.commit()
        if len(ids) < BATCH:
            return done
        after = ids[-1]


def _seal_note(session: Session, row_id: int, keys: Keys) -> int:
    note = session.scalar(select(Interaction.note).where(Interaction.id == row_id))
    if note is None or note.startswith(SEALED):
        return 0
    # Only if still the clear text read: another process's pass may have sealed it meanwhile.
    stmt = update(Interaction).where(Interaction.id == row_id, Interaction.note == note)
    return _changed(session.execute(stmt.values(note=keys.seal(note, NOTE))))


def _seal_turn(session: Session, row_id: int, keys: Keys) -> int:
    row = session.execute(
        select(ChatTurn.utterance, ChatTurn.message, ChatTurn.constraints).where(ChatTurn.id == row_id)
    ).first()
    if row is None or row.utterance.startswith(SEALED):
        return 0
    constraints = dict(row.constraints or {})
    topic = constraints.get("topic")
    if isinstance(topic, str) and not topic.startswith(SEALED):
        constraints["topic"] = keys.seal(topic, CHAT)
    stmt = update(ChatTurn).where(ChatTurn.id == row_id, ChatTurn.utterance == row.utterance)
    values = {
        "utterance": keys.seal(row.utterance, CHAT),
        "message": row.message if row.message.startswith(SEALED) else keys.seal(row.message, CHAT),
        "constraints": constraints,
    }
    return _changed(session.execute(stmt.values(**values)))


def _changed(result: Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)

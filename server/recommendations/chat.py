"""The clerk's multi-turn conversation with the recommender, kept in the database between turns.

Each turn stores the constraints in force and the items answered, so "cheaper" or "not that one" in the
next turn refers to them whichever server process answers it, and the log can be read back later. What
the clerk typed, the reply and the request's words (the constraints' topic) are stored sealed
(server.core.crypto), like phone numbers: a database dump does not show them.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.candidates import Suggestion, taste_vector
from models.conversation import Constraints, ConversationTurn, respond
from models.utterance import parse_utterance
from models.vocabulary import CatalogVocabulary
from server.core.context import open_text, seal_text
from server.core.crypto import CHAT
from server.core.errors import InvalidInput, NotFound
from server.db.tables import ChatSession, ChatTurn, Member, Staff
from server.members.access import member_for
from server.recommendations import repository as repo
from server.recommendations.engine import Engine
from server.recommendations.facts import member_facts
from server.recommendations.schemas import ChatLogRead, ChatTurnRead, ConstraintsRead, SuggestionRead
from server.recommendations.served import preferences
from server.recommendations.service import language, shown, suggestion_read

CHAT_ITEMS = 5
PREFERRED_ITEMS = 50  # of the model's ranking for the member, the items the chat lifts
VOCABULARY = "chat_vocabulary"  # the recommender's catalog memo key of the chat's vocabulary
_FIELDS = {f.name for f in dataclasses.fields(Constraints)}


def constraints_json(c: Constraints) -> dict[str, Any]:
    """The constraints as JSON values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(c).items()}


def constraints_of(data: dict[str, Any]) -> Constraints:
    """Constraints back from `constraints_json` (keys this version does not know are ignored)."""
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in _FIELDS
    }
    return Constraints(**values)


def sealed_constraints(session: Session, c: Constraints) -> dict[str, Any]:
    """The constraints as stored: JSON values, the topic (the customer's own words) sealed."""
    data = constraints_json(c)
    data["topic"] = seal_text(session, data["topic"], CHAT)
    return data


def opened_constraints(session: Session, turn: ChatTurn) -> dict[str, Any]:
    """A stored turn's constraints with the topic in clear."""
    data = dict(turn.constraints)
    if isinstance(data.get("topic"), str):
        data["topic"] = open_text(session, data["topic"], CHAT)
    return data


def previous_turn(session: Session, turn: ChatTurn) -> ConversationTurn:
    """A stored turn as the conversation model reads it: its constraints and the items it answered."""
    suggestions = tuple(
        Suggestion(int(i["item_id"]), float(i["score"]), "chat", str(i["reason"]), dict(i["facts"]))
        for i in turn.items
    )
    utterance = open_text(session, turn.utterance, CHAT)
    return ConversationTurn(
        utterance,
        turn.lang,
        parse_utterance(utterance),
        constraints_of(opened_constraints(session, turn)),
        suggestions,
        open_text(session, turn.message, CHAT),
    )


def turn_read(session: Session, turn: ChatTurn) -> ChatTurnRead:
    """One stored turn on the wire, its text in clear."""
    return ChatTurnRead(
        session_id=turn.session_id,
        turn_no=turn.turn_no,
        message=open_text(session, turn.utterance, CHAT),
        lang=turn.lang,
        items=[SuggestionRead.model_validate(i) for i in turn.items],
        constraints=ConstraintsRead.model_validate(opened_constraints(session, turn)),
        reply=open_text(session, turn.message, CHAT),
        model_version=turn.model_version,
        staff_id=turn.staff_id,
        created_at=turn.created_at,
    )


def _session_for(
    session: Session,
    caller: Staff,
    member: Member,
    session_id: str | None,
    store_id: int | None,
    now: datetime,
) -> tuple[ChatSession, ChatTurn | None]:
    if session_id is None:
        chat = ChatSession(
            id=str(uuid.uuid4()),
            member_id=member.id,
            staff_id=caller.id,
            store_id=store_id,
            created_at=now,
            updated_at=now,
        )
        session.add(chat)
        session.flush()
        return chat, None
    found = repo.chat_session(session, session_id, lock=True)
    if found is None:
        raise NotFound(f"chat session {session_id} does not exist; omit session_id to start one")
    if found.member_id != member.id:
        raise InvalidInput(f"session_id: chat session {session_id} is about another member")
    last = repo.chat_turns(session, found.id, last_only=True)
    return found, last[0] if last else None


def catalogue_vocabulary(session: Session, rec: Engine) -> CatalogVocabulary:
    """The words the chat matches requests to: the recommender's catalog plus every name and category label
    in the products' translations (a Chinese-named product's English name), read once per recommender."""
    cached = rec.catalog.memo.get(VOCABULARY)
    if cached is None:
        names: dict[int, list[str]] = {}
        labels: dict[str, set[str]] = {}
        for product_id, name, category, translations in repo.product_words(session):
            names[product_id] = [name]
            entries = translations.values() if isinstance(translations, dict) else ()
            for entry in (e for e in entries if isinstance(e, dict)):
                names[product_id] += [str(entry["name"])] if entry.get("name") else []
                labels.setdefault(category, set()).update(
                    [str(entry["category"])] if entry.get("category") else []
                )
        cached = CatalogVocabulary(
            rec.catalog, names=names, category_labels={c: sorted(v) for c, v in labels.items()}
        )
        rec.catalog.memo[VOCABULARY] = cached
    return cached  # type: ignore[no-any-return]


def chat_turn(
    session: Session,
    rec: Engine,
    caller: Staff,
    member_id: int,
    *,
    message: str,
    session_id: str | None,
    lang: str | None,
    store_id: int | None,
    now: datetime,
    window_days: int,
) -> ChatTurnRead:
    """Answer what the customer said, continuing the session's last turn, and store the turn."""
    if not message.strip():
        raise InvalidInput("message: say what the customer is looking for")
    member = member_for(session, caller, member_id)
    lang = language(lang, member)
    record = shown(caller, member, rec, store_id, now, window_days)
    chat, last = _session_for(session, caller, member, session_id, record.store_id, now)
    facts = member_facts(session, member, now)
    taste = taste_vector(facts, rec.index, rec.catalog, now.date()) if len(rec.catalog) else None
    prior = [previous_turn(session, last)] if last is not None else []
    served = rec.shelf.serving(session, record.store_id, member.id) if rec.shelf is not None else None
    preferred: dict[int, float] = {}
    if served is not None and rec.shelf is not None and len(rec.catalog):
        binding = rec.shelf.binding(served.version, rec.catalog, rec.version, session)
        preferred = preferences(binding, facts, today=now.date(), k=PREFERRED_ITEMS)
        record = record.ranked_by(served.version, served.arm, served.experiment)
    if len(rec.catalog):
        answer = respond(
            facts,
            prior,
            message,
            catalog=rec.catalog,
            index=rec.index,
            encoder=rec.encoder,
            taste_vector=taste,
            k=CHAT_ITEMS,
            lang=lang,
            vocabulary=catalogue_vocabulary(session, rec),
            preferred=preferred,
        )
    else:
        answer = ConversationTurn(message, lang, parse_utterance(message), Constraints(), (), "")
    record = dataclasses.replace(record, chat_session_id=chat.id)
    recs = repo.record_shown(session, record, [(s.item_id, "chat") for s in answer.suggestions])
    items = [
        suggestion_read(rec, s, r, lang).model_dump(mode="json")
        for s, r in zip(answer.suggestions, recs, strict=True)
    ]
    turn = ChatTurn(
        session_id=chat.id,
        turn_no=(last.turn_no if last is not None else 0) + 1,
        staff_id=caller.id,
        utterance=seal_text(session, message.strip(), CHAT),
        lang=lang,
        constraints=sealed_constraints(session, answer.constraints),
        items=items,
        message=seal_text(session, answer.message, CHAT),
        model_version=record.model_version,
        created_at=now,
    )
    session.add(turn)
    chat.updated_at = now
    session.flush()
    return turn_read(session, turn)


def chat_log(session: Session, caller: Staff, session_id: str) -> ChatLogRead:
    """Every turn of a session, for whoever may open its member."""
    chat = repo.chat_session(session, session_id)
    if chat is None:
        raise NotFound(f"chat session {session_id} does not exist")
    member_for(session, caller, chat.member_id)
    return ChatLogRead(
        session_id=chat.id,
        member_id=chat.member_id,
        staff_id=chat.staff_id,
        store_id=chat.store_id,
        created_at=chat.created_at,
        turns=[turn_read(session, t) for t in repo.chat_turns(session, chat.id)],
    )

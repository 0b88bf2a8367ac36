"""The dispatcher: claim due messages, send each once, record what the provider said, reconcile the rest.

One round (`Dispatcher.run_once`):
1. expired claims become `unknown`; unknown messages are checked with the provider's query API:
   sent/delivered/failed are recorded, and only a key the provider still does not know a grace period
   after the claim expired is queued again (with the same key), never a blind re-send;
2. a batch of due `queued` rows is claimed in one transaction (PostgreSQL: FOR UPDATE SKIP LOCKED and the
   members' rows locked; SQLite: the write lock and a conditional UPDATE per row). Under the claim each
   row's consent, quiet hours and caps are judged: it is suppressed, moved to its next allowed time, or
   set `sending` with this dispatcher as owner and a claim expiry. That transaction commits BEFORE any
   provider is called;
3. each claimed message is sent (after its provider's token bucket), then the outcomes are recorded,
   each only if this dispatcher's claim still stands.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.base import utcnow
from server.db.session import serialise_member, session_scope
from server.db.tables import Member, OutboxMessage, Store
from server.messaging import consent, limits, templates
from server.messaging import repository as repo
from server.messaging.adapters.base import Known, Match, Outgoing, SendResult
from server.messaging.adapters.registry import Adapters
from server.messaging.outbox import common_values, member_lang, open_secrets
from server.messaging.purposes import EXEMPT, channel_refusal, purpose_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A message claimed for sending, ready for its provider."""

    row_id: int
    channel: str
    message: Outgoing


def owner_name() -> str:
    """This dispatcher's name in claims: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Dispatcher:
    """Sends the outbox's messages through `adapters`; one per process (or several, racing safely)."""

    def __init__(
        self, context: AppContext, adapters: Adapters, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.context, self.adapters, self.clock = context, adapters, clock
        self.settings = context.settings
        self.owner = owner_name()
        self.held = 0  # rows of the last claim suppressed, failed or moved to a later time
        self._ledger: consent.Ledger = {}
        self._openids: dict[int, bytes] = {}
        self._templates: dict[tuple[str, str, int], str] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._sent: dict[tuple[int, str], list[datetime]] = {}
        self.caps = limits.Caps(
            self.settings.messaging_marketing_per_day, self.settings.messaging_marketing_per_week
        )

    def run_once(self) -> int:
        """One round: reconcile, claim a batch, send it; the number of messages sent or judged.

        0 means nothing was due: the caller may wait before the next round."""
        settled = self.reconcile(self.clock())
        claimed = self.claim(self.clock())
        if claimed:
            self.deliver(claimed)
        return len(claimed) + settled + self.held

    def claim(self, now: datetime) -> list[Claimed]:
        """Claim and commit a batch of due messages (see the module docstring); `held` counts the rest."""
        self.held = 0
        return self._claim(now)

    # -- claiming ------------------------------------------------------------------------------------

    def _claim(self, now: datetime) -> list[Claimed]:
        with session_scope(self.context.sessions) as session:
            serialise_member(session)  # SQLite: take the write lock before reading what is due
            rows = repo.due(session, now, self.settings.messaging_batch)
            if not rows:
                return []
            ids = [r.member_id for r in rows if r.member_id is not None]
            repo.lock_members(session, ids)
            members = repo.members(session, ids)
            stores = repo.stores(session, [r.store_id or _home(members, r.member_id) for r in rows])
            consultants = repo.primary_consultants(session, ids)
            self._openids = self._wechat_ids(session, rows)
            # Read under the members' locks, in this transaction: consents and caps as they are now.
            self._ledger = consent.ledgers(session, ids)
            self._sent = repo.sent_times_of(session, ids, now - limits.WEEK)
            out = []
            for row in rows:
                if row.member_id is None:  # a sign-in code to someone who is not a member yet
                    claimed = self._judge_phone(session, row, stores.get(row.store_id or 0), now)
                    out += [claimed] if claimed is not None else []
                    self.held += claimed is None
                    continue
                member = members[row.member_id]
                store = stores.get(row.store_id or member.home_store_id or 0)
                claimed = self._judge(session, row, member, store, consultants.get(member.id), now)
                if claimed is not None:
                    out.append(claimed)
                else:
                    self.held += 1
            return out

    def _judge(
        self,
        session: Session,
        row: OutboxMessage,
        member: Member,
        store: Store | None,
        consultant: int | None,
        now: datetime,
    ) -> Claimed | None:
        purpose = purpose_of(row.kind)
        if purpose.name in EXEMPT and row.expires_at is not None and row.expires_at <= now:
            self._close(session, row, "failed", "the code expired before it could be sent", now)
            return None
        never = channel_refusal(purpose, row.channel)  # whatever was queued: WeChat never carries marketing
        if never is not None:
            self._close(session, row, "suppressed", never, now)
            return None
        refused = consent.refusal(session, member, row.channel, row.kind, self._ledger)
        if refused is not None:
            self._close(session, row, "suppressed", refused, now)
            return None
        if purpose.name not in EXEMPT:
            later = self._later(session, row, store, now, purpose.purpose_class == "marketing")
            if later is not None:
                repo.take(session, row.id, {"due_at": later[0], "reason": later[1]})
                return None
        to = self._address(row.channel, member, consultant)
        if to is None:
            why = ": no WeChat binding" if row.channel == "wechat" else ""
            self._close(session, row, "failed", f"the member cannot be reached on {row.channel}{why}", now)
            return None
        message = self._message(session, row, member, store, to)
        values = {
            "status": "sending",
            "claim_owner": self.owner,
            "claim_expires_at": now + timedelta(seconds=self.settings.messaging_claim_seconds),
            "sent_at": now,
            "provider": self.adapters.by_channel[row.channel].name,
            "lang": row.lang,
            "template_version": row.template_version,
            "body": row.body,
            "dedup_key": message.key,
            "reason": None,
        }
        if not repo.take(session, row.id, values):
            return None  # another dispatcher took it first
        if purpose.purpose_class == "marketing":
            self._sent.setdefault((member.id, row.channel), []).append(now)
        return Claimed(row.id, row.channel, message)

    def _judge_phone(
        self, session: Session, row: OutboxMessage, store: Store | None, now: datetime
    ) -> Claimed | None:
        """A message to a phone number with no member: only a code the person asked for right now."""
        purpose = purpose_of(row.kind)
        if purpose.name not in EXEMPT or row.to_encrypted is None or row.channel != "sms":
            self._close(
                session, row, "failed", "only a one-time code may go to someone who is no member", now
            )
            return None
        if row.expires_at is not None and row.expires_at <= now:
            self._close(session, row, "failed", "the code expired before it could be sent", now)
            return None
        message = self._message(session, row, None, store, self.context.keys.decrypt(row.to_encrypted))
        values = {
            "status": "sending",
            "claim_owner": self.owner,
            "claim_expires_at": now + timedelta(seconds=self.settings.messaging_claim_seconds),
            "sent_at": now,
            "provider": self.adapters.by_channel[row.channel].name,
            "dedup_key": message.key,
            "reason": None,
        }
        return Claimed(row.id, row.channel, message) if repo.take(session, row.id, values) else None

    def _later(
        self, session: Session, row: OutboxMessage, store: Store | None, now: datetime, marketing: bool
    ) -> tuple[datetime, str] | None:
        """When the row may go instead of now (quiet hours; caps for marketing) and why; None: now."""
        if store is not None:
            until = limits.quiet_until(now, store.timezone, store.quiet_start, store.quiet_end)
            if until is not None:
                return until, f"quiet hours in {store.name} until {store.quiet_end}"
        if marketing:
            sent = self._sent.get((row.member_id or 0, row.channel), [])
            until = limits.capped_until(now, sent, self.caps)
            if until is not None:
                return until, "the member's marketing cap is reached"
        return None

    def _address(self, channel: str, member: Member, consultant: int | None) -> str | None:
        if channel in ("wecom", "push"):
            return str(consultant) if consultant is not None else None
        if channel == "sms" and member.phone_encrypted is not None:
            return self.context.keys.decrypt(member.phone_encrypted)
        if channel == "wechat" and member.id in self._openids:
            return self.context.keys.decrypt(self._openids[member.id])
        return None

    def _wechat_ids(self, session: Session, rows: list[OutboxMessage]) -> dict[int, bytes]:
        """The openids (for the configured official account) of the members of WeChat rows."""
        wanted = [r.member_id for r in rows if r.channel == "wechat" and r.member_id is not None]
        return repo.bound_openids(session, wanted, self.settings.wechat_app_id) if wanted else {}

    def _message(
        self, session: Session, row: OutboxMessage, member: Member | None, store: Store | None, to: str
    ) -> Outgoing:
        """The provider's view of a row; an older row (no template yet) gets the member's template now."""
        purpose = purpose_of(row.kind)
        secrets = open_secrets(self.context.keys, row.secret_encrypted)
        member_id = member.id if member is not None else None
        if row.variables is None:  # written as finished text before templates existed
            text = (
                templates.render(purpose, row.body, {}, "en", secrets=secrets)
                if "{" in row.body
                else row.body
            )
            return Outgoing(
                row.dedup_key or f"outbox:{row.id}", member_id, row.channel, purpose.name, to, text, secrets
            )
        values = (common_values(member, store) if member is not None else {}) | dict(row.variables)
        currency = store.currency if store is not None else ""
        if row.template_version is None and member is not None:
            row.lang = member_lang(member, self.settings.messaging_default_lang)
            template = templates.current(session, purpose.name, row.lang)
            row.template_version = template.version
            row.body = templates.render(purpose, template.body, values, row.lang, currency)
            self._templates[(purpose.name, row.lang, template.version)] = template.body
        lang = row.lang or "zh"
        version = (purpose.name, lang, row.template_version or 1)
        body = self._templates.get(version)
        if body is None:  # a saved version never changes: read once per process
            body = self._templates[version] = templates.version(session, *version).body
        text = templates.render(purpose, body, values, lang, currency, secrets)
        params = {
            name: secrets.get(name) or templates.shown(values[name], purpose.allowed[name], lang, currency)
            for name in templates.fields(body)
        }
        return Outgoing(
            row.dedup_key or f"outbox:{row.id}", member_id, row.channel, purpose.name, to, text, params, lang
        )

    def _close(self, session: Session, row: OutboxMessage, status: str, reason: str, now: datetime) -> None:
        repo.take(session, row.id, {"status": status, "reason": reason, "finished_at": now})

    # -- sending -------------------------------------------------------------------------------------

    def deliver(self, claimed: list[Claimed]) -> None:
        """Send each claimed message, then record the outcomes under the claim.

        Calls to an HTTP provider overlap (`messaging_send_threads`): each waits on the network, not on
        us. One member's messages on one channel go one after another, oldest row first, so that when a
        provider without our keys (Twilio) is asked after a crash, messages with the same text are matched
        to rows in the order they went out. The in-database channels (WeCom tasks, app push) and the
        console file go one at a time."""
        remote = [c for c in claimed if getattr(self.adapters.by_channel[c.channel], "remote", False)]
        local = [c for c in claimed if c not in remote]
        results = [(item, self._send(item)) for item in local]
        groups: dict[tuple[int | None, str], list[Claimed]] = {}
        for item in sorted(remote, key=lambda c: c.row_id):
            groups.setdefault((item.message.member_id, item.channel), []).append(item)
        for sent in self._pool().map(self._send_in_turn, groups.values()):
            results += sent
        self.record(results)

    def _send_in_turn(self, items: list[Claimed]) -> list[tuple[Claimed, SendResult]]:
        return [(item, self._send(item)) for item in items]

    def _send(self, item: Claimed) -> SendResult:
        adapter = self.adapters.by_channel[item.channel]
        self.adapters.take(adapter)
        try:
            return adapter.send(item.message)
        except Exception as exc:  # an adapter's bug must not lose the claim's bookkeeping
            logger.exception("adapter %s failed", adapter.name)
            return SendResult("unknown", detail=f"the adapter failed: {type(exc).__name__}")

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            threads = self.settings.messaging_send_threads
            self._executor = ThreadPoolExecutor(threads, thread_name_prefix="aisle-send")
        return self._executor

    def record(self, results: list[tuple[Claimed, SendResult]]) -> None:
        """Store each send's outcome (see the state machine in docs/messaging.md)."""
        now = self.clock()
        with session_scope(self.context.sessions) as session:
            for item, result in results:
                repo.finish(
                    session, item.row_id, self.owner, self._outcome(session, item.row_id, result, now)
                )

    def _outcome(self, session: Session, row_id: int, result: SendResult, now: datetime) -> dict[str, object]:
        base: dict[str, object] = {"claim_expires_at": None, "provider_id": result.provider_id}
        if result.outcome == "accepted":
            return base | {"status": "sent", "reason": None}
        if result.outcome == "failed":
            return base | {"status": "failed", "reason": result.detail, "finished_at": now}
        if result.outcome == "unknown":
            check = now + timedelta(seconds=self.settings.messaging_claim_seconds)
            return base | {
                "status": "unknown",
                "reason": result.detail,
                "due_at": check,
                "claim_expires_at": now,
            }
        row = session.get(OutboxMessage, row_id)
        tries = (row.tries if row is not None else 0) + 1
        if tries >= self.settings.messaging_max_tries:
            return base | {
                "status": "failed",
                "tries": tries,
                "reason": f"gave up after {tries} tries: {result.detail}",
                "finished_at": now,
            }
        wait = self.settings.messaging_backoff_seconds * 2 ** (tries - 1)
        return base | {
            "status": "queued",
            "tries": tries,
            "sent_at": None,
            "due_at": now + timedelta(seconds=wait),
            "reason": f"try {tries} failed, next in {wait:.0f} s: {result.detail}",
        }

    # -- reconciling ---------------------------------------------------------------------------------

    def reconcile(self, now: datetime) -> int:
        """Check unknown messages with their provider; the number whose fate was settled."""
        with session_scope(self.context.sessions) as session:
            repo.expire_claims(session, now)
        settled = 0
        with session_scope(self.context.sessions) as session:
            rows = repo.unknown(session, now, self.settings.messaging_batch)
            if not rows:
                return 0
            ids = [r.member_id for r in rows if r.member_id is not None]
            members = repo.members(session, ids)
            stores = repo.stores(session, [r.store_id for r in rows])
            consultants = repo.primary_consultants(session, ids)
            self._openids = self._wechat_ids(session, rows)
            checks = []
            for row in rows:
                member = members.get(row.member_id) if row.member_id is not None else None
                if member is None:
                    to = self.context.keys.decrypt(row.to_encrypted) if row.to_encrypted else ""
                else:
                    to = self._address(row.channel, member, consultants.get(member.id)) or ""
                checks.append((row, self._message(session, row, member, stores.get(row.store_id or 0), to)))
        for row, message in checks:
            adapter = self.adapters.by_channel[row.channel]
            with session_scope(self.context.sessions) as session:
                taken = repo.provider_ids_to(session, row)
            known = adapter.query(message, row.provider_id, row.sent_at, taken)
            with session_scope(self.context.sessions) as session:
                settled += self._settle(session, row, known, now)
        return settled

    def _settle(self, session: Session, row: OutboxMessage, found: Known | Match, now: datetime) -> int:
        known: str = found if isinstance(found, str) else found.status
        if known in ("sent", "delivered"):
            done: dict[str, object] = {"finished_at": now} if known == "delivered" else {}
            if isinstance(found, Match):
                if found.provider_id in repo.provider_ids_to(session, row):
                    known = "unknown"  # another row settled on it meanwhile: look again later
                else:
                    done["provider_id"] = found.provider_id
        if known in ("sent", "delivered"):
            return int(repo.take(session, row.id, {"status": known, "reason": None} | done, status="unknown"))
        if known == "failed":
            return int(
                repo.take(
                    session,
                    row.id,
                    {"status": "failed", "reason": "the provider reports it failed", "finished_at": now},
                    status="unknown",
                )
            )
        grace = timedelta(seconds=self.settings.messaging_reconcile_grace_seconds)
        expired = row.claim_expires_at or row.sent_at or now
        if known == "not_found" and expired + grace <= now:
            values = {
                "status": "queued",
                "due_at": now,
                "sent_at": None,
                "reason": "the provider never received it: sent again with the same key",
            }
            return int(repo.take(session, row.id, values, status="unknown"))
        repo.take(session, row.id, {"due_at": now + repo.RETRY_CHECK}, status="unknown")
        return 0


def _home(members: dict[int, Member], member_id: int | None) -> int | None:
    return members[member_id].home_store_id if member_id is not None else None

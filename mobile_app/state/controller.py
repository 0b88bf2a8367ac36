"""Controller: every user action. Each returns at once; network work runs off the UI thread (see base.py)
and results land in `state`. Failures become `state.error`, already translated. Writes go through the
outbox so they survive having no network and reach the server in order (see outbox.py and work.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from mobile_app.api.client import AisleClient, normalise_base_url
from mobile_app.api.errors import ApiError, Unreachable
from mobile_app.api.floor import FloorListener
from mobile_app.api.wire import ArrivalCard, Profile
from mobile_app.state.i18n import LANGUAGES, tr
from mobile_app.state.store import FEED_SIZE
from mobile_app.state.work import WorkActions

logger = logging.getLogger(__name__)


class Controller(WorkActions):
    """Every user action; built as Controller(state, client_factory, prefs, outbox, cache, post, bg)."""

    # Signing in and out
    def sign_in(self, server_url: str, username: str, password: str) -> None:
        """Sign in; then the floor, the assigned clients' profiles for offline use, and the outbox."""
        if not server_url.strip() or not username.strip() or not password:
            self.set(error=tr("error.missing_sign_in", self.state.lang))
            return
        url, login = normalise_base_url(server_url), username.strip()
        self.set(error=None)
        self.work(lambda: self._sign_in(url, login, password), signing_in=True)

    def _sign_in(self, url: str, login: str, password: str) -> None:
        client = self.client_factory(url, None)
        signed = client.sign_in(login, password)
        staff = signed.staff
        if staff.store_id is not None:
            try:
                staff = replace(staff, store_name=client.store_name(staff.store_id))
            except ApiError as exc:  # the name is a nicety; signing in has worked
                logger.info("no name for store %s: %s", staff.store_id, exc)
        self._stop_listener()
        self.client, self.owner = client, f"{url}|{staff.username}"
        self.prefs.server_url, self.prefs.username = url, login
        lang = self.prefs.lang or (staff.locale if staff.locale in LANGUAGES else self.state.lang)
        pending = self.outbox.count(self.owner)
        self.set(
            server_url=url, username=login, staff=staff, lang=lang, error=None, pending_writes=pending,
            feed=[], member=None, chat=[], chat_session_id=None, tasks=None,
        )  # fmt: skip
        self._start_listener(client, url, staff.username)
        self._cache_clients(client, staff.id)
        self.flush(announce=True)

    def _cache_clients(self, client: AisleClient, staff_id: int) -> None:
        """Keep the consultant's assigned clients' profiles on the phone (best effort)."""
        try:
            rows = client.staff_clients(staff_id)
        except ApiError as exc:  # a clerk without clients, or a server without the endpoint
            logger.info("no clients to cache for staff %s: %s", staff_id, exc)
            return
        for row in rows:
            try:
                self.cache.put(self.owner, client.profile_json(row.member_id, self.state.lang))
            except ApiError as exc:
                logger.info("cannot cache member %s: %s", row.member_id, exc)

    def sign_out(self) -> None:
        """Stop the floor and forget the session (the outbox and cache stay for the next sign-in)."""
        self.post(lambda: self.signed_out(tr("notice.signed_out", self.state.lang)))

    def set_language(self, lang: str) -> None:
        """Switch the language; the member's profile and suggestions are fetched again in it."""
        if lang not in LANGUAGES:
            self.set(error=tr("error.bad_choice", self.state.lang, value=lang))
            return
        self.prefs.lang = lang
        self.set(lang=lang)
        member = self.state.member
        if member is not None and self.client is not None and not self.state.member_from_cache:
            self.work(lambda: self._open(member.id))

    # The live floor
    def _start_listener(self, client: AisleClient, url: str, username: str) -> None:
        since = self.prefs.last_seq(url, username)
        holder: list[FloorListener] = []

        def on_event(frame: dict[str, Any]) -> None:
            self.post(lambda: self._on_event(holder[0], frame))

        def on_status(status: str) -> None:
            self.post(lambda: self._on_status(holder[0], status))

        listener = self.listener_factory(url, client.token or "", since, on_event, on_status)
        holder.append(listener)
        self.listener = listener
        listener.start()

    def _stop_listener(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()

    def _on_event(self, listener: FloorListener, frame: dict[str, Any]) -> None:
        if listener is not self.listener or self.state.staff is None:
            return  # a late frame from a listener already stopped
        seq = int(frame.get("seq") or 0)
        self.prefs.set_last_seq(self.state.server_url, self.state.username, seq)
        if frame.get("event_type") != "member.arrived":
            self.state.update(last_seq=seq)
            return
        card = ArrivalCard.from_json(frame)
        feed = [card] + [c for c in self.state.feed if c.event_id != card.event_id][: FEED_SIZE - 1]
        # Arrivals missed while offline fill the feed but do not ring: they are old news.
        fresh = card if not frame.get("replayed") else self.state.new_arrival
        self.state.update(feed=feed, last_seq=seq, new_arrival=fresh)

    def _on_status(self, listener: FloorListener, status: str) -> None:
        if listener is not self.listener:
            return
        if status == "unauthorized":
            self.signed_out(tr("error.session_expired", self.state.lang))
        elif status == "refused":
            detail = listener.close_reason or str(listener.close_code)
            self.state.update(
                connection="offline", error=tr("error.floor_refused", self.state.lang, detail=detail)
            )
        else:
            self.state.update(connection=status)
            if status == "online":
                self.run_in_background(lambda: self.flush(announce=True))

    # The member
    def identify(self, phone: str | None = None, card: str | None = None, qr: str | None = None) -> None:
        """Identify a member (one of phone, card, QR): tells the floor they arrived, then opens them."""
        given = {k: v.strip() for k, v in {"phone": phone, "card": card, "qr": qr}.items() if v and v.strip()}
        if len(given) != 1:
            self.set(error=tr("error.no_identifier", self.state.lang))
            return
        self.set(error=None)
        self.work(lambda: self._identify(given))

    def _identify(self, given: dict[str, str]) -> None:
        client = self.need_client()
        staff = self.state.staff
        try:
            if staff is not None and staff.store_id is not None:
                member_id = client.arrive(staff.store_id, source="clerk", **given).member_id
            else:  # chain-wide staff stand on no floor: a plain look-up
                member_id = client.lookup(**given).id
        except Unreachable:
            cached = self.cache.find_card(self.owner, given["card"]) if "card" in given else None
            if cached is None:
                raise
            member_id = cached
        self._open(member_id)
        member = self.state.member
        if member is not None and member.id == member_id:
            self.set(identified=self.state.identified + 1)

    def open_member(self, member_id: int) -> None:
        """Show a member: the profile and suggestions (the saved profile when offline)."""
        self.set(error=None)
        self.work(lambda: self._open(member_id))

    def _open(self, member_id: int) -> None:
        client = self.need_client()
        try:
            body = client.profile_json(member_id, self.state.lang)
        except Unreachable:
            saved = self.cache.get(self.owner, member_id)
            if saved is None:
                self.set(error=tr("error.not_cached", self.state.lang))
                return
            body, saved_at = saved
            when = saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
            self._show(Profile.from_json(body), from_cache=True)
            self.set(error=tr("notice.offline_profile", self.state.lang, when=when))
            return
        self.cache.put(self.owner, body)
        self._show(Profile.from_json(body), from_cache=False)
        self._load_recommendations(member_id, self.state.lang)

    def _show(self, profile: Profile, *, from_cache: bool) -> None:
        changes: dict[str, Any] = {"member": profile, "member_from_cache": from_cache}
        if self._chat_member != profile.id:
            self._chat_member = None
            changes.update(chat=[], chat_session_id=None)
        current = self.state.member
        if current is None or current.id != profile.id:
            changes.update(recommendations=[], talking_points=[], offer=None, offer_issued=None)
        self.set(**changes)

    def _load_recommendations(self, member_id: int, lang: str) -> None:
        recs = self.need_client().recommendations(member_id, lang=lang)
        self.set(recommendations=recs.suggestions, talking_points=recs.talking_points, offer=recs.offer)

    def ask(self, member_id: int, text: str) -> None:
        """One chat turn about the member ("a gift under 30", then "cheaper"); the session is kept."""
        if not text.strip():
            self.set(error=tr("error.empty_question", self.state.lang))
            return
        self.set(error=None)
        self.work(lambda: self._ask(member_id, text.strip()))

    def _ask(self, member_id: int, text: str) -> None:
        same = self._chat_member == member_id
        session_id = self.state.chat_session_id if same else None
        turn = self.need_client().chat(member_id, text, session_id=session_id, lang=self.state.lang)
        self._chat_member = member_id
        self.post(
            lambda: self.state.update(
                chat=(self.state.chat if same else []) + [turn], chat_session_id=turn.session_id
            )
        )

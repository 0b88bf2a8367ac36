"""The controller's plumbing: threads, the busy flag, failures as banners, and the outbox replay.

`post(fn)` runs fn on the UI thread (Kivy: Clock.schedule_once) and is the only way results reach the
state; `run_in_background(fn)` runs fn on a worker (tests may run it inline).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mobile_app.api.client import AisleClient
from mobile_app.api.errors import ApiError, Unauthorized, Unreachable
from mobile_app.api.floor import FloorListener
from mobile_app.state.cache import ProfileCache
from mobile_app.state.i18n import LANGUAGES, plural, tr
from mobile_app.state.messages import message_for
from mobile_app.state.outbox import Outbox, ReplayResult
from mobile_app.state.prefs import Prefs
from mobile_app.state.store import AppState

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str, str | None], AisleClient]
ListenerFactory = Callable[..., FloorListener]
# The UI helper passes Kivy-backed versions; both take a function of no arguments (its result is ignored).
Post = Callable[[Callable[[], object]], None]
Background = Callable[[Callable[[], object]], None]


class ControllerBase:
    """What every action needs: the state, the client, the stores on disk, and the two threads."""

    def __init__(
        self,
        state: AppState,
        client_factory: ClientFactory,
        prefs: Prefs,
        outbox: Outbox,
        cache: ProfileCache,
        post: Post,
        run_in_background: Background,
        listener_factory: ListenerFactory = FloorListener,
    ) -> None:
        self.state = state
        self.client_factory = client_factory
        self.prefs = prefs
        self.outbox = outbox
        self.cache = cache
        self.post = post
        self.run_in_background = run_in_background
        self.listener_factory = listener_factory
        self.client: AisleClient | None = None
        self.listener: FloorListener | None = None
        self.owner = ""  # server|username: whose outbox and cache
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._chat_member: int | None = None
        self._queued_banner: str | None = None
        lang = prefs.lang if prefs.lang in LANGUAGES else state.lang
        state.update(server_url=prefs.server_url, username=prefs.username, lang=lang)

    def set(self, **fields: Any) -> None:
        """Update the state on the UI thread."""
        self.post(lambda: self.state.update(**fields))

    def fail(self, exc: BaseException, *, signing_in: bool = False) -> None:
        """Show `exc` as the banner; a refused token (not while signing in) signs out."""
        if not isinstance(exc, Unreachable | ApiError):
            logger.error("unexpected failure", exc_info=exc)
        text = message_for(exc, self.state.lang, signing_in=signing_in)
        if isinstance(exc, Unauthorized) and not signing_in:
            self.post(lambda: self.signed_out(text))
        else:
            self.set(error=text)

    def work(self, job: Callable[[], object], *, busy: bool = True, signing_in: bool = False) -> None:
        """Run `job` in the background; a failure becomes the banner; `busy` shows while it runs."""

        def run() -> None:
            try:
                job()
            except Exception as exc:
                self.fail(exc, signing_in=signing_in)
            finally:
                if busy:
                    self._count_busy(-1)

        if busy:
            self._count_busy(+1)
        self.run_in_background(run)

    def _count_busy(self, step: int) -> None:
        with self._busy_lock:
            self._busy += step
            busy = self._busy > 0
        self.set(busy=busy)

    def need_client(self) -> AisleClient:
        """The signed-in client; Unauthorized when signed out (the banner says: sign in again)."""
        if self.client is None:
            raise Unauthorized("not signed in")
        return self.client

    def clear_error(self) -> None:
        """Hide the banner."""
        self.set(error=None)

    def signed_out(self, message: str | None) -> None:
        """Forget the session (UI thread): the floor stops, the screens empty, `message` shows."""
        listener, self.listener = self.listener, None
        if listener is not None:  # joining its thread may take a moment: never on the UI thread
            self.run_in_background(lambda: listener.stop(leave=True))
        self.client = None
        self._chat_member = None
        self.state.update(
            staff=None, connection="offline", feed=[], new_arrival=None, member=None, recommendations=[],
            talking_points=[], offer=None, offer_issued=None, chat=[], chat_session_id=None, tasks=None,
            consultants=[], clients_by_consultant={}, pending_writes=0, error=message,
        )  # fmt: skip

    # The outbox
    def queue(self, kind: str, payload: dict[str, Any]) -> None:
        """Put a write in the outbox, then try to send everything waiting."""
        if self.client is None or not self.owner:
            self.fail(Unauthorized("not signed in"))
            return
        self.outbox.add(self.owner, kind, payload)
        self.set(pending_writes=self.outbox.count(self.owner))
        self.work(lambda: self.flush(announce=False), busy=False)

    def replay_outbox(self) -> None:
        """Send the writes saved while offline now."""
        self.work(lambda: self.flush(announce=True), busy=False)

    def flush(self, *, announce: bool) -> ReplayResult | None:
        """Replay the outbox (background thread) and report what was dropped, delivered or left."""
        client, owner = self.client, self.owner
        if client is None or not owner:
            return None
        result = self.outbox.replay(owner, client)
        lang = self.state.lang
        for item, answer in result.delivered:
            if item.kind == "offer" and isinstance(answer, dict):
                self._offer_issued(int(item.payload["member_id"]), answer)
        for item, exc in result.dropped:
            what = tr(f"what.{item.kind}", lang)
            self.set(error=tr("error.write_dropped", lang, what=what, detail=exc.message))
        self.set(pending_writes=result.left)
        if isinstance(result.stopped_by, Unauthorized):
            self.fail(result.stopped_by)
        elif result.stopped_by is not None:
            self._queued_banner = tr("notice.queued", lang, n=result.left)
            self.set(error=self._queued_banner)
        elif result.delivered and not result.dropped:
            if announce:
                self.set(error=plural("notice.sent_queued", len(result.delivered), lang))
            else:
                self.post(self._clear_queued_banner)
        return result

    def _clear_queued_banner(self) -> None:
        # Everything went: a "waiting to send" banner is out of date (any other banner stays).
        if self._queued_banner is not None and self.state.error == self._queued_banner:
            self.state.update(error=None)

    def _offer_issued(self, member_id: int, offer: dict[str, Any]) -> None:
        def show() -> None:
            member = self.state.member
            if member is not None and member.id == member_id:
                self.state.update(offer_issued=offer)

        self.post(show)

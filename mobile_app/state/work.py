"""The controller's work actions: writes kept in the outbox, the task list, and the manager's assignments."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mobile_app.api.wire import ClientRow, StaffSummary, Task
from mobile_app.state.base import ControllerBase
from mobile_app.state.i18n import tr

# "shown" is recorded by the server when it serves a suggestion; the phone sends the other three.
FEEDBACK_ACTIONS = ("accepted", "declined", "sold")
CHANNELS = ("call", "wechat", "face_to_face", "sms", "email")
POSITIONS = ("primary", "secondary")


class WorkActions(ControllerBase):
    """Feedback, offers, contact notes, tasks (outbox-backed when they write) and consultants."""

    def _bad_choice(self, value: str) -> None:
        self.set(error=tr("error.bad_choice", self.state.lang, value=value))

    def feedback(self, recommendation_id: int, action: str) -> None:
        """Record how the member took a suggestion: accepted, declined or sold (queued offline)."""
        if action == "shown":
            return  # the server recorded it when it sent the suggestion
        if action not in FEEDBACK_ACTIONS:
            self._bad_choice(action)
            return
        self.queue("feedback", {"recommendation_id": recommendation_id, "action": action})

    def issue_offer(self, member_id: int) -> None:
        """Issue the member's reactivation offer (queued offline); `state.offer_issued` shows it when sent."""
        self.queue("offer", {"member_id": member_id})

    def log_interaction(
        self, member_id: int, channel: str, note: str = "", follow_up_on: date | None = None
    ) -> None:
        """Log a call, WeChat message or face-to-face talk (queued offline, stamped with when it was made)."""
        if channel not in CHANNELS:
            self._bad_choice(channel)
            return
        payload = {
            "member_id": member_id,
            "channel": channel,
            "note": note.strip(),
            "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        self.queue("interaction", payload)

    def load_tasks(self) -> None:
        """Fetch the signed-in staff member's task list into `state.tasks`."""

        def job() -> None:
            self.set(tasks=self.need_client().tasks())

        self.work(job)

    def complete_task(self, task: Task) -> None:
        """Mark a task done: it leaves the list at once and the server hears of it (queued offline)."""
        tasks = self.state.tasks
        if tasks is not None:
            self.set(tasks=tasks.without(task.ref))
        self.queue("task_done", {"ref": task.ref})

    def load_consultants(self, store_id: int | None = None) -> None:
        """Manager: the store's consultants with their counts, and each one's clients."""
        self.work(lambda: self._load_consultants(store_id))

    def _load_consultants(self, store_id: int | None) -> None:
        client = self.need_client()
        staff = self.state.staff
        store = store_id if store_id is not None else staff.store_id if staff is not None else None
        if store is None:
            self.set(error=tr("error.no_store", self.state.lang))
            return
        consultants: list[StaffSummary] = client.store_consultants(store)
        clients: dict[int, list[ClientRow]] = {c.id: client.staff_clients(c.id) for c in consultants}
        self.set(consultants=consultants, clients_by_consultant=clients)

    def assign(self, member_id: int, staff_id: int, position: str = "primary") -> None:
        """Manager: make `staff_id` the member's primary or secondary consultant, then reload the lists."""
        if position not in POSITIONS:
            self._bad_choice(position)
            return

        def job() -> None:
            self.need_client().assign(member_id, position, staff_id)
            self._load_consultants(None)

        self.work(job)

    def unassign(self, member_id: int, position: str) -> None:
        """Manager: remove the member's primary or secondary consultant, then reload the lists."""
        if position not in POSITIONS:
            self._bad_choice(position)
            return

        def job() -> None:
            self.need_client().unassign(member_id, position)
            self._load_consultants(None)

        self.work(job)

"""My work: VIP clients, members gone quiet to contact today, heat alerts and follow-ups."""

from __future__ import annotations

from typing import Any, ClassVar

from mobile_app.api.wire import Task, TaskList
from mobile_app.screens.base import AisleScreen
from mobile_app.state import phrases
from mobile_app.widgets import theme
from mobile_app.widgets.basics import MutedLabel, SectionTitle
from mobile_app.widgets.cards import MemberRow, fill

# What to do today first (quiet members to call, heat alerts, follow-ups due), then the client book.
GROUPS = ("dormant", "alerts", "follow_ups", "my_clients")
# Being someone's client is not a job to tick off; the others are.
FINISHABLE = frozenset({"dormant", "alerts", "follow_ups"})


class TasksScreen(AisleScreen):
    """The four lists; a row opens the member, "Done" ticks a task off."""

    kv_file: ClassVar[str] = "tasks.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"tasks"})

    def on_pre_enter(self, *args: Any) -> None:
        """Fetch the lists afresh each time the tab opens."""
        super().on_pre_enter(*args)
        self.controller.load_tasks()

    def refresh(self) -> None:
        """Redraw the four groups."""
        tasks: TaskList | None = self.state.tasks
        lang = self.lang
        rows: list[Any] = []
        if tasks is None:
            rows.append(MutedLabel(text=self.t("tasks.loading", lang), halign="center"))
        else:
            for group in GROUPS:
                items: list[Task] = getattr(tasks, group)
                rows.append(SectionTitle(text=f"{self.t(f'tasks.{group}', lang)}  ({len(items)})"))
                if not items:
                    rows.append(MutedLabel(text=self.t("tasks.none", lang)))
                rows.extend(self._row(task, group, lang) for task in items)
        fill(self.ids.groups, rows)

    def _row(self, task: Task, group: str, lang: str) -> MemberRow:
        due = self.t("tasks.due", lang, day=theme.short_date(task.due_on)) if task.due_on else ""
        return MemberRow(
            member_id=task.member_id,
            name=task.member_name,
            tier=task.tier,
            tier_label=self.tier_label(task.tier, lang),
            reason=phrases.task_reason(task, lang),
            due=due,
            done_text=self.t("tasks.done", lang) if group in FINISHABLE else "",
            task=task,
            opener=self.open_member,
            finisher=self.controller.complete_task,
        )

    def rows(self) -> list[MemberRow]:
        """The task rows on screen, top to bottom."""
        return [w for w in reversed(self.ids.groups.children) if isinstance(w, MemberRow)]

    def open_member(self, member_id: int) -> None:
        """Open the member of a task."""
        self.controller.open_member(member_id)
        self.services.go("member")

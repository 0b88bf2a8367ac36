"""Tasks: the VIP consultant's clients, quiet members, alerts and follow-ups, as the server lists them."""

from __future__ import annotations

from pathlib import Path

from mobile_app.screens.tasks import GROUPS, TasksScreen
from tests.mobile_app.screens.conftest import Phone, english_words

WORDED_LIKE_THE_SERVER = {"client", "dormant", "follow_up", "heat_alert", "points_expiring"}


def test_the_consultants_lists_match_the_server_and_open_members(phone: Phone, shots: Path) -> None:
    server = phone.server
    phone.sign_in(*server.vip)
    phone.set_lang("en")
    phone.root.tab("tasks")
    screen: TasksScreen = phone.screen("tasks")  # type: ignore[assignment]
    phone.wait(lambda: phone.state.tasks is not None and not phone.state.busy, "the task list")
    phone.settle()
    listed = phone.get("tasks", server.vip)
    expected = [(t["member_id"], t["reason"]) for group in GROUPS for t in listed[group]]
    assert expected, "the demo VIP consultant has clients"
    rows = screen.rows()
    assert [r.member_id for r in rows] == [member for member, _ in expected]
    # The phone words each reason from its figures, as the server's English sentence reads.
    for row, (_, reason) in zip(rows, expected, strict=True):
        if row.task.kind in WORDED_LIKE_THE_SERVER:
            assert row.reason == reason
        else:  # an alert the phone words its own way (tier change, benefit expiring)
            assert row.reason
    assert len(listed["my_clients"]) > 0
    titles = [w.text for w in screen.ids.groups.children if w.__class__.__name__ == "SectionTitle"]
    assert f"My clients  ({len(listed['my_clients'])})" in titles
    # Being a client is not a task to tick off; a follow-up, an alert or a quiet member is.
    assert all(r.done_text == "" for r in rows[len(rows) - len(listed["my_clients"]) :])
    assert all(r.done_text == "Done" for r in rows[: len(rows) - len(listed["my_clients"])])
    phone.save_png(shots / "tasks.png")
    first = rows[0]
    first.dispatch("on_release")
    phone.wait(lambda: phone.current() == "member", "the member screen after the tap")
    phone.wait(
        lambda: phone.state.member is not None and phone.state.member.id == first.member_id,
        "the tapped task's member",
    )


def test_done_takes_the_task_off_the_list_here_and_on_the_server(phone: Phone) -> None:
    server = phone.server
    phone.sign_in(*server.vip)
    phone.root.tab("tasks")
    screen: TasksScreen = phone.screen("tasks")  # type: ignore[assignment]
    phone.wait(lambda: phone.state.tasks is not None and not phone.state.busy, "the task list")
    phone.settle()
    finishable = [r for r in screen.rows() if r.done_text]
    assert finishable, "the demo consultant has a follow-up, an alert or a quiet client"
    row = finishable[0]
    ref = row.task.ref
    row.finish()
    phone.wait(lambda: phone.state.pending_writes == 0 and not phone.state.busy, "the task marked done")
    phone.settle()
    assert ref not in [r.task.ref for r in screen.rows()]
    listed = phone.get("tasks", server.vip)
    assert ref not in [t["ref"] for group in GROUPS for t in listed[group]]


def test_the_reasons_read_in_chinese(phone: Phone, shots: Path) -> None:
    server = phone.server
    phone.sign_in(*server.vip)
    phone.set_lang("zh")
    try:
        phone.root.tab("tasks")
        screen: TasksScreen = phone.screen("tasks")  # type: ignore[assignment]
        phone.wait(lambda: phone.state.tasks is not None and not phone.state.busy, "the task list in Chinese")
        phone.settle()
        listed = phone.get("tasks", server.vip)
        rows = {r.task.ref: r for r in screen.rows()}
        for t in listed["dormant"]:
            contact = t["days_since_contact"]
            last = "没有联系记录" if contact is None else f"上次联系在 {contact} 天前"
            assert rows[t["ref"]].reason == f"已 {t['days_since_last_purchase']} 天未购买；{last}"
        for t in listed["my_clients"]:
            days = t["days_since_last_purchase"]
            position = {"primary": "主要", "secondary": "次要"}[t["position"]]
            bought = (
                "尚无购买"
                if days is None
                else (f"已沉睡，{days} 天未购买" if t["dormant"] else f"上次购买在 {days} 天前")
            )
            assert rows[t["ref"]].reason == f"{position}客户；{bought}"
        for t in listed["follow_ups"]:
            reason = rows[t["ref"]].reason
            assert reason.startswith(f"跟进 {t['contact_on']} 的") and reason.endswith("）")
        assert listed["my_clients"] and listed["follow_ups"], "the demo VIP consultant has both"
        for ref, row in rows.items():
            note = row.task.note or ""
            assert english_words(row.reason.replace(note, "")) == [], (ref, row.reason)
            assert english_words(row.tier_label) == []
        phone.save_png(shots / "tasks_reasons_zh.png")
    finally:
        phone.set_lang("en")

"""The manager's screen: consultants with their clients and tasks; assigning a member's consultants."""

from __future__ import annotations

from pathlib import Path

from mobile_app.screens.manager import ManagerScreen
from tests.mobile_app.screens.conftest import Phone


def _consultants(phone: Phone, member_id: int) -> dict[str, int]:
    got = phone.get(f"members/{member_id}/consultants", phone.server.manager)
    rows = got["items"] if isinstance(got, dict) else got
    return {c["position"]: c["staff_id"] for c in rows}


def _wait_consultant(phone: Phone, member_id: int, position: str, staff_id: int | None) -> None:
    """Wait until the server has `staff_id` (None: nobody) as the member's consultant in `position`."""
    phone.wait(
        lambda: _consultants(phone, member_id).get(position) == staff_id, f"{position} consultant {staff_id}"
    )


def counted(clients: int, tasks: int) -> str:
    """A consultant's counts as an English reader expects them: "1 client · 2 open tasks"."""
    return f"{clients} client{'' if clients == 1 else 's'} · {tasks} open task{'' if tasks == 1 else 's'}"


def test_consultants_counts_and_clients(phone: Phone, shots: Path) -> None:
    server = phone.server
    phone.sign_in(*server.manager)
    phone.set_lang("en")
    assert phone.root.is_manager
    phone.state.update(member=None)
    phone.root.tab("manager")
    screen: ManagerScreen = phone.screen("manager")  # type: ignore[assignment]
    phone.wait(lambda: bool(phone.state.consultants) and not phone.state.busy, "the consultants listed")
    phone.settle()
    listed = phone.get(f"stores/{server.store_id}/consultants", server.manager)
    listed = listed["items"] if isinstance(listed, dict) else listed
    rows = screen.consultant_rows()
    assert [r.name for r in rows] == [c["name"] if "name" in c else c["display_name"] for c in listed]
    for row, consultant in zip(rows, listed, strict=True):
        assert row.counts == counted(consultant["client_count"], consultant["open_task_count"])
        assert row.primary_text == ""  # no member open: nothing to assign
    assert screen.target_text.startswith("Open a member")
    vip = next(r for r in rows if r.name and phone.state.clients_by_consultant.get(r.staff_id))
    vip.choose()
    phone.settle()
    clients = phone.state.clients_by_consultant[vip.staff_id]
    shown = [w for w in screen.ids.consultants.children if w.__class__.__name__ == "MemberRow"]
    assert sorted(w.member_id for w in shown) == sorted(c.member_id for c in clients)
    phone.save_png(shots / "manager.png")


def test_assign_and_remove_a_secondary_consultant(phone: Phone, shots: Path) -> None:
    server = phone.server
    phone.sign_in(*server.manager)
    member = server.featured_member_id
    phone.open_member(member)
    assert phone.screen("member").is_manager
    phone.root.go("manager")
    screen: ManagerScreen = phone.screen("manager")  # type: ignore[assignment]
    phone.wait(lambda: bool(screen.consultant_rows()) and not phone.state.busy, "the consultant rows")
    assert "王芳" in screen.target_text
    before = _consultants(phone, member)
    target = next(r for r in screen.consultant_rows() if r.staff_id != before.get("primary"))
    target.assign("secondary")
    phone.wait(
        lambda: _consultants(phone, member).get("secondary") == target.staff_id,
        "the secondary consultant saved",
    )
    # The screen fetches the member again: the new secondary consultant shows on the target line.
    name = next(r.name for r in screen.consultant_rows() if r.staff_id == target.staff_id)
    phone.wait(
        lambda: screen.has_secondary and f"Secondary consultant: {name}" in screen.target_text,
        "the secondary consultant on the target line",
    )
    phone.save_png(shots / "manager_assign.png")
    screen.unassign("secondary")
    phone.wait(lambda: "secondary" not in _consultants(phone, member), "the secondary consultant removed")
    phone.wait(lambda: not screen.has_secondary, "the target line without a secondary consultant")
    assert _consultants(phone, member).get("primary") == before.get("primary")


def test_a_member_without_consultants_and_a_consultant_with_one_client(phone: Phone, shots: Path) -> None:
    server = phone.server
    phone.sign_in(*server.manager)
    phone.set_lang("en")
    member = server.featured_member_id
    before = _consultants(phone, member)
    phone.open_member(member)
    phone.root.go("manager")
    screen: ManagerScreen = phone.screen("manager")  # type: ignore[assignment]
    phone.wait(lambda: bool(screen.consultant_rows()) and not phone.state.busy, "the consultant rows")
    for position in before:
        screen.unassign(position)
        _wait_consultant(phone, member, position, None)
    # The target line says in words that she has nobody (it said "王芳 — None").
    phone.wait(
        lambda: not (screen.has_primary or screen.has_secondary), "the target line without consultants"
    )
    assert screen.target_text == "王芳 — No consultant assigned"
    if screen.selected:  # an earlier test left a consultant's clients open: the rows fit on one shot
        screen.choose(screen.selected)
    phone.set_lang("zh")
    assert screen.target_text == "王芳 — 尚未分配顾问"
    phone.save_png(shots / "manager_no_consultant_zh.png")
    phone.set_lang("en")
    # A consultant without clients takes her on: "1 client", not "1 clients".
    newcomer = next(c for c in phone.state.consultants if c.client_count == 0)
    row = next(r for r in screen.consultant_rows() if r.staff_id == newcomer.id)
    row.assign("primary")

    def one_client() -> bool:
        rows = {r.staff_id: r for r in screen.consultant_rows()}
        return newcomer.id in rows and rows[newcomer.id].counts.startswith("1 client ·")

    phone.wait(one_client, f"{newcomer.name} with one client")
    now = next(c for c in phone.state.consultants if c.id == newcomer.id)
    shown = next(r for r in screen.consultant_rows() if r.staff_id == newcomer.id)
    assert shown.counts == counted(1, now.open_task_count)
    phone.set_lang("zh")
    shown = next(r for r in screen.consultant_rows() if r.staff_id == newcomer.id)
    assert shown.counts == f"1 位客户 · {now.open_task_count} 项待办"
    phone.set_lang("en")
    phone.save_png(shots / "manager_one_client.png")
    for position, staff_id in before.items():  # as the other tests found her
        next(r for r in screen.consultant_rows() if r.staff_id == staff_id).assign(position)
        _wait_consultant(phone, member, position, staff_id)
    assert _consultants(phone, member) == before

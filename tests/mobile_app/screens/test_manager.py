"""The manager's screen: consultants with their clients and tasks; assigning a member's consultants."""

from __future__ import annotations

from pathlib import Path

from mobile_app.screens.manager import ManagerScreen
from tests.mobile_app.screens.conftest import Phone


def _consultants(phone: Phone, member_id: int) -> dict[str, int]:
    got = phone.get(f"members/{member_id}/consultants", phone.server.manager)
    rows = got["items"] if isinstance(got, dict) else got
    return {c["position"]: c["staff_id"] for c in rows}


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
        assert (
            row.counts == f"{consultant['client_count']} clients · {consultant['open_task_count']} open tasks"
        )
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

"""Working without network: writes wait in the outbox and go once, in order; profiles open from the cache."""

from __future__ import annotations

from typing import Any

from mobile_app.api.client import AisleClient
from mobile_app.state.i18n import tr
from tests.mobile_app.cable import Cable
from tests.mobile_app.conftest import DemoServer, dormant_client_ready_for_offer
from tests.mobile_app.state.conftest import Phone, make_phone


def notes_about(demo_server: DemoServer, member_id: int, text: str) -> int:
    """How many interactions with this note the server holds for the member."""
    client = AisleClient(demo_server.url)
    client.sign_in(*demo_server.admin)
    return sum(1 for i in client.profile(member_id).interactions if i.note == text)


def test_writes_made_offline_wait_and_go_once_in_order_when_back(
    demo_server: DemoServer, cable: Cable, phone: Phone
) -> None:
    phone.sign_in(cable.url, demo_server.clerk)
    phone.controller.set_language("en")
    member = demo_server.featured_member_id
    phone.controller.open_member(member)
    suggestion = phone.state.recommendations[0]
    cable.unplug()
    phone.wait(lambda: phone.state.connection != "online", "the phone offline")
    phone.controller.log_interaction(member, "wechat", "offline note 1 发了图片")
    phone.controller.feedback(suggestion.recommendation_id, "accepted")
    phone.controller.log_interaction(member, "call", "offline note 2")
    assert phone.state.pending_writes == 3
    assert phone.state.error == tr("notice.queued", "en", n=3)
    assert [i.kind for i in phone.outbox.pending(phone.controller.owner)] == [
        "interaction",
        "feedback",
        "interaction",
    ]

    cable.plug()
    phone.wait(lambda: phone.state.pending_writes == 0, "the outbox sent")
    phone.wait(lambda: phone.state.error == "Sent 3 changes saved while offline.", "the sent notice")
    assert notes_about(demo_server, member, "offline note 1 发了图片") == 1
    assert notes_about(demo_server, member, "offline note 2") == 1
    client = AisleClient(demo_server.url)
    client.sign_in(*demo_server.admin)
    notes = [i for i in client.profile(member).interactions if i.note.startswith("offline note")]
    # Newest first on the server, and each stamped with when it was written on the phone.
    assert [i.note for i in notes] == ["offline note 2", "offline note 1 发了图片"]
    again = client.feedback(suggestion.recommendation_id, "accepted")
    assert again["created"] is False  # the queued feedback had been recorded


def test_the_outbox_survives_a_restart(demo_server: DemoServer, cable: Cable, phone: Phone) -> None:
    phone.sign_in(cable.url, demo_server.clerk)
    member = demo_server.featured_member_id
    cable.unplug()
    phone.controller.log_interaction(member, "face_to_face", "written before the phone restarted")
    assert phone.state.pending_writes == 1
    phone.close()
    cable.plug()
    restarted = make_phone(phone.data_dir)
    try:
        restarted.sign_in(cable.url, demo_server.clerk)
        restarted.wait(lambda: restarted.state.pending_writes == 0, "the outbox sent after the restart")
    finally:
        restarted.close()
    assert notes_about(demo_server, member, "written before the phone restarted") == 1


def test_a_write_the_server_refuses_is_dropped_with_the_reason(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    phone.controller.set_language("en")
    phone.controller.issue_offer(demo_server.featured_member_id)  # 王芳 is active: no reactivation offer
    assert phone.state.pending_writes == 0 and phone.state.offer_issued is None
    error = phone.state.error or ""
    assert error.startswith("The server refused the offer: ") and "dormant" in error


def test_an_offer_issued_offline_shows_its_code_once_sent(
    demo_server: DemoServer, cable: Cable, phone: Phone
) -> None:
    phone.sign_in(cable.url, demo_server.vip)
    # One of the consultant's own dormant clients: the dormant-to-contact list drops a member once
    # another test has issued them an offer (the demo server is shared by the session).
    vip = AisleClient(demo_server.url, phone.controller.need_client().token)
    dormant = dormant_client_ready_for_offer(demo_server, vip.staff_clients(vip.me().id))
    phone.controller.open_member(dormant.member_id)
    assert phone.state.member is not None and phone.state.member.dormancy.status != "active"
    cable.unplug()
    phone.controller.issue_offer(dormant.member_id)
    assert phone.state.pending_writes == 1 and phone.state.offer_issued is None
    cable.plug()
    phone.wait(lambda: phone.state.offer_issued is not None, "the issued offer")
    offer: dict[str, Any] = phone.state.offer_issued or {}
    assert offer["member_id"] == dormant.member_id and offer["code"] and offer["discount_percent"] > 0


def test_tasks_load_and_a_finished_one_leaves_the_list(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.vip)
    phone.controller.load_tasks()
    tasks = phone.state.tasks
    assert tasks is not None and tasks.my_clients and tasks.follow_ups
    done = tasks.follow_ups[-1]
    phone.controller.complete_task(done)
    assert phone.state.tasks is not None and done.ref not in {t.ref for t in phone.state.tasks.follow_ups}
    assert phone.state.pending_writes == 0
    phone.controller.load_tasks()
    assert phone.state.tasks is not None and done.ref not in {t.ref for t in phone.state.tasks.follow_ups}


def test_assigned_clients_open_from_the_cache_when_offline(
    demo_server: DemoServer, cable: Cable, phone: Phone
) -> None:
    phone.sign_in(cable.url, demo_server.vip)
    phone.controller.set_language("en")
    staff = phone.state.staff
    assert staff is not None
    clients = AisleClient(demo_server.url, phone.controller.need_client().token).staff_clients(staff.id)
    assert set(phone.cache.member_ids(phone.controller.owner)) >= {c.member_id for c in clients}
    cable.unplug()
    client = clients[-1]
    phone.controller.open_member(client.member_id)  # never opened on this phone: fetched at sign-in
    member = phone.state.member
    assert member is not None and member.id == client.member_id and member.name == client.name
    assert phone.state.member_from_cache and phone.state.recommendations == []
    assert (phone.state.error or "").startswith("Offline: showing the profile saved on this phone on ")
    card = member.card_number
    assert card is not None
    phone.controller.open_member(demo_server.featured_member_id + 100_000)
    assert phone.state.error == tr("error.not_cached", "en")
    phone.controller.identify(card=card)  # offline, a saved client is still found by card
    assert phone.state.member is not None and phone.state.member.id == client.member_id
    cable.plug()
    phone.controller.open_member(client.member_id)
    assert not phone.state.member_from_cache and phone.state.recommendations


def test_a_manager_lists_consultants_and_assigns(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.manager)
    phone.controller.load_consultants()
    by_login = {c.username: c for c in phone.state.consultants}
    vip = by_login["sh.vip"]
    assert vip.client_count == len(phone.state.clients_by_consultant[vip.id]) > 0
    me = phone.state.staff
    assert me is not None and me.is_manager
    before = by_login["sh.manager"].client_count
    member = demo_server.featured_member_id
    phone.controller.assign(member, me.id, "secondary")
    assert {c.username: c for c in phone.state.consultants}["sh.manager"].client_count == before + 1
    assert member in {r.member_id for r in phone.state.clients_by_consultant[me.id]}
    phone.controller.unassign(member, "secondary")
    assert {c.username: c for c in phone.state.consultants}["sh.manager"].client_count == before
    phone.controller.assign(member, me.id, "third")
    assert phone.state.error == tr("error.bad_choice", "zh", value="third")

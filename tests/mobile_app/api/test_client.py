"""AisleClient against the real demo server: sign-in, look-up, the 360° profile, chat, writes, errors."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator

import pytest

from mobile_app.api.client import AisleClient, normalise_base_url
from mobile_app.api.errors import ApiError, Unauthorized, Unreachable
from tests.mobile_app.conftest import DemoServer, dead_url, dormant_client_ready_for_offer

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def clerk(demo_server: DemoServer) -> Iterator[AisleClient]:
    """A client signed in as the Shanghai clerk."""
    client = AisleClient(demo_server.url)
    client.sign_in(*demo_server.clerk)
    yield client
    client.close()


def test_sign_in_returns_the_staff_member_and_a_working_token(demo_server: DemoServer) -> None:
    client = AisleClient(demo_server.url + "/api/v1/")  # as a person might paste it
    signed = client.sign_in(*demo_server.clerk)
    assert signed.access_token and signed.expires_in > 0
    staff = signed.staff
    assert (staff.username, staff.role, staff.store_id, staff.locale) == ("sh.clerk1", "clerk", 1, "zh")
    assert not staff.is_manager
    assert client.me() == staff
    assert client.store_name(demo_server.store_id) == "上海静安店"


def test_wrong_password_is_unauthorized_with_the_servers_reason(demo_server: DemoServer) -> None:
    with pytest.raises(Unauthorized) as caught:
        AisleClient(demo_server.url).sign_in("bj.clerk2", "not-the-password")
    assert caught.value.status == 401
    assert "password" in caught.value.message.lower()


def test_no_server_at_the_address_is_unreachable() -> None:
    url = dead_url()
    with pytest.raises(Unreachable) as caught:
        AisleClient(url, timeout=2).sign_in("sh.clerk1", "demo-sh-clerk1")
    assert caught.value.url == url


def test_a_server_that_never_answers_times_out_as_unreachable() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        client = AisleClient(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        with pytest.raises(Unreachable):
            client.sign_in("sh.clerk1", "demo-sh-clerk1")


def test_signed_out_calls_are_unauthorized(demo_server: DemoServer) -> None:
    with pytest.raises(Unauthorized):
        AisleClient(demo_server.url).me()
    with pytest.raises(Unauthorized):
        AisleClient(demo_server.url, token="not-a-token").me()


def test_look_up_by_card_then_the_profile_and_suggestions_in_chinese(
    demo_server: DemoServer, clerk: AisleClient
) -> None:
    found = clerk.lookup(card=demo_server.featured_card)
    assert (found.id, found.name) == (demo_server.featured_member_id, "王芳")
    assert found.phone is not None and "****" in found.phone  # a clerk sees the phone masked
    profile = clerk.profile(found.id)
    assert profile.name == "王芳" and profile.card_number == demo_server.featured_card
    assert profile.home_store is not None and profile.home_store.name == "上海静安店"
    assert profile.tier.name and profile.tier.progress and profile.dormancy.text
    assert profile.points.available == found.points_available
    assert profile.recent_purchases and all(CHINESE.search(p.name) for p in profile.recent_purchases)
    recs = clerk.recommendations(found.id, lang="zh")
    assert recs.lang == "zh" and 3 <= len(recs.suggestions) <= 5
    assert all(CHINESE.search(s.reason) and s.recommendation_id > 0 for s in recs.suggestions)
    assert recs.talking_points and all(CHINESE.search(t.text) for t in recs.talking_points)


def test_errors_carry_the_servers_reason(clerk: AisleClient) -> None:
    with pytest.raises(ApiError) as not_found:
        clerk.lookup(card="000000")
    assert (not_found.value.status, not_found.value.message) == (404, "no member with card 000000")
    with pytest.raises(ApiError) as invalid:
        clerk.lookup()
    assert invalid.value.status == 422 and "exactly one" in invalid.value.message


def test_chat_refines_within_the_session(demo_server: DemoServer, clerk: AisleClient) -> None:
    member = demo_server.featured_member_id
    first = clerk.chat(member, "a gift for her mother", lang="en")
    assert first.turn_no == 1 and first.items
    cheaper = clerk.chat(member, "cheaper", session_id=first.session_id, lang="en")
    assert (cheaper.session_id, cheaper.turn_no) == (first.session_id, 2)
    assert cheaper.items and max(i.price for i in cheaper.items) < min(i.price for i in first.items)


def test_a_replayed_interaction_is_stored_once(demo_server: DemoServer, clerk: AisleClient) -> None:
    member, key = demo_server.featured_member_id, str(uuid.uuid4())
    first = clerk.log_interaction(member, "wechat", "发了新品图片", key=key)
    again = clerk.log_interaction(member, "wechat", "发了新品图片", key=key)
    assert first.id == again.id and first.note == "发了新品图片"
    notes = [i for i in clerk.profile(member).interactions if i.id == first.id]
    assert len(notes) == 1


def test_feedback_on_a_suggestion(demo_server: DemoServer, clerk: AisleClient) -> None:
    suggestion = clerk.recommendations(demo_server.featured_member_id).suggestions[0]
    assert clerk.feedback(suggestion.recommendation_id, "accepted")["created"] is True
    assert clerk.feedback(suggestion.recommendation_id, "accepted")["created"] is False
    with pytest.raises(ApiError) as bad:
        clerk.feedback(suggestion.recommendation_id, "loved")
    assert bad.value.status == 422


def test_a_consultants_clients_tasks_and_offer(demo_server: DemoServer) -> None:
    vip = AisleClient(demo_server.url)
    me = vip.sign_in(*demo_server.vip).staff
    clients = vip.staff_clients(me.id)
    assert clients and all(c.member_id > 0 and c.position in ("primary", "secondary") for c in clients)
    tasks = vip.tasks()
    assert {t.member_id for t in tasks.my_clients} == {c.member_id for c in clients}
    dormant = dormant_client_ready_for_offer(demo_server, clients)
    key = str(uuid.uuid4())
    offer = vip.issue_offer(dormant.member_id, key=key)
    assert offer["code"] and offer["discount_percent"] > 0
    assert vip.issue_offer(dormant.member_id, key=key)["code"] == offer["code"]
    follow_up = tasks.follow_ups[0]
    key = str(uuid.uuid4())
    assert vip.task_done(follow_up.ref, key=key)["ref"] == follow_up.ref
    assert vip.task_done(follow_up.ref, key=key)["ref"] == follow_up.ref
    assert follow_up.ref not in {t.ref for t in vip.tasks().follow_ups}


def test_a_manager_sees_consultants_and_assigns(demo_server: DemoServer) -> None:
    manager = AisleClient(demo_server.url)
    me = manager.sign_in(*demo_server.manager).staff
    assert me.is_manager
    consultants = {c.username: c for c in manager.store_consultants(demo_server.store_id)}
    vip = consultants["sh.vip"]
    assert vip.client_count > 0 and vip.store_name == "上海静安店"
    member = demo_server.featured_member_id
    manager.assign(member, "secondary", me.id)
    assert ("secondary", me.id) in {(c.position, c.staff_id) for c in manager.member_consultants(member)}
    manager.unassign(member, "secondary")
    assert "secondary" not in {c.position for c in manager.member_consultants(member)}


@pytest.mark.parametrize(
    ("typed", "root"),
    [
        ("192.168.1.20:8000", "http://192.168.1.20:8000"),
        (" https://aisle.example.com/api/v1/ ", "https://aisle.example.com"),
        ("http://10.0.2.2:8000/", "http://10.0.2.2:8000"),
    ],
)
def test_server_addresses_as_people_type_them(typed: str, root: str) -> None:
    assert normalise_base_url(typed) == root

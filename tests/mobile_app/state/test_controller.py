"""The Controller against the real demo server: what a clerk does and what the screens then show."""

from __future__ import annotations

import re
from pathlib import Path

from mobile_app.api.client import AisleClient
from mobile_app.state.i18n import tr
from tests.mobile_app.cable import Cable
from tests.mobile_app.conftest import DemoServer, dead_url
from tests.mobile_app.state.conftest import Phone, make_phone

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Z][a-z]+ ")


def test_sign_in_fills_the_state_and_goes_live(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    staff, state = phone.state.staff, phone.state
    assert staff is not None and (staff.username, staff.name, staff.store_name) == (
        "sh.clerk1",
        "李娜",
        "上海静安店",
    )
    assert (state.server_url, state.username, state.lang) == (demo_server.url, "sh.clerk1", "zh")
    assert state.error is None and state.busy is False and state.pending_writes == 0
    assert {"busy", "staff"} <= set().union(*phone.changes)
    restarted = make_phone(phone.data_dir)  # the app opened again remembers the server and the user
    assert (restarted.state.server_url, restarted.state.username) == (demo_server.url, "sh.clerk1")


def test_wrong_password_in_english_and_chinese(demo_server: DemoServer, phone: Phone) -> None:
    phone.controller.set_language("en")
    phone.controller.sign_in(demo_server.url, "bj.clerk2", "wrong-password")
    assert phone.state.error == "Wrong username or password." and phone.state.staff is None
    phone.controller.set_language("zh")
    phone.controller.sign_in(demo_server.url, "bj.clerk2", "wrong-password")
    assert phone.state.error == "用户名或密码错误。" and phone.state.busy is False


def test_unreachable_server_and_missing_fields(phone: Phone) -> None:
    phone.controller.set_language("en")
    url = dead_url()
    phone.controller.sign_in(url, "sh.clerk1", "demo-sh-clerk1")
    assert phone.state.error == f"Cannot reach the server at {url}. Check the address and the network."
    phone.controller.sign_in(url, "sh.clerk1", "")
    assert phone.state.error == tr("error.missing_sign_in", "en")


def test_identify_by_card_opens_wang_fang_in_chinese_and_tells_the_floor(
    demo_server: DemoServer, phone: Phone
) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    phone.controller.identify(card=demo_server.featured_card)
    state = phone.state
    assert state.error is None and state.member is not None and not state.member_from_cache
    assert (state.member.name, state.member.home_store and state.member.home_store.name) == (
        "王芳",
        "上海静安店",
    )
    assert 3 <= len(state.recommendations) <= 5 and all(
        CHINESE.search(s.reason) for s in state.recommendations
    )
    assert state.talking_points and CHINESE.search(state.talking_points[0].text)
    # The clerk is on the floor, so their own identification comes back as a live arrival.
    phone.wait(lambda: bool(state.feed) and state.feed[0].source == "clerk", "the arrival in the feed")
    assert state.feed[0].name == "王芳" and state.new_arrival == state.feed[0]
    assert state.last_seq == state.feed[0].event_seq == phone.prefs.last_seq(demo_server.url, "sh.clerk1")
    phone.controller.identify()
    assert state.error == tr("error.no_identifier", "zh")


def test_an_unknown_card_says_what_was_not_found(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    phone.controller.set_language("en")
    phone.controller.identify(card="000000")
    assert phone.state.error == "Not found: no member with card 000000" and phone.state.member is None


def test_chat_keeps_the_session_for_cheaper(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    phone.controller.set_language("en")
    member = demo_server.featured_member_id
    phone.controller.open_member(member)
    phone.controller.ask(member, "a gift for her mother")
    phone.controller.ask(member, "cheaper")
    chat = phone.state.chat
    assert [t.turn_no for t in chat] == [1, 2] and chat[0].session_id == chat[1].session_id
    assert phone.state.chat_session_id == chat[0].session_id
    assert max(i.price for i in chat[1].items) < min(i.price for i in chat[0].items)
    phone.controller.ask(member, "  ")
    assert phone.state.error == tr("error.empty_question", "en") and len(phone.state.chat) == 2


def test_switching_language_fetches_the_suggestions_again(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    phone.controller.open_member(demo_server.featured_member_id)
    assert CHINESE.search(phone.state.recommendations[0].reason)
    phone.controller.set_language("en")
    # The sentences are English now (product names stay as the catalog has them).
    assert phone.state.recommendations and all(ENGLISH.match(s.reason) for s in phone.state.recommendations)
    assert make_phone(phone.data_dir).state.lang == "en"
    phone.controller.set_language("fr")
    assert phone.state.error == "Unknown choice: fr" and phone.state.lang == "en"


def test_sign_out_stops_the_floor_and_empties_the_screens(demo_server: DemoServer, phone: Phone) -> None:
    phone.sign_in(demo_server.url, demo_server.clerk)
    listener = phone.controller.listener
    phone.controller.open_member(demo_server.featured_member_id)
    phone.controller.sign_out()
    phone.settle()
    assert listener is not None and not listener.running
    state = phone.state
    assert state.staff is None and state.member is None and state.connection == "offline"
    assert state.error == tr("notice.signed_out", "zh")


def test_a_disabled_account_is_signed_out_with_session_expired(
    demo_server: DemoServer, phone: Phone, tmp_path: Path
) -> None:
    admin = AisleClient(demo_server.url)
    admin.sign_in(*demo_server.admin)
    login = f"temp.{tmp_path.name[-12:].lower().replace('_', '')}"
    created = admin.call(
        "POST",
        "/staff",
        json={"login": login, "display_name": "临时店员", "password": "temp-password-1",
              "roles": [{"role": "clerk", "store_id": demo_server.store_id}], "locale": "zh"},
    )  # fmt: skip
    phone.sign_in(demo_server.url, (login, "temp-password-1"))
    admin.call("PATCH", f"/staff/{created['id']}", json={"active": False})
    phone.wait(lambda: phone.state.staff is None, "signed out by the server")
    assert phone.state.error == "登录已过期，请重新登录。" and phone.state.connection == "offline"


def test_through_the_cable_the_phone_goes_offline_and_back(
    demo_server: DemoServer, cable: Cable, phone: Phone
) -> None:
    phone.sign_in(cable.url, demo_server.clerk)
    cable.unplug()
    phone.wait(lambda: phone.state.connection in ("offline", "connecting"), "offline")
    cable.plug()
    phone.wait(lambda: phone.state.connection == "online", "online again")

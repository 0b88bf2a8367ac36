"""Ask: the chat with the recommender about the member on screen, answered by the real server."""

from __future__ import annotations

from pathlib import Path

from mobile_app.screens.ask import AskScreen
from mobile_app.widgets.chat import ChatBubble
from tests.mobile_app.screens.conftest import Phone


def _bubbles(screen: AskScreen) -> list[ChatBubble]:
    return [w for w in reversed(screen.ids.turns.children) if isinstance(w, ChatBubble)]


def test_a_question_and_a_follow_up_become_a_conversation(clerk: Phone, shots: Path) -> None:
    phone, server = clerk, clerk.server
    phone.open_member(server.featured_member_id)
    screen: AskScreen = phone.go("ask")  # type: ignore[assignment]
    assert screen.ids.who.text == "Ideas for 王芳"
    assert screen.ids.starters.opacity == 1
    screen.ids.question.text = "a gift for her mother"
    screen.send()
    phone.wait(lambda: len(phone.state.chat) == 1 and not phone.state.busy, "the first answer")
    phone.settle()
    bubbles = _bubbles(screen)
    assert [b.mine for b in bubbles] == [True, False]
    assert bubbles[0].text == "a gift for her mother"
    turn = phone.state.chat[0]
    assert turn.items and turn.items[0].name in bubbles[1].detail
    n = len(turn.items)
    assert bubbles[1].text == f"{n} idea{'' if n == 1 else 's'}:"
    assert screen.ids.question.text == "" and screen.ids.starters.opacity == 0
    screen.starter("ask.starter_cheaper")
    phone.wait(lambda: len(phone.state.chat) == 2 and not phone.state.busy, "the second answer")
    phone.settle()
    assert len(_bubbles(screen)) == 4 and _bubbles(screen)[2].text == "Something cheaper"
    assert phone.state.chat[1].session_id == turn.session_id
    phone.save_png(shots / "ask.png")


def test_an_empty_question_is_not_sent(clerk: Phone) -> None:
    phone = clerk
    phone.open_member(phone.server.featured_member_id)
    screen: AskScreen = phone.go("ask")  # type: ignore[assignment]
    turns = len(phone.state.chat)
    screen.ids.question.text = "   "
    screen.send()
    phone.settle()
    assert phone.state.error == "Type what the customer asked for."
    assert len(phone.state.chat) == turns
    phone.state.update(error=None)

"""Ask the recommender, as a chat, about the member on screen ("a gift for her mother under 30")."""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.clock import Clock

from mobile_app.api.wire import ChatTurn
from mobile_app.screens.base import AisleScreen
from mobile_app.state.i18n import plural
from mobile_app.widgets.cards import fill
from mobile_app.widgets.chat import ChatBubble

ITEMS_SHOWN = 5
STARTERS = ("ask.starter_gift", "ask.starter_cheaper", "ask.starter_new")


def items_text(turn: ChatTurn) -> str:
    """The products of an answer, one per line with price and the reason to say."""
    # The server's reason already names the product and its price ("黄铜发簪, £179: under £248; ...").
    return "\n".join(
        f"• {item.reason or f'{item.name}  {item.price:.2f}'}" for item in turn.items[:ITEMS_SHOWN]
    )


class AskScreen(AisleScreen):
    """The conversation: the clerk's words on the right, the recommender's answers on the left."""

    kv_file: ClassVar[str] = "ask.kv"
    watches: ClassVar[frozenset[str]] = frozenset({"chat", "member", "busy"})

    def refresh(self) -> None:
        """Redraw the conversation and scroll to its end."""
        bubbles: list[ChatBubble] = []
        for turn in self.state.chat:
            bubbles.append(ChatBubble(text=turn.message, mine=True))
            # The server only words an answer when nothing matched; otherwise the items speak.
            said = turn.reply or plural("ask.found", len(turn.items), self.lang)
            bubbles.append(ChatBubble(text=said, detail=items_text(turn), mine=False))
        if self.busy:
            bubbles.append(ChatBubble(text=self.t("ask.thinking", self.lang), mine=False))
        fill(self.ids.turns, bubbles)
        member = self.state.member
        self.ids.who.text = self.t("ask.about", self.lang, name=member.name) if member else ""
        self.ids.starters.opacity = 0 if self.state.chat else 1
        Clock.schedule_once(self._to_end, 0)

    def _to_end(self, *_: Any) -> None:
        self.ids.scroll.scroll_y = 0

    def send(self, text: str | None = None) -> None:
        """Ask the recommender; the answer lands in the conversation."""
        member = self.state.member
        question = (self.ids.question.text if text is None else text).strip()
        if member is None:
            self.state.update(error=self.t("ask.no_member", self.lang))
            return
        if not question:
            self.state.update(error=self.t("error.empty_question", self.lang))
            return
        self.ids.question.text = ""
        self.controller.ask(member.id, question)

    def starter(self, key: str) -> None:
        """Send one of the suggested first questions."""
        self.send(self.t(key, self.lang))

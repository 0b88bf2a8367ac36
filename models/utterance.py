"""Read a customer's request, in English or Chinese, into constraints: price limits, wanted and unwanted
kinds of product, recipient and occasion, and "like the lantern" / "cheaper" / "not that one" references.

Parsing is pure text work; mapping concepts to a catalog's categories happens in `models.conversation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.lexicon import CONCEPTS, GIFT_WORDS, OCCASION_WORDS, PRONOUNS, RECIPIENT_WORDS

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十百千万]+")

_CUR = r"(?:[£$€¥￥]\s*)?"
_NUM = _CUR + r"(\d+(?:\.\d+)?)\s*(?:k\b)?"
_UNIT = r"\s*(?:pounds?|quid|gbp|dollars?|bucks|euros?|yuan|rmb|元|块钱|块|镑|英镑)?"
N = _NUM + _UNIT

# (pattern, meaning) in the order they are tried; a matched span is blanked so later ones do not re-read it.
PRICE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), kind)
    for p, kind in (
        (rf"\bbetween\s+{N}\s*(?:and|to|-)\s*{N}", "range"),
        (rf"\bfrom\s+{N}\s*(?:to|-)\s*{N}", "range"),
        (rf"{N}\s*(?:-|–|~|to|到|至)\s*{N}(?:\s*之间)?", "range"),
        (rf"(?:\bno less than|\bnot less than|\bat least|不低于|不少于|至少|最少)\s*{N}", "min"),
        (
            rf"(?:\bunder|\bbelow|\bless than|\bcheaper than|\bup to|\bat most|\bmax(?:imum)?|\bno more than|"
            rf"\bnot more than|\bwithin|\bbudget(?: of| is)?|<=?|"
            rf"不超过|不高于|低于|少于|小于|不到|最多|预算)\s*{N}",
            "max",
        ),
        (rf"{N}\s*(?:以内|以下|之内|内|\bor less|\bor under|\bmax\b)", "max"),
        (rf"(?:\bover|\babove|\bmore than|\bmin(?:imum)?|\bstarting at|>=?|超过|高于|大于)\s*{N}", "min"),
        (rf"{N}\s*(?:以上|\bor more|\+)", "min"),
        (rf"(?:\baround|\babout|\broughly|\bapproximately|大概|大约|差不多)\s*{N}", "around"),
        (rf"{N}\s*(?:左右|上下)", "around"),
    )
)
CHEAPER = re.compile(r"\bcheaper\b|\bless expensive\b|\blower price|便宜(?:一)?(?:点|些)|更便宜|再便宜|太贵")
PRICIER = re.compile(
    r"\bpricier\b|\bmore expensive\b|\bhigher end\b|\bfancier\b|贵一?(?:点|些)|更贵|更高档|更好的"
)
NOT_THAT = re.compile(
    r"\bnot (?:that|this|the first)(?: one)?\b|\bsomething else\b|\banother one\b|\bnot it\b|"
    r"不要(?:这|那)(?:个|款|件)|不是(?:这|那)(?:个|款)|换一(?:个|款)|别的"
)
MORE_LIKE = re.compile(
    r"\bmore like (?:this|that|it|these|those)\b|"
    r"\b(?:like|similar to) (?:this|that|it)(?: one)?"
    r"(?=\s*$|\s*[,.;!?]|\s+(?:but|under|below|over|for|please)\b)|"
    r"\bsimilar ones\b|\bmore of (?:these|those)\b|类似的|差不多的|像这(?:个|款)的|这种的|同款"
)
_WANT_LIKE = re.compile(r"\b(?:would|'d|i|we|you|they|she|he|do|does)\s+like\b")
ANCHOR_EN = re.compile(
    r"\b(?:like|similar to|same as|matching|goes with|to go with)\s+(?:the|that|this|my|a|an|her|his)?\s*"
    r"([a-z][a-z' -]*?)(?=$|[,.;!?]|\s+(?:but|under|below|over|for|in|and|with|please|cheaper)\b)"
)
ANCHOR_ZH = re.compile(
    r"(?:像|类似|跟|和|与)(?:这个|那个|这款|那款|那种)?([\u4e00-\u9fff]{1,12}?)(?:一样|类似|相似|差不多|同款)"
)
NEGATION_EN = re.compile(
    r"\b(?:not|no|without|except|excluding|anything but|other than|don't want|do not want|no more|nothing)\s+"
    r"(?:the\s+|any\s+|a\s+|an\s+|more\s+)?([a-z][a-z' -]*?)"
    r"(?=$|[,.;!?]|\s+(?:and|but|under|below|over|for|please)\b)"
)
NEGATION_ZH = re.compile(r"(?:不要|除了|不想要|别要|不需要|除去|去掉|不喜欢)([\u4e00-\u9fff]+)")
_ZH_CUT = re.compile(r"(?:以外|之外|外|要|想|找|给|送|买|但|可以|都|也|就|吧|呢|了|和|或)")
_ZH_FILLER = re.compile(
    r"[我你您他她它们想要给买个的些有吗呢吧了和与请帮找看点一什么东西样适合推荐送可以还再来款件种外都也就很行好]"
)
_STOP_EN = frozenset(
    "a an the some something anything for to of in on with please show me her his my our their do you have "
    "any one ones it this that these those what which can could i we want need looking look find get is are "
    "and or but also just maybe perhaps thing things item items else more less".split()
)


def cn_to_number(text: str) -> str:
    """Chinese numerals rewritten as digits ("三十" -> "30", "一百五" -> "150"), other text unchanged."""

    def convert(match: re.Match[str]) -> str:
        """One run of Chinese numerals as digits."""
        run = match.group(0)
        if len(run) == 1 and run not in _CN_UNITS and not text.startswith(("元", "块"), match.end()):
            return run  # a lone "一" is usually "a", not a price
        total, section, digit, last_unit = 0, 0, 0, 1
        for ch in run:
            if ch in _CN_DIGITS:
                digit = _CN_DIGITS[ch]
            else:
                unit = _CN_UNITS[ch]
                if unit == 10000:
                    total += (section + digit) * unit
                    section = 0
                else:
                    section += (digit or (1 if unit == 10 else 0)) * unit
                digit, last_unit = 0, unit
        if digit and last_unit >= 100:  # "一百五" is 150: a trailing digit takes the next unit down
            digit *= last_unit // 10
        return str(total + section + digit)

    return _CN_NUMBER.sub(convert, text)


@dataclass(frozen=True)
class Parsed:
    """What one utterance says, before it is related to a catalog or to earlier turns."""

    min_price: float | None = None
    max_price: float | None = None
    cheaper: bool = False
    pricier: bool = False
    concepts: tuple[str, ...] = ()  # product concepts asked for
    excluded_concepts: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = ()  # negated words that are no known concept (a category? an item?)
    words: tuple[str, ...] = ()  # other content words, which may name a catalog category
    not_that_one: bool = False
    more_like_this: bool = False
    anchor_phrase: str | None = None
    recipient: str | None = None
    occasion: str | None = None
    gift: bool = False
    topic: str = ""  # the utterance without its price, "cheaper" and negation phrases: what to embed

    @property
    def has_topic(self) -> bool:
        """True when the utterance says what is wanted, not only how to narrow the last answer."""
        return bool(
            self.concepts or self.words or self.anchor_phrase or self.recipient or self.occasion or self.gift
        )


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _prices(text: str) -> tuple[float | None, float | None, str]:
    low: float | None = None
    high: float | None = None
    for pattern, kind in PRICE_PATTERNS:
        for m in pattern.finditer(text):
            values = [float(v) for v in m.groups() if v is not None]
            if kind == "range":
                low, high = min(values), max(values)
            elif kind == "max":
                high = values[0]
            elif kind == "min":
                low = values[0]
            else:
                low, high = round(values[0] * 0.8, 2), round(values[0] * 1.2, 2)
            text = _blank(text, m.span())
    return low, high, text


class Vocabulary:
    """Words of several keys as one compiled pattern, longest words first, English on word boundaries."""

    def __init__(self, words: dict[str, tuple[str, ...]]) -> None:
        self.key_of: dict[str, str] = {}
        for key, ws in words.items():
            for w in ws:
                self.key_of.setdefault(w, key)
        en = sorted((w for w in self.key_of if w.isascii()), key=len, reverse=True)
        zh = sorted((w for w in self.key_of if not w.isascii()), key=len, reverse=True)
        parts = [rf"\b(?:{'|'.join(map(re.escape, en))})\b"] if en else []
        parts += [w for w in map(re.escape, zh)]
        self.pattern = re.compile("|".join(parts))

    def find(self, text: str) -> tuple[list[str], str]:
        """The keys whose words occur in text, in order of appearance, and the text without those words."""
        found: list[str] = []
        for m in self.pattern.finditer(text):
            found.append(self.key_of[m.group(0)])
            text = _blank(text, m.span())
        return list(dict.fromkeys(found)), text


CONCEPT_VOCABULARY = Vocabulary({key: en + zh for key, (_, en, zh) in CONCEPTS.items()})
OCCASION_VOCABULARY = Vocabulary({k: en + zh for k, (en, zh) in OCCASION_WORDS.items()})
RECIPIENT_VOCABULARY = Vocabulary({k: en + zh for k, (en, zh) in RECIPIENT_WORDS.items()})
GIFT_VOCABULARY = Vocabulary({"gift": GIFT_WORDS[0] + GIFT_WORDS[1]})
PRONOUN_VOCABULARY = Vocabulary({k: tuple(f"for {w}" for w in ws) for k, ws in PRONOUNS.items()})


def _negations(text: str) -> tuple[list[str], list[str], str]:
    concepts: list[str] = []
    phrases: list[str] = []
    for pattern in (NEGATION_EN, NEGATION_ZH):
        for m in pattern.finditer(text):
            phrase = m.group(1)
            if pattern is NEGATION_ZH and (cut := _ZH_CUT.search(phrase, 1)):
                phrase = phrase[: cut.start()]
            found, rest = CONCEPT_VOCABULARY.find(phrase)
            concepts += found
            rest = " ".join(w for w in rest.split() if w not in _STOP_EN)
            if rest.strip() and not found:
                phrases.append(rest.strip())
            text = _blank(text, (m.start(), m.start(1) + len(phrase)))
    return concepts, phrases, text


def parse_utterance(utterance: str) -> Parsed:
    """The constraints one utterance states, in English or Chinese."""
    text = cn_to_number(utterance.lower().replace("’", "'").replace("，", ",").replace("。", "."))
    low, high, text = _prices(text)
    cheaper, pricier = bool(CHEAPER.search(text)), bool(PRICIER.search(text))
    text = PRICIER.sub(" ", CHEAPER.sub(" ", text))
    not_that = bool(NOT_THAT.search(text))
    text = NOT_THAT.sub(" ", text)
    more_like = bool(MORE_LIKE.search(text))
    text = _WANT_LIKE.sub(" want ", MORE_LIKE.sub(" ", text))
    anchor = None
    if m := ANCHOR_EN.search(text) or ANCHOR_ZH.search(text):
        anchor = m.group(1).strip()
        text = _blank(text, m.span())
    excluded, phrases, text = _negations(text)
    topic = " ".join(text.replace(",", " ").split())
    occasions, _ = OCCASION_VOCABULARY.find(text)  # "christmas" is an occasion and a kind of product too
    recipients, text = RECIPIENT_VOCABULARY.find(text)
    gift_found, text = GIFT_VOCABULARY.find(text)
    pronouns, text = PRONOUN_VOCABULARY.find(text)
    concepts, text = CONCEPT_VOCABULARY.find(text)
    _, text = OCCASION_VOCABULARY.find(text)
    text = _ZH_FILLER.sub(" ", text)
    words = tuple(w for w in re.findall(r"[a-z][a-z'-]{2,}|[\u4e00-\u9fff]{2,}", text) if w not in _STOP_EN)
    recipient = (recipients + pronouns + [None])[0]
    return Parsed(
        min_price=low,
        max_price=high,
        cheaper=cheaper,
        pricier=pricier,
        concepts=tuple(concepts),
        excluded_concepts=tuple(dict.fromkeys(excluded)),
        excluded_phrases=tuple(phrases),
        words=words,
        not_that_one=not_that,
        more_like_this=more_like,
        anchor_phrase=anchor,
        recipient=recipient,
        occasion=(occasions + [None])[0],
        # An occasion that is also a kind of product ("christmas decorations") does not make it a gift.
        gift=bool(gift_found or recipient or set(occasions) - set(concepts)),
        topic=topic,
    )

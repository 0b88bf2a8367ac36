"""Read a customer's request, in English or Chinese, into constraints: price limits, wanted and unwanted
kinds of product, recipient and occasion, and "like the lantern" / "cheaper" / "not that one" references.

Prices, follow-ups and "like the ..." are read here with patterns; the rest of the words (recipient,
occasion, colours, kinds of product wanted and refused) by `models.request_words`, against the catalogue's
own vocabulary when one is given. Mapping kinds to the catalog's categories happens in `models.conversation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.request_words import CONCEPT_WORDS, read_words
from models.vocabulary import CatalogVocabulary

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
_DIGIT_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:([十百千万])(?![零一二两三四五六七八九])|(k|千块|w)\b)")
_TWO_DIGITS = re.compile(r"([一二两三四五六七八])([二三四五六七八九])([十百千万])")  # "两三百": 200 to 300
_THOUSANDS = re.compile(r"(\d),(\d{3})(?!\d)")  # "1,000"
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000, "万": 10000, "k": 1000, "千块": 1000, "w": 10000}

_CUR = r"(?:[£$€¥￥]\s*)?"
_NUM = _CUR + r"(\d+(?:\.\d+)?)\s*(?:k\b)?"
_UNIT_WORDS = r"(?:pounds?|quid|gbp|dollars?|bucks|euros?|yuan|rmb|cny|元|块钱|块|镑|英镑)"
_UNIT = rf"\s*{_UNIT_WORDS}?"
N = _NUM + _UNIT
_REFUSED, _REFUSED_ZH = r"(?:nothing|not|no|none|never)", r"(?:别|不要|不能)"

# (pattern, meaning) in the order they are tried; a matched span is blanked so later ones do not re-read it.
PRICE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), kind)
    for p, kind in (
        (rf"\bbetween\s+{N}\s*(?:and|to|-)\s*{N}", "range"),
        (rf"\bfrom\s+{N}\s*(?:to|-)\s*{N}", "range"),
        (rf"{N}\s*(?:-|–|~|to|到|至)\s*{N}(?:\s*之间)?", "range"),
        # A refused comparison turns round: "nothing over 250" is at most 250, "别低于100" at least 100.
        (
            rf"(?:\b{_REFUSED}\s+(?:over|above|more than|higher than)|{_REFUSED_ZH}(?:超过|高于))\s*{N}",
            "max",
        ),
        (
            rf"(?:\b{_REFUSED}\s+(?:under|below|less than|cheaper than)|{_REFUSED_ZH}(?:低于|少于))\s*{N}",
            "min",
        ),
        (rf"(?:\bno less than|\bnot less than|\bat least|不低于|不少于|至少|最少)\s*{N}", "min"),
        (
            rf"(?:\bunder|\bbelow|\bless than|\bcheaper than|\bup to|\bat most|\bmax(?:imum)?|\bno more than|"
            rf"\bnot more than|\bwithin|\bbudget(?: of| is)?|<=?|"
            rf"不超过|不高于|低于|少于|小于|不到|最多|预算(?:在|是|为)?|控制在)\s*{N}(?!\d|\.\d|\s*(?:左右|上下|ish))",
            "max",
        ),
        (rf"{N}\s*(?:以内|以下|之内|内|\bor less|\bor under|\bmax\b)", "max"),
        (rf"(?:\bover|\babove|\bmore than|\bmin(?:imum)?|\bstarting at|>=?|超过|高于|大于)\s*{N}", "min"),
        (rf"{N}\s*(?:以上|\bor more|\+)", "min"),
        (rf"(?:\baround|\babout|\broughly|\bapproximately|大概|大约|差不多)\s*{N}", "around"),
        (rf"{N}\s*(?:左右|上下|ish\b)", "around"),
        (rf"(?:[£$€¥￥]\s*)(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*{_UNIT_WORDS}", "max"),  # "a 300 yuan gift"
    )
)
CHEAPER = re.compile(r"\bcheaper\b|\bless expensive\b|\blower price|便宜(?:一)?(?:点|些)|更便宜|再便宜|太贵")
PRICIER = re.compile(
    r"\bpricier\b|\bmore expensive\b|\bhigher end\b|\bfancier\b|贵一?(?:点|些)|更贵|更高档|更好的"
)
NOT_THAT = re.compile(
    r"\bnot (?:that|this|the first)(?: one)?\b|\bsomething else\b|\banother one\b|\bnot it\b|"
    r"不要(?:这|那)(?:个|款|件)|不是(?:这|那)(?:个|款)|(?:这|那)(?:个|款|件)不要|换一?(?:个|款|件)|别的"
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


def cn_to_number(text: str) -> str:
    """Chinese numerals rewritten as digits ("三十" -> "30", "一百五" -> "150", "1千" -> "1000",
    "两三百" -> "200到300"), other text unchanged."""
    text = _TWO_DIGITS.sub(lambda m: f"{_CN_DIGITS[m[1]]}{m[3]}到{_CN_DIGITS[m[2]]}{m[3]}", text)

    def convert(match: re.Match[str]) -> str:
        """One run of Chinese numerals as digits."""
        run = match.group(0)
        priced = text.startswith(("元", "块"), match.end())
        if len(run) == 1 and run not in _CN_UNITS and not priced:
            return run  # a lone "一" is usually "a", not a price
        if all(ch in _CN_UNITS for ch in run) and run != "十" and not priced:
            return run  # "千万" is "by all means", "百" in "百合" a lily
        total, section, digit, last_unit, zero = 0, 0, 0, 1, False
        for ch in run:
            if ch == "零":
                zero = True
            elif ch in _CN_DIGITS:
                digit = _CN_DIGITS[ch]
            else:
                unit = _CN_UNITS[ch]
                if unit == 10000:
                    total += (section + digit or 1) * unit
                    section = 0
                else:
                    section += (digit or 1) * unit
                digit, last_unit = 0, unit
        if digit and last_unit >= 100 and not zero:  # "一百五" is 150 ("一百零五" 105)
            digit *= last_unit // 10
        return str(total + section + digit)

    text = _CN_NUMBER.sub(convert, text)
    return _DIGIT_UNIT.sub(lambda m: _scaled(m[1], m[2] or m[3]), text)


def _scaled(number: str, unit: str) -> str:
    value = float(number) * _UNIT_VALUE[unit]
    return str(int(value)) if value == int(value) else str(value)


@dataclass(frozen=True)
class Parsed:
    """What one utterance says, before it is related to a catalog or to earlier turns."""

    min_price: float | None = None
    max_price: float | None = None
    cheaper: bool = False
    pricier: bool = False
    concepts: tuple[str, ...] = ()  # product concepts asked for
    excluded_concepts: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = ()  # refused kinds that are no lexicon concept
    words: tuple[str, ...] = ()  # other content words (neither intent words nor kinds of product)
    not_that_one: bool = False
    more_like_this: bool = False
    anchor_phrase: str | None = None
    recipient: str | None = None
    occasion: str | None = None
    gift: bool = False
    topic: str = ""  # the utterance without its price, "cheaper" and negation phrases: what to embed
    kinds: tuple[str, ...] = ()  # kinds of product asked for, as said (English words singular)
    excluded_kinds: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    excluded_colours: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()  # kinds said after "for" ("something for tea"): a use, not only a product

    @property
    def has_topic(self) -> bool:
        """True when the utterance says what is wanted, not only how to narrow the last answer."""
        return bool(
            self.concepts
            or self.kinds
            or self.colours
            or self.anchor_phrase
            or self.recipient
            or self.occasion
            or self.gift
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


def normalise(utterance: str) -> str:
    """Lower case, ASCII punctuation and quotes, and every number as digits."""
    text = _THOUSANDS.sub(r"\1\2", utterance.lower().replace("’", "'"))
    text = text.replace("，", ",").replace("。", ".").replace("、", ",")
    return cn_to_number(text.replace("！", "!").replace("？", "?").replace("；", ";").replace("：", ":"))


def parse_utterance(utterance: str, vocabulary: CatalogVocabulary | None = None) -> Parsed:
    """The constraints one utterance states, in English or Chinese (kinds of product matched against the
    catalogue's vocabulary when given, else against the glossary and lexicon)."""
    text = normalise(utterance)
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
    words = read_words(text, vocabulary)
    recipient = (words.recipients + words.pronouns + [None])[0]
    return Parsed(
        min_price=low,
        max_price=high,
        cheaper=cheaper,
        pricier=pricier,
        concepts=tuple(dict.fromkeys(words.concepts)),
        excluded_concepts=tuple(dict.fromkeys(words.excluded_concepts)),
        excluded_phrases=tuple(k for k in dict.fromkeys(words.excluded_kinds) if not _is_concept_word(k)),
        words=tuple(words.other),
        not_that_one=not_that,
        more_like_this=more_like,
        anchor_phrase=anchor,
        recipient=recipient,
        occasion=(words.occasions + [None])[0],
        gift=words.gift,
        topic=_topic(words.topic),
        kinds=tuple(dict.fromkeys(words.kinds)),
        excluded_kinds=tuple(dict.fromkeys(words.excluded_kinds)),
        colours=tuple(dict.fromkeys(words.colours)),
        excluded_colours=tuple(dict.fromkeys(words.excluded_colours)),
        purposes=tuple(dict.fromkeys(words.purposes)),
    )


def _is_concept_word(word: str) -> bool:
    return word in CONCEPT_WORDS


def _topic(words: list[str]) -> str:
    """Words as one text: Chinese words run together, others spaced."""
    out = ""
    for w in words:
        if out and not (w[:1] >= "\u4e00" and out[-1:] >= "\u4e00"):
            out += " "
        out += w
    return out

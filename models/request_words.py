"""The words of a request, once prices and follow-ups are read: who it is for, the occasion, colours,
the kinds of product wanted and those refused ("不要蜡烛和灯笼", "no candles or lanterns").

Words are segmented (`models.segment`) and read left to right, longest phrase first. Intent words come
from the hand-written lexicon; kinds of product are words the catalogue's vocabulary knows, or glossary
and lexicon words (so a kind the chain does not carry is still recognised as asked for). A refusal covers
the kinds and colours listed right after its cue, joined by "and"/"or"/"和"/"、", up to the first other word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.glossary import glossary_words
from models.lexicon import (
    COLOURS,
    CONCEPTS,
    GIFT_WORDS,
    GIVING_ZH,
    NEGATION_WORDS,
    OCCASION_WORDS,
    PRONOUNS,
    PRONOUNS_ZH,
    RECIPIENT_WORDS,
)
from models.segment import STOP_WORDS, phrase_key, tokens
from models.vocabulary import CatalogVocabulary

CONNECTORS = frozenset(
    {"and", "or", "nor", ",", "、", "，", "/", "&", "和", "或", "或者", "跟", "与", "及", "以及"}
)
# Words between a refusal's cue and what it refuses ("not any of the", "不要任何").
NEGATION_FILLERS = (
    frozenset(
        "the any a an more of those these that kind kinds type want like need get buy see show have too so "
        "much really please colour color shade".split()
    )
    | frozenset(
        {"要", "想要", "任何", "的", "买", "给", "推荐", "看", "那种", "这种", "太", "再", "是", "有", "颜色"}
    )
    | frozenset({"送", "拿", "选", "挑", "来", "用", "带"})
)
CLAUSE_END = frozenset({",", ";", ".", "!", "?", "，", "；", "。", "！", "？", "了", "吧", "啦"})
SCOPE_END = frozenset({"以外", "之外", "外", "类", "之类", "类的", "了", "吧"})
GIVING_EN = frozenset({"for", "to", "get", "buy", "give", "giving", "gift", "treat", "surprise"})


def _table(groups: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> dict[str, str]:
    return {(phrase_key(w) if w.isascii() else w): key for key, (en, zh) in groups.items() for w in en + zh}


RECIPIENTS = _table(RECIPIENT_WORDS)
OCCASIONS = _table(OCCASION_WORDS)
COLOUR_WORDS = _table(COLOURS)
CONCEPT_WORDS = _table({k: (en, zh) for k, (_, en, zh) in CONCEPTS.items()})
GIFTS = frozenset(phrase_key(w) if w.isascii() else w for w in GIFT_WORDS[0] + GIFT_WORDS[1])
NEGATION_CUES = frozenset(phrase_key(w) if w.isascii() else w for w in NEGATION_WORDS)
GLOSSARY = frozenset(phrase_key(w) if w.isascii() else w for w in glossary_words())
PRONOUN_WORDS = {w: k for k, ws in PRONOUNS.items() for w in ws} | {
    w: k for k, ws in PRONOUNS_ZH.items() for w in ws
}
OCCASION_RECIPIENT = {"mothers_day": "mother", "fathers_day": "father"}
_LONGEST = 3
_DETERMINERS = frozenset({"the", "a", "an", "my", "her", "his", "our", "their", "some"})


@dataclass
class RequestWords:
    """What the words of a request say (prices and follow-ups aside)."""

    recipients: list[str] = field(default_factory=list)
    pronouns: list[str] = field(default_factory=list)
    occasions: list[str] = field(default_factory=list)
    gift: bool = False
    kinds: list[str] = field(default_factory=list)  # kinds of product asked for, as said (normalised)
    excluded_kinds: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    excluded_colours: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)
    excluded_concepts: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)  # kinds after "for": what the product is for
    themes: list[str] = field(default_factory=list)  # occasions that are also themes of products
    other: list[str] = field(default_factory=list)  # content words that are none of the above
    topic: list[str] = field(default_factory=list)  # every word outside a refusal


def _join(parts: list[str]) -> str:
    if all(p.isascii() for p in parts):
        return " ".join(parts)
    return "".join(parts) if not any(p.isascii() for p in parts) else ""


def _is_kind(phrase: str, vocabulary: CatalogVocabulary | None) -> bool:
    if phrase in GLOSSARY or phrase in CONCEPT_WORDS:
        return True
    return vocabulary is not None and vocabulary.knows(phrase)


def _label(phrase: str, vocabulary: CatalogVocabulary | None, single: bool) -> str | None:
    """What a phrase is: "neg", "recipient", "occasion", "gift", "colour", "kind", "connector" or None."""
    if phrase in NEGATION_CUES:
        return "neg"
    for name, table in (("recipient", RECIPIENTS), ("occasion", OCCASIONS)):
        if phrase in table:
            return name
    if phrase in GIFTS:
        return "gift"
    if not single and _is_kind(phrase, vocabulary):  # "white tea" before "white"
        return "kind"
    if phrase in COLOUR_WORDS:
        return "colour"
    if single and _is_kind(phrase, vocabulary):
        return "kind"
    if phrase in CONNECTORS:
        return "connector"
    return None


def _split_known(word: str, vocabulary: CatalogVocabulary | None) -> list[str]:
    """A Chinese word jieba kept whole but that is known words run together ("生日礼物"): its parts."""
    if not ("\u4e00" <= word[0] <= "\u9fff") or len(word) < 2 or _label(word, vocabulary, True):
        return [word]
    parts: list[str] = []
    i = 0
    while i < len(word):
        for j in range(len(word), i, -1):
            label = _label(word[i:j], vocabulary, True)
            if label is not None and (j - i > 1 or label in ("colour", "kind")) or j == i + 1:
                parts.append(word[i:j])
                i = j
                break
    return parts if any(_label(p, vocabulary, True) for p in parts) else [word]


def _spans(words: list[str], vocabulary: CatalogVocabulary | None) -> list[tuple[str, str | None]]:
    """The words grouped into known phrases, longest first: (phrase, label) pairs."""
    words = [part for w in words for part in _split_known(w, vocabulary)]
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            phrase = _join(words[i : i + n])
            label = _label(phrase, vocabulary, n == 1) if phrase else None
            if label is not None or n == 1:
                out.append((phrase or words[i], label))
                i += n
                break
    return out


def read_words(text: str, vocabulary: CatalogVocabulary | None = None) -> RequestWords:
    """The recipients, occasions, colours and kinds of product a request's words name or refuse."""
    spans = _spans(tokens(text), vocabulary)
    out = RequestWords()
    clause = _counts(out)  # what the current clause has asked for starts here
    i = 0
    while i < len(spans):
        phrase, label = spans[i]
        if label == "neg":
            refused = len(out.excluded_kinds) + len(out.excluded_colours)
            i = _refusal(spans, i + 1, out)
            if refused == len(out.excluded_kinds) + len(out.excluded_colours) and (
                i >= len(spans) or spans[i][0] in CLAUSE_END
            ):
                _refuse_back(out, clause)  # "红色的不要", "candles, no": the cue comes after
            continue
        if phrase in CLAUSE_END:
            clause = _counts(out)
        _take(spans, i, out)
        i += 1
    out.gift = (
        out.gift or bool(out.recipients or out.pronouns) or bool(set(out.occasions) - set(out.concepts))
    )
    if not out.gift:  # "christmas decorations" asks for the theme; "a christmas gift" only names the day
        out.kinds[:0] = out.themes
    return out


def _counts(out: RequestWords) -> tuple[int, int, int]:
    return len(out.kinds), len(out.colours), len(out.concepts)


def _refuse_back(out: RequestWords, since: tuple[int, int, int]) -> None:
    """Turn what was asked for since `since` into refusals."""
    kinds, colours, concepts = since
    out.excluded_kinds += out.kinds[kinds:]
    out.excluded_colours += out.colours[colours:]
    out.excluded_concepts += out.concepts[concepts:]
    del out.kinds[kinds:], out.colours[colours:], out.concepts[concepts:]


def _take(spans: list[tuple[str, str | None]], i: int, out: RequestWords) -> None:
    phrase, label = spans[i]
    before = spans[i - 1][0] if i > 0 else ""
    if label not in ("connector",) and phrase.strip() and not (len(phrase) == 1 and not phrase.isalnum()):
        out.topic.append(phrase)
    if label == "recipient":
        out.recipients.append(RECIPIENTS[phrase])
    elif label == "occasion":
        occasion = OCCASIONS[phrase]
        out.occasions.append(occasion)
        if occasion in OCCASION_RECIPIENT:
            out.recipients.append(OCCASION_RECIPIENT[occasion])
        if phrase in CONCEPT_WORDS:  # "christmas": a theme of products too
            out.concepts.append(CONCEPT_WORDS[phrase])
        if phrase in CONCEPT_WORDS or phrase in GLOSSARY:
            out.themes.append(phrase)
    elif label == "gift":
        out.gift = True
    elif label == "colour":
        out.colours.append(COLOUR_WORDS[phrase])
    elif label == "kind":
        out.kinds.append(phrase)
        if before == "for" or (before in _DETERMINERS and i > 1 and spans[i - 2][0] == "for"):
            out.purposes.append(phrase)  # "something for tea": for use with it, maybe not the thing itself
        if phrase in CONCEPT_WORDS:
            out.concepts.append(CONCEPT_WORDS[phrase])
    elif phrase in PRONOUN_WORDS and (before in GIVING_EN or before in GIVING_ZH):
        out.pronouns.append(PRONOUN_WORDS[phrase])
    elif (
        label is None
        and phrase not in STOP_WORDS
        and (len(phrase) >= 3 if phrase.isascii() else len(phrase) >= 2)
    ):
        out.other.append(phrase)


def _refusal(spans: list[tuple[str, str | None]], i: int, out: RequestWords) -> int:
    """Read what a refusal covers from span i on; the index of the first span after it."""
    found = False
    while i < len(spans):
        phrase, label = spans[i]
        if label == "kind":
            out.excluded_kinds.append(phrase)
            if phrase in CONCEPT_WORDS:
                out.excluded_concepts.append(CONCEPT_WORDS[phrase])
            found = True
        elif label == "colour":
            out.excluded_colours.append(COLOUR_WORDS[phrase])
            found = True
        elif label == "occasion" and (phrase in CONCEPT_WORDS or phrase in GLOSSARY):
            out.excluded_kinds.append(phrase)
            if phrase in CONCEPT_WORDS:
                out.excluded_concepts.append(CONCEPT_WORDS[phrase])
            found = True
        elif label == "neg" or (not found and phrase in NEGATION_FILLERS):
            pass
        elif found and (label == "connector" or phrase in SCOPE_END):
            if label == "connector" and not _continues(spans, i + 1):
                return i + 1
        else:
            return i
        i += 1
    return i


def _continues(spans: list[tuple[str, str | None]], i: int) -> bool:
    """After "and"/"和" in a refusal: does another kind or colour follow ("no candles or lanterns")?"""
    while i < len(spans) and spans[i][0] in ("the", "any", "a", "an", "more"):
        i += 1
    return i < len(spans) and spans[i][1] in ("kind", "colour")

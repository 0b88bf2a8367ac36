"""Whether a catalogue's product text means anything to the loaded embedding model.

The bundled all-MiniLM-L6-v2 was trained on English: a Chinese-only name gives it mostly unknown pieces
and a name that is only a SKU code gives it no words at all, so their vectors place products next to
each other at random. `assess` scores a catalogue once, at build: the share of product texts that carry
words in a language the model reads. Below `USABLE_FROM` the text-based parts (explore by embedding,
the offline model's text taste) are switched off and purchase history fills their slots; between that
and `FULL_FROM` they are down-weighted in proportion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.encoder import model_languages

# Below half the catalogue readable, most explore neighbours would be drawn at random: switched off.
# From four in five readable, a product's neighbours are nearly all meaningful: full weight.
USABLE_FROM = 0.5
FULL_FROM = 0.8
# One Han character carries about as much as three Latin letters (a Chinese word is one to three
# characters, an English word about five letters), so a text is CJK when 3 x its CJK characters exceed
# its Latin word letters: "铁观音 - tea" is CJK, "Oolong tea 乌龙" is English.
CJK_LETTER_WEIGHT = 3
SAMPLE = 5000  # texts read per catalogue: ~0.05 s, and the share's standard error stays under 0.7%

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN = re.compile(r"[^\W_]+(?:[-_./][^\W_]+)*")
_LATIN_WORD = re.compile(r"[a-z]{3,}")
_VOWEL = re.compile(r"[aeiouy]")
CODE_WORDS = frozenset({"sku", "ref", "upc", "ean", "plu", "art", "pcs"})  # label a code, say nothing


def text_language(text: str, ignore: Iterable[str] = ()) -> str:
    """What a product text is written in: "en" (Latin words), "zh" (mostly CJK characters), "code"
    (only SKU-like codes, digits, or nothing) or "other" (letters of another script).

    Tokens in `ignore` (lower-case; e.g. the catalogue's category slugs, shared by many products and so
    no help in telling them apart) do not count.
    """
    skip = set(ignore)
    cjk = len(_CJK.findall(text))
    latin, other = 0, 0
    for token in _TOKEN.findall(_CJK.sub(" ", text).lower()):
        if token in skip or token in CODE_WORDS or any(c.isdigit() for c in token):
            continue  # a code such as TEA-0042 or 250g
        if token.isascii():
            latin += sum(len(w) for w in _LATIN_WORD.findall(token) if _VOWEL.search(w))
        else:
            other += len(token)
    if cjk and CJK_LETTER_WEIGHT * cjk > latin:
        return "zh"
    if latin:
        return "en"
    return "other" if other else "code"


@dataclass(frozen=True)
class TextUsability:
    """How far the catalogue's text can be trusted for similarity, and what the recommender does about it."""

    score: float  # share of product texts in a language the model reads
    weight: float  # how much the text-based parts count: 0 (off) .. 1 (full)
    languages: dict[str, int]  # product texts (of the sample read) per `text_language`
    model: str
    texts: int = 0  # product texts in the catalogue (more than were read when sampled)

    @property
    def mode(self) -> str:
        """The mode's name: text+history, history-led (text down-weighted) or history-only (text off)."""
        if self.weight >= 1.0:
            return "text+history"
        return "history-led" if self.weight > 0 else "history-only"

    def describe(self) -> str:
        """One line for the build log and the readiness details: the mode and why."""
        shares = ", ".join(f"{lang} {n}" for lang, n in sorted(self.languages.items(), key=lambda x: -x[1]))
        read = sum(self.languages.values())
        sampled = f" (a sample of {read})" if read < self.texts else ""
        why = f"{self.score:.0%} of {max(read, self.texts)} product texts{sampled} readable by {self.model}"
        if self.weight >= 1.0:
            return f"recommender mode text+history: {why} ({shares})"
        action = "down-weighted" if self.weight > 0 else "switched off"
        return (
            f"recommender mode {self.mode}: {why} ({shares}); similar-item and text-taste suggestions "
            f"{action}, co-purchase and repeat purchases fill their places"
        )


FULL_TEXT = TextUsability(1.0, 1.0, {}, "")  # assumed when nothing was assessed


def assess(
    texts: Sequence[str], languages: frozenset[str] | None, model: str = "", ignore: Iterable[str] = ()
) -> TextUsability:
    """Score product texts against the languages the model reads (None: any) once per catalogue; a big
    catalogue is read in a (seeded) random sample of `SAMPLE` texts (a share known to about 1%)."""
    skip = {token for label in ignore for token in _TOKEN.findall(label.lower())}  # "Home Decor": 2
    counts: dict[str, int] = {}
    read = list(texts)
    if len(texts) > SAMPLE:  # at random, not every nth: a catalogue's order can repeat a pattern
        picked = np.random.default_rng(0).choice(len(texts), SAMPLE, replace=False)
        read = [texts[n] for n in np.sort(picked)]
    for text in read:
        lang = text_language(text, skip)
        counts[lang] = counts.get(lang, 0) + 1
    if not read:
        return TextUsability(1.0, 1.0, counts, model)
    readable = sum(
        n for lang, n in counts.items() if lang != "code" and (languages is None or lang in languages)
    )
    score = readable / len(read)
    weight = min(max((score - USABLE_FROM) / (FULL_FROM - USABLE_FROM), 0.0), 1.0)
    return TextUsability(round(score, 4), round(weight, 4), counts, model, len(texts))


def encoder_languages(encoder: object) -> frozenset[str] | None:
    """The encoder's own `languages` if it declares them, else read from its model id."""
    declared = getattr(encoder, "languages", "unknown")
    if declared is None or isinstance(declared, frozenset):
        return declared
    return model_languages(str(getattr(encoder, "model_id", "")))

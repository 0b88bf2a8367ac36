"""Words of a request or a product name: Chinese segmented with jieba, English lower-cased and singular.

jieba's dictionary is loaded once, on first use and without its start-up chatter on stderr; a catalogue
adds its own words to it (`add_words`) so "普洱" or "纸灯笼" come out whole.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*|[\u4e00-\u9fff]+|[,;.!?、，；。！？&/+()（）]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_IRREGULAR = {
    "scarves": "scarf",
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
    "children": "child",
    "mice": "mouse",
    "jewelry": "jewellery",
    "colors": "colour",
    "color": "colour",
    "colours": "colour",
    "glasses": "glass",
    "christmases": "christmas",
    "christmas": "christmas",
    "xmas": "xmas",
    "canvas": "canvas",
    "atlas": "atlas",
}
_NOT_PLURAL = ("ss", "us", "is", "ous", "'s")
# English words that carry no product meaning even where a name holds them ("Year of the Dragon").
STOP_WORDS = frozenset(
    "a an the some something anything for to of in on at by from with please show me her his my our their "
    "do you have any one ones it its this that these those what which can could i we want need looking look "
    "find get is are was be and or but also just maybe perhaps thing things item items else more less nice "
    "good lovely new year day set pack piece".split()
)

NAME_FREQUENCY = 2000  # a product name outweighs the common words it is made of ("纸" + "灯笼")
_lock = threading.Lock()
_tokenizer: Any = None
_added: set[str] = set()


def _jieba() -> Any:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." otherwise goes to stderr
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _tokenizer = tokenizer
        return _tokenizer


def add_words(words: Iterable[str], whole: bool = False) -> None:
    """Teach the segmenter words it should keep whole (a catalogue's category labels and product names).

    By default each word gets the frequency that just keeps it whole (jieba's `suggest_freq`, which
    segments it: fine for a few labels); `whole=True` gives a fixed one instead, for thousands of names."""
    new = [w for w in words if w and _HAN.search(w) and w not in _added]
    if not new:
        return
    tokenizer = _jieba()
    with _lock:
        for word in new:
            if word not in _added:
                tokenizer.add_word(word, NAME_FREQUENCY if whole else None)
                _added.add(word)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """An English word's singular, lower-case form ("scarves" -> "scarf", "boxes" -> "box")."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(_NOT_PLURAL):
        return w[:-1]
    return w


def phrase_key(phrase: str) -> str:
    """An English phrase as its words' stems joined by spaces ("Tea Sets" -> "tea set")."""
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", phrase.lower()))


def cut_chinese(text: str) -> list[str]:
    """A run of Chinese characters as jieba's words."""
    return [w for w in _jieba().lcut(text, HMM=False) if w.strip()]


def tokens(text: str) -> list[str]:
    """The words and punctuation of `text`: English stemmed, hyphenated words split, Chinese segmented."""
    out: list[str] = []
    for raw in _TOKEN.findall(text.lower()):
        if _HAN.match(raw):
            out.extend(cut_chinese(raw))
        elif raw[0].isalnum():
            out.extend(stem(part) for part in re.split(r"-", raw.replace("’", "'")) if part)
        else:
            out.append(raw)
    return out

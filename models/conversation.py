"""One turn of the clerk's conversation: the customer's words in, ranked items with reasons out.

Each turn reads the utterance (`models.utterance`), folds it into the previous turn's constraints, maps
kinds of product to the catalog's own categories (the catalogue's vocabulary of names and labels in both
languages, then a lexicon concept's category by name or, in English only, by embedding), embeds the
request, blends it with the member's taste, and searches the item index with price, category, colour and
item exclusions applied as hard filters on an over-fetched search. A kind the catalogue does not carry
matches nothing, and the clerk is told so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from models.candidates import Fact, ItemIndex, Suggestion, indexed
from models.catalog import Catalog
from models.encoder import Encoder, TextEncoder
from models.glossary import is_department
from models.i18n import join_list, join_parts, money, recipient_text, resolve_lang, say
from models.lexicon import CategoryMatcher, gift_concepts
from models.member import MemberFacts
from models.request_words import CONCEPT_WORDS
from models.utterance import Parsed, parse_utterance
from models.vocabulary import CatalogVocabulary, colour_mask

ANCHOR_WEIGHT = 0.7  # "like the lantern": the lantern's vector against the words of the request
PLAIN_SEARCH_SHARE = 0.5  # from this share of the catalog passing the filters, over-fetch and filter here


@dataclass(frozen=True)
class Constraints:
    """What the customer has asked for so far; each turn refines the previous turn's constraints."""

    min_price: float | None = None
    max_price: float | None = None
    price_below: float | None = None  # strict: "cheaper" than every item last shown
    price_above: float | None = None  # strict: "pricier" than every item last shown
    categories: tuple[str, ...] = ()  # only these (empty: any)
    excluded_categories: tuple[str, ...] = ()
    excluded_items: tuple[int, ...] = ()
    recipient: str | None = None
    occasion: str | None = None
    gift: bool = False
    anchor_item: int | None = None
    topic: str = ""  # the words embedded for the request
    named_categories: tuple[str, ...] = ()  # the categories the customer's words named (not a gift's)
    colours: tuple[str, ...] = ()  # any of these colours
    excluded_colours: tuple[str, ...] = ()
    excluded_words: tuple[str, ...] = ()  # refused kinds narrower than a category; their items excluded
    unmatched: tuple[str, ...] = ()  # kinds asked for that the catalogue does not carry: nothing passes

    def allows(self, catalog: Catalog) -> np.ndarray:
        """Which catalog rows pass every hard filter (a mask aligned with the catalog's rows)."""
        price = catalog.prices
        ok = np.full(len(catalog), not self.unmatched, dtype=bool)
        if self.min_price is not None:
            ok &= price >= self.min_price
        if self.max_price is not None:
            ok &= price <= self.max_price
        if self.price_below is not None:
            ok &= price < self.price_below
        if self.price_above is not None:
            ok &= price > self.price_above
        if self.categories or self.excluded_categories:
            wanted = np.full(len(catalog.categories), not self.categories)
            wanted[[catalog.categories.index(c) for c in self.categories]] = True
            wanted[[catalog.categories.index(c) for c in self.excluded_categories]] = False
            ok &= wanted[catalog.category_codes]
        if self.colours:
            ok &= np.logical_or.reduce([colour_mask(catalog, c) for c in self.colours])
        for colour in self.excluded_colours:
            ok &= ~colour_mask(catalog, colour)
        banned = catalog.rows(
            [*self.excluded_items, *([self.anchor_item] if self.anchor_item is not None else [])]
        )
        ok[banned[banned >= 0]] = False
        return ok


@dataclass(frozen=True)
class ConversationTurn:
    """The answer to one utterance, with everything the next turn may refer back to."""

    utterance: str
    lang: str
    parsed: Parsed
    constraints: Constraints
    suggestions: tuple[Suggestion, ...]
    message: str = ""


def _union(*groups: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for g in groups for c in g))


@dataclass(frozen=True)
class _Kinds:
    """Kinds of product resolved against the catalogue."""

    categories: tuple[str, ...] = ()
    whole: tuple[str, ...] = ()  # the categories named as a whole ("candles", not "红茶" within tea)
    unmatched: tuple[str, ...] = ()  # asked for, carried nowhere
    items: tuple[int, ...] = ()  # the items of the kinds narrower than a category
    narrow_words: tuple[str, ...] = ()


def _resolve(
    words: Sequence[str], vocabulary: CatalogVocabulary, matcher: CategoryMatcher, catalog: Catalog
) -> _Kinds:
    """Categories the words name (the catalogue's own words first, then a lexicon concept's category)."""
    categories: list[str] = []
    whole: list[str] = []
    unmatched: list[str] = []
    items: list[int] = []
    narrow: list[str] = []
    for word in words:
        found = vocabulary.match(word)
        if found is None:
            # A department may go by another name ("toys": "Kids"); a specific kind is simply not carried.
            concept = CONCEPT_WORDS.get(word) if is_department(word) else None
            via = matcher.concept(concept) if concept else ()
            categories += via
            whole += via
            unmatched += [] if via else [word]
            continue
        categories += found.categories
        codes = [catalog.categories.index(c) for c in found.categories]
        if found.rows and len(found.rows) < int(np.isin(catalog.category_codes, codes).sum()):
            items += catalog.ids[list(found.rows)].tolist()
            narrow.append(word)
        else:
            whole += found.categories
    return _Kinds(_union(categories), _union(whole), tuple(unmatched), tuple(items), tuple(narrow))


def _fold(
    parsed: Parsed,
    prev: ConversationTurn | None,
    utterance: str,
    catalog: Catalog,
    matcher: CategoryMatcher,
    vocabulary: CatalogVocabulary,
) -> Constraints:
    """The previous constraints updated by what this utterance says."""
    base = prev.constraints if prev is not None else Constraints()
    shown = [s.item_id for s in prev.suggestions] if prev is not None else []
    shown_prices = [catalog.price(i) for i in shown if i in catalog]
    c = base
    if parsed.has_topic and not (parsed.cheaper or parsed.pricier):
        # "cheaper" compared with what was shown; a new request starts from the stated budget again.
        c = replace(c, price_below=None, price_above=None)
    if parsed.min_price is not None or parsed.max_price is not None:
        c = replace(
            c, min_price=parsed.min_price, max_price=parsed.max_price, price_below=None, price_above=None
        )
    if parsed.cheaper:
        c = replace(c, price_below=min(shown_prices) if shown_prices else c.max_price, price_above=None)
    if parsed.pricier:
        c = replace(c, price_above=max(shown_prices) if shown_prices else c.min_price, price_below=None)
    asked = _resolve(parsed.kinds, vocabulary, matcher, catalog)
    refused = _resolve(parsed.excluded_kinds, vocabulary, matcher, catalog)
    wanted = asked.categories
    unwanted = refused.whole
    recipient = parsed.recipient or c.recipient
    occasion = parsed.occasion or c.occasion
    anchor = c.anchor_item
    if parsed.anchor_phrase:
        anchor = catalog.match_name(parsed.anchor_phrase, prefer=shown)
    elif parsed.more_like_this and shown:
        anchor = shown[0]
    elif parsed.has_topic:
        anchor = None
    categories, named = c.categories, c.named_categories
    if wanted:
        categories = named = wanted
    elif parsed.gift:
        categories, named = _union(*(matcher.concept(x) for x in gift_concepts(recipient, occasion))), ()
    elif parsed.anchor_phrase or parsed.more_like_this:
        categories = named = ()
    unmatched = c.unmatched
    if parsed.kinds:
        # "something for tea" in a shop without tea asks for tea things: the request's meaning finds them.
        unmatched = () if wanted else tuple(w for w in asked.unmatched if w not in parsed.purposes)
    elif parsed.has_topic:
        unmatched = ()
    colours = c.colours
    if parsed.colours or parsed.kinds:
        colours = parsed.colours
    excluded_items = tuple(dict.fromkeys((*c.excluded_items, *refused.items)))
    if parsed.not_that_one and shown:
        excluded_items = tuple(dict.fromkeys((*excluded_items, shown[0])))
        anchor = None if anchor == shown[0] else anchor
    excluded = tuple(x for x in _union(c.excluded_categories, unwanted) if x not in wanted)
    topic = c.topic
    if parsed.has_topic or not topic:
        topic = parsed.topic or utterance
    if (parsed.anchor_phrase or parsed.more_like_this) and anchor is not None:
        if not (parsed.kinds or parsed.words or parsed.gift):
            topic = catalog.name(anchor)  # "like the lantern" says nothing beyond the lantern itself
    return replace(
        c,
        categories=tuple(x for x in categories if x not in excluded),
        named_categories=tuple(x for x in named if x not in excluded),
        excluded_categories=excluded,
        colours=tuple(x for x in colours if x not in parsed.excluded_colours),
        excluded_colours=_union(
            tuple(x for x in c.excluded_colours if x not in parsed.colours), parsed.excluded_colours
        ),
        excluded_words=_union(c.excluded_words, refused.narrow_words),
        unmatched=unmatched,
        excluded_items=excluded_items,
        recipient=recipient,
        occasion=occasion,
        gift=parsed.gift or c.gift,
        anchor_item=anchor,
        topic=topic,
    )


def filtered_search(
    index: ItemIndex,
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    constraints: Constraints,
    passing: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The k best (item id, score) passing the constraints, best first (ties by lower id).

    When most of the catalog passes, the index is searched plainly for more than k and the hits are
    filtered here; when the filters are narrow, the index applies them itself (an `allowed` mask), since
    over-fetching would have to read deep into the ranking. Either way the search widens until k pass or
    every allowed item has been asked for. `passing`: `constraints.allows(catalog)`, if already known."""
    passing = constraints.allows(catalog) if passing is None else passing
    n_allowed = int(passing.sum())
    if n_allowed == 0:
        return []
    q = np.asarray(query, dtype=np.float32).reshape(1, -1)
    share = n_allowed / len(catalog)
    mask = None
    if share < PLAIN_SEARCH_SHARE:
        mask = np.zeros(int(catalog.ids.max()) + 1, dtype=bool)
        mask[catalog.ids[passing]] = True
    fetch = k if mask is not None else min(len(catalog), math.ceil(2 * k / share) + 16)
    while True:
        ids, scores = index.search(q, fetch, allowed=mask)
        rows = catalog.rows(ids[0])
        ok = (ids[0] >= 0) & (rows >= 0)
        ok[ok] = passing[rows[ok]]
        found = list(zip(ids[0][ok].tolist(), scores[0][ok].tolist(), strict=True))
        if len(found) >= min(k, n_allowed) or fetch >= (n_allowed if mask is not None else len(catalog)):
            break
        fetch = min(fetch * 4, len(catalog))
    found.sort(key=lambda f: (-round(f[1], 6), f[0]))
    return found[:k]


def encode_request(encoder: Encoder, text: str) -> np.ndarray:
    """One request's vector. A customer's words are seldom said twice and are theirs: they skip the disk
    cache, which would otherwise keep every request ever made."""
    if isinstance(encoder, TextEncoder):
        return encoder.encode([text], cache=False)[0]
    return np.asarray(encoder.encode([text]), dtype=np.float32)[0]


def _query(
    c: Constraints, index: ItemIndex, encoder: Encoder, taste: np.ndarray | None, taste_weight: float
) -> np.ndarray:
    vector = encode_request(encoder, c.topic) if c.topic else None
    if c.anchor_item is not None and c.anchor_item in index:  # else its name, the topic, stands in
        anchor = np.asarray(index.vectors(np.array([c.anchor_item])), dtype=np.float32)[0]
        vector = anchor if vector is None else ANCHOR_WEIGHT * anchor + (1 - ANCHOR_WEIGHT) * vector
    if taste is not None:
        vector = taste if vector is None else (1 - taste_weight) * vector + taste_weight * taste
    if vector is None:
        raise ValueError("nothing to search by: no words, no anchor item and no taste vector")
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _reason(
    item: int,
    score: float,
    c: Constraints,
    catalog: Catalog,
    lang: str,
    taste_sim: float | None,
    preference: float = 0.0,
) -> Suggestion:
    name, price = catalog.name(item, lang), catalog.price(item)
    category = catalog.category(item)
    parts = []
    facts: dict[str, Fact] = {"item_id": item, "item_name": name, "price": price, "category": category}
    if c.anchor_item is not None:
        parts.append(say("chat_like", lang, anchor=catalog.name(c.anchor_item, lang)))
        facts["anchor_item_id"] = c.anchor_item
    limit = min((x for x in (c.max_price, c.price_below) if x is not None), default=None)
    if limit is not None:
        parts.append(say("chat_price_under", lang, amount=money(limit, catalog.currency)))
        facts["price_limit"] = limit
    if c.min_price is not None or c.price_above is not None:
        floor = max(x for x in (c.min_price, c.price_above) if x is not None)
        parts.append(say("chat_price_over", lang, amount=money(floor, catalog.currency)))
        facts["price_floor"] = floor
    if c.gift:
        recipient = recipient_text(c.recipient, lang) if c.recipient else None
        parts.append(say("chat_gift", lang, recipient=recipient) if recipient else say("chat_gift_any", lang))
        facts.update({"recipient": c.recipient or "", "occasion": c.occasion or ""})
    elif c.categories:
        parts.append(say("chat_category", lang, category=catalog.category_label(category, lang)))
    if preference > 0 or (taste_sim is not None and taste_sim >= 0.5):
        parts.append(say("chat_taste", lang))
    if taste_sim is not None and taste_sim >= 0.5:
        facts["taste_similarity"] = round(taste_sim, 3)
    if preference > 0:
        facts["model_preference"] = round(preference, 3)
    text = say(
        "chat_item", lang, item=name, price=money(price, catalog.currency), why=join_parts(parts, lang)
    )
    return Suggestion(
        item,
        round(score, 6),
        "chat",
        text if parts else say("chat_item_plain", lang, item=name, price=money(price, catalog.currency)),
        facts,
    )


PREFERENCE_WEIGHT = 0.2  # on the cosine scale of the request's match: a lift, not an override
UNREADABLE_PREFERENCE = 10.0  # beyond any cosine: the member's preferred items first


def _lifted(
    found: list[tuple[int, float]],
    preferred: Mapping[int, float],
    passing: np.ndarray,
    catalog: Catalog,
    index: ItemIndex,
    query: np.ndarray,
    k: int,
) -> tuple[list[tuple[int, float]], dict[int, float]]:
    """`found` merged with the preferred items that pass the filters, each scored by its match to the
    request plus PREFERENCE_WEIGHT times its preference; the k best, and the preference of each."""
    ids = np.array(list(preferred), dtype=np.int64)
    rows = catalog.rows(ids)
    ok = rows >= 0
    ok[ok] = passing[rows[ok]]
    ids = ids[ok]
    ids = ids[indexed(index, ids)]
    merged = dict(found)
    if len(ids):
        match = np.asarray(index.vectors(ids), dtype=np.float32) @ np.asarray(query, dtype=np.float32)
        merged.update(zip(ids.tolist(), match.tolist(), strict=True))
    lift = {i: float(preferred[i]) for i in merged if preferred.get(i, 0.0) > 0}
    # A catalogue the text model cannot read (models.text_usability) makes the request's match noise:
    # then what the model expects the member to buy leads, and the match only breaks ties.
    weight = PREFERENCE_WEIGHT if float(getattr(index, "text_weight", 1.0)) > 0 else UNREADABLE_PREFERENCE
    scored = [(i, s + weight * lift.get(i, 0.0)) for i, s in merged.items()]
    scored.sort(key=lambda f: (-round(f[1], 6), f[0]))
    return scored[:k], lift


def respond(
    member: MemberFacts | None,
    turns_so_far: Sequence[ConversationTurn],
    utterance: str,
    *,
    catalog: Catalog,
    index: ItemIndex,
    encoder: Encoder,
    taste_vector: np.ndarray | None = None,
    k: int = 5,
    lang: str | None = None,
    taste_weight: float = 0.25,
    vocabulary: CatalogVocabulary | None = None,
    preferred: Mapping[int, float] | None = None,
) -> ConversationTurn:
    """Answer one utterance given the turns so far: ranked items with reasons and the constraints in force.

    Items are ranked by how close they are to the request (its words, an anchor item, the member's taste);
    `preferred` (item id -> 0..1, the served model's ranking of the member's likely next items) lifts
    those of them that pass the request's filters by up to PREFERENCE_WEIGHT, so among the items that
    fit the request, the ones the model expects this member to buy come first."""
    if not utterance.strip():
        raise ValueError("the utterance is empty")
    if k < 1 or not 0.0 <= taste_weight <= 1.0:
        raise ValueError("k must be at least 1 and taste_weight within 0..1")
    lang = resolve_lang(lang, member.locale if member is not None else None)
    vocabulary = vocabulary or CatalogVocabulary.for_catalog(catalog)
    parsed = parse_utterance(utterance, vocabulary)
    prev = turns_so_far[-1] if turns_so_far else None
    matcher = CategoryMatcher.for_catalog(catalog, encoder)
    constraints = _fold(parsed, prev, utterance, catalog, matcher, vocabulary)
    query = _query(constraints, index, encoder, taste_vector, taste_weight)
    passing = constraints.allows(catalog)
    found = filtered_search(index, catalog, query, k, constraints, passing)
    lift: dict[int, float] = {}
    if preferred:
        found, lift = _lifted(found, preferred, passing, catalog, index, query, k)
    taste_sims: list[float | None] = [None] * len(found)
    if taste_vector is not None and found:
        vectors = np.asarray(index.vectors(np.array([i for i, _ in found])), dtype=np.float32)
        taste_sims = [float(s) for s in vectors @ np.asarray(taste_vector, dtype=np.float32)]
    suggestions = tuple(
        _reason(item, score, constraints, catalog, lang, sim, lift.get(item, 0.0))
        for (item, score), sim in zip(found, taste_sims, strict=True)
    )
    message = "" if suggestions else say("chat_nothing", lang)
    if constraints.unmatched:
        message = say("chat_not_carried", lang, words=join_list(list(constraints.unmatched), lang))
    return ConversationTurn(utterance, lang, parsed, constraints, suggestions, message)

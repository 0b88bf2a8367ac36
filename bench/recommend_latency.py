"""How fast the clerk hears something: the served model's list for one member, and one conversation turn.

Run: python bench/recommend_latency.py [--items 100000] [--index hnsw|exact]. The catalog is the Online
Retail development data (its products, prices, first-sale dates, baskets and members), padded to
--items with generated variants of real products (each a real product's vector plus noise, so the
index holds a realistic spread); without the data file a catalog is generated altogether.

The index is `models.index.CatalogIndex`, HNSW for the padded catalog (built with efConstruction 64 by
default to keep the run short; searched with the index's own efSearch), or --index exact.

The served model (`models.aisle.AisleRecommender` behind `models.serving.ServedModel`, as the server
serves it) is fitted on the members' baskets over the whole padded catalogue, so it scores every one of
--items items for each member; its item text vectors are the index's own (MiniLM on the real names,
noisy copies for the variants: encoding 100,000 names would take the run's whole budget).

Timed in one run, single-threaded (the CPU is shared): the server's own ranking
(`server.recommendations.served.rank_member`: the member's baskets folded into the model, scored, the top 10
explained) for real members, each read as the server reads them (their latest 2,000 lines), a conversation
turn (`respond`, including encoding the request and the model's lift for the member), a bare faiss search of
the same index and k, and a bare `encode` of one request. Also timed: the list for a member with no history,
filled from best-sellers and trending items (`models.popularity`, built once from the members' purchases
spread over ten stores, as a server builds it once per refresh), half of them with a stated interest. Ends
with one JSON line: {"recommend_p99_ms", "chat_turn_p99_ms", "ratio_to_faiss", "ratio_to_encode_plus_faiss",
"cold_start_p99_ms", "model_fit_s", ...}."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import gc
import gzip
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

# One thread each for BLAS, OpenMP and torch: on a shared CPU, thread pools spinning up for small
# products cost more than they save. Set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.aisle import AisleRecommender  # noqa: E402
from models.candidates import taste_vector  # noqa: E402
from models.catalog import Catalog, CatalogItem  # noqa: E402
from models.conversation import ConversationTurn, respond  # noqa: E402
from models.data import is_merchandise, normalize_user_id  # noqa: E402
from models.dataset import Dataset  # noqa: E402
from models.encoder import TextEncoder  # noqa: E402
from models.index import CatalogIndex  # noqa: E402
from models.member import MemberFacts, Purchase  # noqa: E402
from models.popularity import Popularity, fill_popular  # noqa: E402
from models.purchase_patterns import CoPurchase, RepurchaseCycles  # noqa: E402
from models.serving.served import ServedModel, baskets_of  # noqa: E402
from server.recommendations.facts import MAX_LINES  # noqa: E402
from server.recommendations.served import Binding, Explainer, preferences, rank_member, ranked_products  # noqa: E402, F401

DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
)
# Online Retail has no categories: a first keyword in the description decides (checked in this order).
CATEGORY_WORDS = (
    ("christmas", ("CHRISTMAS", "XMAS", "ADVENT")),
    ("candles", ("CANDLE", "T-LIGHT", "TEALIGHT")),
    ("lights", ("LANTERN", "LIGHT", "LAMP")),
    ("bags", ("BAG", "PURSE", "TOTE")),
    ("kitchen", ("MUG", "CUP", "PLATE", "BOWL", "CAKE", "TEA", "JAR", "BAKING", "LUNCH", "CUTLERY")),
    ("stationery", ("CARD", "NOTEBOOK", "PEN", "PENCIL", "WRAP", "PAPER", "STICKER", "BOOK")),
    ("toys", ("TOY", "GAME", "DOLL", "PUZZLE", "SPACEBOY", "SKITTLES")),
    ("garden", ("GARDEN", "PLANT", "FLOWER", "BIRD")),
    ("jewellery", ("NECKLACE", "BRACELET", "EARRINGS", "RING")),
    ("storage", ("BOX", "TIN", "BASKET", "STORAGE")),
    ("party", ("PARTY", "BUNTING", "BALLOON", "NAPKIN")),
)
SESSIONS = (
    ("a gift for her mother under 30", "cheaper", "not candles", "something like the lantern"),
    ("送妈妈的生日礼物，三十块以内", "便宜一点", "不要蜡烛", "像那个灯笼一样的"),
    ("christmas decorations for the shop window", "between 5 and 15", "not that one", "more like this"),
    ("kitchen things for a new home", "no mugs", "under 10", "something like the cake stand"),
    ("toys for my son's birthday", "cheaper", "不要这个", "more like this"),
    ("a present for a colleague, about 12 pounds", "not cards", "pricier", "something like the tin"),
)


def category_of(description: str) -> str:
    """The bench's keyword category of an Online Retail description."""
    upper = description.upper()
    for category, words in CATEGORY_WORDS:
        if any(w in upper for w in words):
            return category
    return "home_decor"


def read_online_retail(
    path: Path,
) -> tuple[list[CatalogItem], list[MemberFacts], CoPurchase, RepurchaseCycles]:
    """Products, members with their purchases, and store-wide patterns from the Online Retail file."""
    names: dict[str, str] = {}
    prices: dict[str, list[float]] = defaultdict(list)
    first: dict[str, dt.date] = {}
    lines: list[tuple[str, str, str, dt.date, int, float]] = []  # invoice, member, code, day, qty, price
    with gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["StockCode"].strip()
            if row["InvoiceNo"].startswith("C") or not is_merchandise(code) or not row["Description"]:
                continue
            qty, price = int(float(row["Quantity"])), float(row["UnitPrice"])
            if qty <= 0 or price <= 0:
                continue
            day = dt.date.fromisoformat(row["InvoiceDate"][:10])
            names.setdefault(code, row["Description"].strip())
            prices[code].append(price)
            first[code] = min(first.get(code, day), day)
            member = normalize_user_id(row["CustomerID"])
            if member:
                lines.append((row["InvoiceNo"], member, code, day, qty, price))
    codes = sorted(names)
    item_id = {code: n + 1 for n, code in enumerate(codes)}
    items = [
        CatalogItem(
            item_id[c],
            c,
            {"en": names[c].capitalize()},
            category_of(names[c]),
            float(np.median(prices[c])),
            first[c],
        )
        for c in codes
    ]
    by_member: dict[str, list[Purchase]] = defaultdict(list)
    for _, member, code, day, qty, price in lines:
        by_member[member].append(Purchase(item_id[code], day, qty, price))
    members = [MemberFacts(int(m), f"member {m}", purchases=tuple(p)) for m, p in sorted(by_member.items())]
    invoices = np.unique([inv for inv, *_ in lines], return_inverse=True)[1]
    ids = np.array([item_id[code] for _, _, code, *_ in lines])
    member_keys = np.array([int(m) for _, m, *_ in lines])
    days = np.array([d.toordinal() for *_, d, _, _ in lines])
    return (
        items,
        members,
        CoPurchase.from_lines(invoices, ids),
        RepurchaseCycles.from_lines(member_keys, ids, days),
    )


def generated_items(n: int, start_id: int, seed: int = 0) -> list[CatalogItem]:
    """Made-up products, for a run without the data file."""
    rng = np.random.default_rng(seed)
    colours = ("white", "red", "pink", "blue", "green", "gold", "silver", "black", "cream", "vintage")
    nouns = [w.lower() for _, words in CATEGORY_WORDS for w in words] + ["cushion", "vase", "frame", "clock"]
    out = []
    for n_ in range(n):
        name = f"{colours[rng.integers(len(colours))]} {nouns[rng.integers(len(nouns))]} no. {n_}"
        day = dt.date(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 340)))
        out.append(
            CatalogItem(
                start_id + n_,
                f"GEN{n_}",
                {"en": name},
                category_of(name),
                round(float(rng.uniform(0.5, 40)), 2),
                day,
            )
        )
    return out


def generated_members(
    items: list[CatalogItem], n: int, seed: int = 0
) -> tuple[list[MemberFacts], CoPurchase, RepurchaseCycles]:
    """Made-up members who visit 3..30 times and buy 1..8 items a visit, mostly from a few favourites."""
    rng = np.random.default_rng(seed)
    members, keys, ids, days = [], [], [], []
    for m in range(n):
        favourites = rng.integers(1, len(items) + 1, 20)
        lines = []
        for visit in range(int(rng.integers(3, 31))):
            day = dt.date(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 340)))
            for item in rng.choice(favourites, int(rng.integers(1, 9))):
                lines.append(Purchase(int(item), day, 1, items[int(item) - 1].price))
                keys.append(m * 1000 + visit)
                ids.append(int(item))
                days.append(day.toordinal())
        members.append(MemberFacts(m, f"member {m}", purchases=tuple(lines)))
    member_of = np.array(keys) // 1000
    basket, item, day = np.array(keys), np.array(ids), np.array(days)
    return members, CoPurchase.from_lines(basket, item), RepurchaseCycles.from_lines(member_of, item, day)


class TimedEncoder(TextEncoder):
    """The bundled model (catalog texts cached on disk as usual), counting the seconds spent in the model."""

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(1)
        super().__init__()
        self.seconds = 0.0

    def _encode_uncached(self, texts: list[str], progress: bool) -> np.ndarray:
        t = time.perf_counter()
        try:
            return super()._encode_uncached(texts, progress)
        finally:
            self.seconds += time.perf_counter() - t


STORES = 10


def best_sellers(members: list[MemberFacts], catalog: Catalog) -> Popularity:
    """Best-sellers and trending items from the members' purchases, each member shopping in one of STORES
    stores and each (member, day) one receipt."""
    lines = [(m.member_id, p.item_id, p.day.toordinal(), p.quantity) for m in members for p in m.purchases]
    a = np.array(lines, dtype=np.int64).reshape(-1, 4)
    return Popularity.from_lines(
        catalog,
        stores=a[:, 0] % STORES + 1,
        items=a[:, 1],
        baskets=a[:, 0] * 1_000_000 + a[:, 2],
        days=a[:, 2],
        quantities=a[:, 3],
    )


class CatalogVectors:
    """The index's vectors, served as an encoder of the catalogue's names (English, as MiniLM reads)."""

    model_id = "bench-catalogue-vectors"
    languages = frozenset({"en"})

    def __init__(self, names: list[str], vectors: np.ndarray) -> None:
        self.lookup = dict(zip(names, vectors, strict=True))
        self.dimensions = int(vectors.shape[1])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.stack([self.lookup[t] for t in texts]).astype(np.float32)


def served_model(data: dict[str, Any], catalog: Catalog) -> tuple[Binding, float]:
    """The model fitted on every member's dated baskets, one model item per catalogue row, bound as the
    server binds it (every item may be shown); and the seconds the fit took."""
    members: list[MemberFacts] = data["members"]
    visits = []
    for m in members:
        rows = catalog.rows([p.item_id for p in m.purchases])
        by_day: dict[int, list[int]] = defaultdict(list)
        for p, row in zip(m.purchases, rows, strict=True):
            by_day[p.day.toordinal()].append(int(row))
        visits.append(list(by_day.items()))
    names = [f"{catalog.name_at(r, 'en')} #{r}" for r in range(len(catalog))]  # unique texts
    dataset = Dataset(
        baskets_of(visits),
        np.array([str(m.member_id) for m in members]),
        catalog.ids.astype(str),
        np.array(names),
    )
    t = time.perf_counter()
    model = AisleRecommender(encoder=CatalogVectors(names, data["vectors"])).fit(dataset)
    seconds = time.perf_counter() - t
    order = np.argsort(catalog.ids)
    binding = Binding(
        ServedModel("bench", model),
        "bench",
        catalog.ids[order],
        order.astype(np.int64),
        catalog.ids.astype(np.int64),
        np.ones(len(catalog), dtype=bool),
    )
    return binding, seconds


def p99_ms(seconds: list[float]) -> float:
    """The 99th percentile in milliseconds."""
    return round(float(np.percentile(np.asarray(seconds) * 1000, 99)), 3)


def build(path: Path, n_items: int, encoder: TextEncoder, seed: int = 0) -> dict[str, Any]:
    """Catalog, vectors and purchase patterns; real products first, padded to n_items."""
    rng = np.random.default_rng(seed)
    if path.is_file():
        items, members, co, cycles = read_online_retail(path)
    else:
        items = generated_items(4000, 1, seed)
        members, co, cycles = generated_members(items, 2000, seed)
    real = len(items)
    vectors = encoder.encode([it.names["en"] for it in items])
    source = rng.integers(0, real, n_items - real)
    for n, s in enumerate(source):
        it = items[s]
        price = round(it.price * float(rng.uniform(0.7, 1.4)), 2)
        name = {"en": f"{it.names['en']} (variant {n})"}
        items.append(CatalogItem(real + n + 1, f"PAD{n}", name, it.category, price, it.first_seen))
    noise = rng.standard_normal((len(source), vectors.shape[1])).astype(np.float32)
    padded = vectors[source] + 0.6 * noise / np.sqrt(vectors.shape[1])
    padded /= np.linalg.norm(padded, axis=1, keepdims=True)
    return {
        "catalog": Catalog(items),
        "vectors": np.vstack([vectors, padded]),
        "members": members,
        "real": real,
        "co": co,
        "cycles": cycles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--index", choices=("hnsw", "exact"), default="hnsw")
    parser.add_argument(
        "--ef-construction", type=int, default=64, help="HNSW build effort (speed of the run)"
    )
    parser.add_argument("--members", type=int, default=300)
    args = parser.parse_args()
    t0 = time.perf_counter()
    encoder = TimedEncoder()
    data = build(args.path, args.items, encoder)
    catalog: Catalog = data["catalog"]
    # The padded catalog is past what an exact scan serves in a few ms: HNSW unless --index exact.
    threshold = 0 if args.index == "hnsw" else len(catalog)
    index = CatalogIndex.build(
        catalog.ids, data["vectors"], hnsw_threshold=threshold, ef_construction=args.ef_construction
    )
    raw = index._index  # the faiss index inside, for the bare-search baseline
    binding, fit_seconds = served_model(data, catalog)
    why = Explainer(catalog, data["cycles"], data["co"], index)
    print(
        f"built {len(catalog)} items ({data['real']} base products) in {time.perf_counter() - t0:.0f}s, "
        f"the model fitted in {fit_seconds:.0f}s",
        file=sys.stderr,
    )
    rng = np.random.default_rng(1)
    shoppers = [m for m in data["members"] if len(m.purchases) >= 5] or [MemberFacts(0, "nobody")]
    # a request reads the member's latest MAX_LINES sale lines, as the server does (recommendations/facts.py)
    chosen = [
        dataclasses.replace(shoppers[i], purchases=shoppers[i].purchases[-MAX_LINES:])
        for i in rng.permutation(len(shoppers))[: args.members]
    ]
    today = max(m.last_purchase_day() or dt.date(2011, 12, 10) for m in chosen) + dt.timedelta(days=1)
    # What a server does once loaded: move start-up objects out of the collector's way.
    gc.collect()
    gc.freeze()

    rec, bare = [], []
    for m in chosen * 2:
        m = dataclasses.replace(m)  # a fresh member per call, as per request: nothing cached from before
        t = time.perf_counter()
        rank_member(binding, m, why, today=today, k=10, lang="en")
        rec.append(time.perf_counter() - t)
        q = taste_vector(m, index, catalog, today)
        if q is not None:
            t = time.perf_counter()
            raw.search(q.reshape(1, -1), 10)
            bare.append(time.perf_counter() - t)

    t = time.perf_counter()
    popularity = best_sellers(data["members"], catalog)
    popularity_seconds = time.perf_counter() - t
    categories = list(catalog.categories)
    cold = []
    for n in range(len(chosen) * 2):
        newcomer = MemberFacts(-1 - n, "newcomer")
        interests = [categories[n % len(categories)]] if n % 2 else []
        t = time.perf_counter()
        own = rank_member(binding, newcomer, why, today=today, k=10, lang="en")
        fill_popular(own, newcomer, catalog, popularity, store_id=n % STORES + 1, interests=interests, k=10)
        cold.append(time.perf_counter() - t)

    chat, enc, chat_rest = [], [], []
    # Untimed first pass: builds the category matcher, the concept map and the name index once, as a
    # server does at start-up; the timed turns still encode every request afresh.
    for session in SESSIONS:
        warm: list[ConversationTurn] = []
        for u in session:
            warm.append(respond(None, warm, u, catalog=catalog, index=index, encoder=encoder))
    for n, m in enumerate(chosen[:60]):
        taste = taste_vector(m, index, catalog, today)
        turns: list[ConversationTurn] = []
        for u in SESSIONS[n % len(SESSIONS)]:
            encoding = encoder.seconds
            t = time.perf_counter()
            lift = preferences(binding, m, today=today, k=50)
            turns.append(
                respond(
                    m,
                    turns,
                    u,
                    catalog=catalog,
                    index=index,
                    encoder=encoder,
                    taste_vector=taste,
                    preferred=lift,
                )
            )
            chat.append(time.perf_counter() - t)
            chat_rest.append(chat[-1] - (encoder.seconds - encoding))
            t = time.perf_counter()
            encoder.encode([u], cache=False)  # the bare model on the same words
            enc.append(time.perf_counter() - t)
    result = {
        "recommend_p99_ms": p99_ms(rec),
        "chat_turn_p99_ms": p99_ms(chat),
        "ratio_to_faiss": round(p99_ms(rec) / p99_ms(bare), 2),
        "ratio_to_encode_plus_faiss": round(p99_ms(chat) / (p99_ms(enc) + p99_ms(bare)), 2),
        "cold_start_p99_ms": p99_ms(cold),
        "cold_start_median_ms": round(float(np.median(cold)) * 1000, 3),
        "popularity_build_s": round(popularity_seconds, 3),
        "faiss_search_p99_ms": p99_ms(bare),
        "encode_p99_ms": p99_ms(enc),
        "chat_turn_without_encoding_p99_ms": p99_ms(chat_rest),
        "encode_median_ms": round(float(np.median(enc)) * 1000, 3),
        "recommend_median_ms": round(float(np.median(rec)) * 1000, 3),
        "chat_turn_median_ms": round(float(np.median(chat)) * 1000, 3),
        "items": len(catalog),
        "model_fit_s": round(fit_seconds, 1),
        "index": args.index,
        "recommend_calls": len(rec),
        "chat_turns": len(chat),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The recommender's heavy resources, built from the database once and shared by every request.

An `Engine` holds the catalog (active merchandise), the text encoder, the item index of product
embeddings (name, description and category), the store-wide purchase patterns the reasons are made of,
and the shelf of trained model versions that rank members (`server.recommendations.served`; the one
recommender interface is `models.recommender.Recommender`, and the model is `models.aisle`). It is
immutable: when
the catalog changes, `rebuild_recommender` builds a new one and swaps it in, so a request in flight keeps
the one it started with.

Built is not yet warm: the first encoding of a new text runs torch's first inference, and the first
recommendation reads through code paths and SQL statements nothing has run yet. `RecommenderHolder.warm_up`
builds and then runs the recommender once on the process's own data, so the server says it is ready
(GET /api/v1/health/ready) only when the first arrival would be served as fast as the next.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.catalog import Catalog
from models.encoder import Encoder, TextEncoder
from models.index import CatalogIndex
from models.purchase_patterns import CoPurchase, RepurchaseCycles
from models.text_usability import FULL_TEXT, TextUsability, assess, encoder_languages
from server.db.base import utcnow
from server.db.tables import Member, Product, Store, Transaction, TransactionLine
from server.products.categories import category_names
from server.recommendations.served import ModelShelf

if TYPE_CHECKING:
    from server.core.context import AppContext

ALGORITHM = "catalogue-1"  # bump when the item index or the conversation's search changes meaning
logger = logging.getLogger(__name__)
# Encoded at warm-up without the cache, so torch's first inference is paid then, not by a clerk's chat.
WARM_UP_TEXT = "a gift for her mother, a scented candle under 30"
WARM_UP_CHAT = ("a gift for her mother under 30", "送给妈妈的礼物")  # a chat turn in each language


@dataclass(frozen=True)
class Engine:
    """Everything one recommendation or chat turn reads but the model version; never mutated once built."""

    catalog: Catalog
    encoder: Encoder
    index: CatalogIndex
    copurchase: CoPurchase
    cycles: RepurchaseCycles
    version: str
    built_at: datetime
    text: TextUsability = FULL_TEXT  # whether the model reads the catalogue's text (explore is off if not)
    shelf: ModelShelf | None = None  # the model versions that rank members (server.recommendations.served)


def _zh_name(translations: Any) -> str:
    zh = translations.get("zh") if isinstance(translations, dict) else None
    name = zh.get("name") if isinstance(zh, dict) else None
    return str(name) if name else ""


# How a clerk writes a price in each currency; others are written with their ISO code ("CHF 12").
CURRENCY_SIGNS = {"GBP": "£", "CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "SGD": "S$"}


def catalog_currency(session: Session) -> str:
    """The sign the catalogue's prices are written with: the currency most of the chain's stores use."""
    stmt = (
        select(Store.currency, func.count())
        .group_by(Store.currency)
        .order_by(func.count().desc(), Store.currency)
    )
    row = session.execute(stmt.limit(1)).first()
    code = row[0] if row else "GBP"
    return CURRENCY_SIGNS.get(code, f"{code} ")


def load_catalog(session: Session) -> tuple[Catalog, list[str]]:
    """The active merchandise as a `Catalog` (item id = product id) and the text to embed per row."""
    stmt = (
        select(
            Product.id,
            Product.sku,
            Product.name,
            Product.description,
            Product.category,
            Product.price,
            Product.translations,
            Product.first_seen_at,
        )
        .where(Product.active.is_(True), Product.is_merchandise.is_(True))
        .order_by(Product.id)
    )
    rows = session.execute(stmt).all()
    catalog = Catalog.from_arrays(
        item_ids=[r.id for r in rows],
        skus=[r.sku for r in rows],
        names_en=[r.name for r in rows],
        names_zh=[_zh_name(r.translations) for r in rows],
        categories=[r.category for r in rows],
        prices=[float(r.price) for r in rows],
        first_seen=[r.first_seen_at.date() if r.first_seen_at else None for r in rows],
        category_names=category_names([(r.category, r.translations) for r in rows]),
        currency=catalog_currency(session),
    )
    texts = [" - ".join(p for p in (r.name, (r.description or "").strip(), r.category) if p) for r in rows]
    return catalog, texts


def load_patterns(session: Session) -> tuple[CoPurchase, RepurchaseCycles]:
    """Same-basket counts over every sale, and repurchase cycles over members' sales."""
    stmt = (
        select(TransactionLine.transaction_id, TransactionLine.product_id, Transaction.member_id)
        .add_columns(Transaction.occurred_at)
        .join(Transaction, Transaction.id == TransactionLine.transaction_id)
        .where(Transaction.kind == "sale", TransactionLine.quantity > 0)
    )
    rows = session.execute(stmt).all()
    baskets = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    items = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    copurchase = CoPurchase.from_lines(baskets, items)
    members = [(r[2], r[1], r[3].date().toordinal()) for r in rows if r[2] is not None]
    cycles = RepurchaseCycles.from_lines(
        np.array([m for m, _, _ in members], dtype=np.int64),
        np.array([i for _, i, _ in members], dtype=np.int64),
        np.array([d for _, _, d in members], dtype=np.int64),
    )
    return copurchase, cycles


def _version(encoder: Encoder, catalog: Catalog, texts: list[str]) -> str:
    """Names the algorithm, the embedding model and the catalog the index was built from."""
    digest = hashlib.sha256()
    for item_id, text, price in zip(catalog.ids.tolist(), texts, catalog.prices.tolist(), strict=True):
        digest.update(f"{item_id}\0{text}\0{price}\n".encode())
    model = Path(encoder.model_id).name or encoder.model_id
    return f"{ALGORITHM}/{model[:60]}/{digest.hexdigest()[:12]}"


def catalog_fingerprint(session: Session) -> tuple[Any, ...]:
    """A cheap summary of the active merchandise that changes when products are added, removed, renamed
    or repriced (an import in another process, an edit): compared to decide on a rebuild."""
    stmt = select(
        func.count(Product.id),
        func.max(Product.id),
        func.sum(Product.price),
        func.sum(func.length(Product.name) + func.coalesce(func.length(Product.description), 0)),
        func.sum(Product.id * func.length(Product.category)),
    ).where(Product.active.is_(True), Product.is_merchandise.is_(True))
    row = session.execute(stmt).one()
    return tuple(str(v) for v in row)


class BuildStopped(RuntimeError):
    """A build given up because the server is stopping."""


# Texts embedded per encoder call: a stopping server waits for one such call (a second or two on one core)
# rather than for a whole catalogue, and what was embedded is cached for the next start.
ENCODE_CHUNK = 256


def build_recommender(
    session: Session, encoder: Encoder, stop: threading.Event | None = None, shelf: ModelShelf | None = None
) -> Engine:
    """Read the catalog and sales, embed the products (cached texts skip the model) and index them.

    `shelf`: the server's model versions; without one, the recommender trains its own from the
    database on first use (see `ModelShelf`). Raises BuildStopped between two encoder calls once
    `stop` is set.
    """
    if shelf is None:
        shelf = ModelShelf(sessionmaker(bind=session.get_bind()), None, lambda: encoder)
    catalog, texts = load_catalog(session)
    index = CatalogIndex(encoder.dimensions, model_name=encoder.model_id)
    if len(catalog):
        chunks = []
        for start in range(0, len(texts), ENCODE_CHUNK):
            if stop is not None and stop.is_set():
                raise BuildStopped("the server is stopping: the recommender was not built")
            chunks.append(encoder.encode(texts[start : start + ENCODE_CHUNK]))
        index.add(catalog.ids, np.concatenate(chunks))
    text = assess(texts, encoder_languages(encoder), Path(encoder.model_id).name, ignore=catalog.categories)
    index.text_weight = text.weight
    logger.info("%s", text.describe())
    copurchase, cycles = load_patterns(session)
    version = _version(encoder, catalog, texts) + ("" if text.weight >= 1 else f"/{text.mode}")
    return Engine(catalog, encoder, index, copurchase, cycles, version, utcnow(), text, shelf)


class RecommenderHolder:
    """The process's current `Engine`: built on first use (once, whatever the concurrency)."""

    def __init__(
        self, sessions: sessionmaker[Session], encoder: Callable[[], Encoder], models_dir: Path | None = None
    ) -> None:
        self._sessions = sessions
        self._make_encoder = encoder
        self._encoder: Encoder | None = None
        self.shelf = ModelShelf(sessions, models_dir, self.encoder)
        self._current: Engine | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.fingerprint: tuple[Any, ...] | None = None  # of the catalog the current one was built from
        self._warm = False
        self.warming = False  # a warm-up is running
        self.warm_error: str | None = None  # why the last warm-up failed, if it did
        self.warm_seconds: float | None = None  # how long the warm-up that succeeded took
        # Request paths beyond the recommender that warm-up runs once too (`also_rehearse`), and what each
        # answered when it ran (False: nothing to run it on, e.g. no member yet).
        self._rehearsals: dict[str, Callable[[Engine], bool]] = {}
        self.rehearsed: dict[str, bool] = {}

    def encoder(self) -> Encoder:
        """The text encoder, made on first use."""
        if self._encoder is None:
            self._encoder = self._make_encoder()
        return self._encoder

    def get(self) -> Engine:
        """The current recommender, building it first if nobody has yet."""
        current = self._current
        if current is not None:
            return current
        with self._lock:
            if self._current is None:
                self._current = self._build()
            return self._current

    def rebuild(self) -> Engine:
        """Build a fresh recommender from the database and make it the current one."""
        with self._lock:
            self._current = self._build()
            return self._current

    def stop(self) -> None:
        """Make a build running now, and any later one, give up (BuildStopped): the server is stopping."""
        self._stopping.set()

    def resume(self) -> None:
        """Let builds run again: the app starts anew with the same context (a test's second client)."""
        self._stopping.clear()

    @property
    def current(self) -> Engine | None:
        """The current recommender, or None while none has been built."""
        return self._current

    @property
    def built(self) -> bool:
        """Whether a recommender has been built yet."""
        return self._current is not None

    @property
    def warm(self) -> bool:
        """Whether `warm_up` has finished: the next call is as fast as any later one."""
        return self._warm and self._current is not None

    def also_rehearse(self, name: str, rehearse: Callable[[Engine], bool]) -> None:
        """Have warm-up also run `rehearse` once (a request path that uses the recommender, such as the
        arrival card), so that its first request pays no first time either; not warm until it has run."""
        if name in self._rehearsals:
            return
        self._rehearsals[name] = rehearse
        self._warm = False

    def warm_up(self) -> Engine:
        """Build the recommender if nobody has yet, run each rehearsal not yet run, and count it as warm:
        building runs it once (`_build`), so the next request pays no first time. Quick once warm.

        Raises what building raises, noting it in `warm_error`.
        """
        if self.warm and self._current is not None:
            return self._current
        started = time.perf_counter()
        self.warming = True
        try:
            recommender = self.get()
            self._rehearse(recommender)
        except Exception as exc:
            self.warm_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            raise
        finally:
            self.warming = False
        self.warm_error = None
        self.warm_seconds = round(time.perf_counter() - started, 2)
        self._warm = True
        return recommender

    def _rehearse(self, recommender: Engine) -> None:
        for name, rehearse in list(self._rehearsals.items()):
            if name in self.rehearsed:
                continue
            try:
                self.rehearsed[name] = rehearse(recommender)
            except Exception:  # a request meeting the same error reports it to its caller
                logger.exception("the %s rehearsal failed", name)
                self.rehearsed[name] = False

    def refresh(self) -> bool:
        """Rebuild if the catalog changed since the current one was built; whether it did."""
        if self._current is None:
            return False
        with self._sessions() as session:
            changed = catalog_fingerprint(session) != self.fingerprint
        if changed:
            self.rebuild()
        return changed

    def _build(self) -> Engine:
        encoder = self.encoder()
        with self._sessions() as session:
            # Read first: a change made while building is then seen by the next refresh.
            fingerprint = catalog_fingerprint(session)
            built = build_recommender(session, encoder, self._stopping, self.shelf)
        # Run once before any request sees it: the first build and a rebuild after an import alike.
        try:
            exercise(built, self._sessions)
        except Exception:  # it is built; a request meeting the same error reports it to its caller
            logger.exception("the recommender's trial run failed")
        self.fingerprint = fingerprint
        return built


def exercise(recommender: Engine, sessions: sessionmaker[Session]) -> None:
    """Run `recommender` once as requests would, writing nothing, so that no request pays a first time.

    A fresh encoding (the model's first inference), one member's suggestions and talking points, and a
    chat turn in English and in Chinese (the word segmenter's dictionary, the catalogue's vocabulary),
    for the first member on file. Tens of milliseconds once the model is loaded.
    """
    from models.candidates import taste_vector
    from models.conversation import respond
    from models.talking_points import talking_points
    from server.recommendations.facts import member_facts
    from server.recommendations.served import Explainer, rank_member

    encoder = recommender.encoder
    if isinstance(encoder, TextEncoder):
        encoder.encode([WARM_UP_TEXT], cache=False)
    else:
        encoder.encode([WARM_UP_TEXT])
    catalog, index = recommender.catalog, recommender.index
    if not len(catalog):
        return
    found = []
    with sessions() as session:  # closed without a commit: a read-only run
        member = session.scalars(select(Member).order_by(Member.id).limit(1)).first()
        if member is None:
            return
        now = utcnow()
        today = now.date()
        facts = member_facts(session, member, now)
        shelf = recommender.shelf
        served = shelf.serving(session, member.home_store_id, member.id) if shelf is not None else None
        if served is not None and shelf is not None:
            binding = shelf.binding(served.version, catalog, recommender.version, session)
            why = Explainer(catalog, recommender.cycles, recommender.copurchase, index)
            found = rank_member(binding, facts, why, today=today, k=5, lang="en")
        session.rollback()
    talking_points(facts, catalog, today, suggestions=found, cycles=recommender.cycles, index=index)
    taste = taste_vector(facts, index, catalog, today)
    for text in WARM_UP_CHAT:
        respond(facts, [], text, catalog=catalog, index=index, encoder=encoder, taste_vector=taste, k=5)


def text_encoder(model_path: str, data_dir: Path) -> Callable[[], Encoder]:
    """A factory of the configured sentence-transformers encoder, caching vectors in the data folder."""
    return lambda: TextEncoder(model_path or None, cache_dir=data_dir / "embeddings")


_holder_lock = threading.Lock()


def holder_for(context: AppContext) -> RecommenderHolder:
    """The app's recommender holder, created on first call from the settings' model path."""
    with _holder_lock:
        if context.recommender is None:
            s = context.settings
            context.recommender = RecommenderHolder(
                context.sessions, text_encoder(s.model_path, s.data_dir), s.models_dir
            )
        return context.recommender


def rebuild_recommender(context: AppContext) -> Engine:
    """Rebuild after the catalog changed (an import, a price change); requests switch over atomically."""
    return holder_for(context).rebuild()

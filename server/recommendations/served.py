"""The model versions this server process serves: loaded once, bound to the current catalogue, swapped
without dropping a request.

A request asks the deployments which version serves the member (their store's, else the chain's, and
their arm while an A/B test runs), then ranks with that version's `ServedModel` — the code path the
evaluation measured. Each version is loaded from `AISLE_MODELS_DIR` once and kept while a deployment
serves it; a promotion made by another process is seen by the next check (`refresh`, every few
seconds), and a request that meets a version not loaded yet loads it itself, so none is dropped and a
request in flight keeps the model it started with. A server with no version deployed at all serves the
newest version in the folder, else trains one from its own sales first (`bootstrap`).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.candidates import ItemIndex, Suggestion, explain
from models.catalog import Catalog
from models.encoder import Encoder
from models.member import MemberFacts
from models.purchase_patterns import CoPurchase, RepurchaseCycles
from models.serving.served import NotServableError, ServedModel, baskets_from_lines
from models.versions import VersionError, VersionStore
from server.core.errors import AisleError
from server.db.tables import Product
from server.deployments import service as deployments
from server.deployments.training import train_from_database
from server.recommendations.stock import in_stock

logger = logging.getLogger(__name__)
BOOTSTRAP_RETRY_SECONDS = 60.0  # a server with no sales to learn from tries again this often
RETRY_LOAD_SECONDS = 60.0  # a version that failed to load is tried again after this long


@dataclass(frozen=True)
class Binding:
    """One version joined to one catalogue: which product each model item is, and which may be shown."""

    served: ServedModel
    catalog_version: str
    product_ids: np.ndarray  # sorted ids of the products the model knows
    product_items: np.ndarray  # the model item of each
    item_products: np.ndarray  # by model item: its product id, -1 when no product has its SKU
    allowed: np.ndarray  # by model item: active merchandise in the catalogue and in stock

    @classmethod
    def build(cls, served: ServedModel, catalog: Catalog, catalog_version: str, session: Session) -> Binding:
        """Match the model's items (SKUs) to the database's products; `catalog` is what may be shown."""
        rows = session.execute(select(Product.id, Product.sku, Product.attributes).order_by(Product.id)).all()
        ids = np.array([r.id for r in rows], dtype=np.int64)
        items = served.item_indices([r.sku for r in rows])
        known = items >= 0
        item_products = np.full(served.model.n_items, -1, dtype=np.int64)
        item_products[items[known]] = ids[known]
        allowed = np.zeros(served.model.n_items, dtype=bool)
        sellable = (catalog.rows(ids) >= 0) & np.fromiter(
            (in_stock(r.attributes) for r in rows), dtype=bool, count=len(rows)
        )
        allowed[items[known & sellable]] = True
        return cls(served, catalog_version, ids[known], items[known], item_products, allowed)

    def items_of(self, product_ids: np.ndarray) -> np.ndarray:
        """The model item of each product id, -1 for products the model never saw."""
        product_ids = np.asarray(product_ids, dtype=np.int64)
        if not len(self.product_ids):
            return np.full(len(product_ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.product_ids, product_ids), len(self.product_ids) - 1)
        return np.where(self.product_ids[at] == product_ids, self.product_items[at], -1)


@dataclass(frozen=True)
class ServedAs:
    """The version a list was ranked with, and the member's arm of an A/B test (if one runs)."""

    version: str
    arm: str | None = None
    experiment: str | None = None


@dataclass(frozen=True)
class Explainer:
    """What the reasons are made from: the catalogue, repurchase cycles, co-purchases, the item index."""

    catalog: Catalog
    cycles: RepurchaseCycles | None
    copurchase: CoPurchase | None
    index: ItemIndex | None


def ranked_products(
    binding: Binding, facts: MemberFacts, *, today: dt.date, k: int, exclude_history: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The member's top k product ids and scores as the version ranks them on `today` (none for a
    member with no purchase the model knows: the cold start's best-sellers speak for them instead)."""
    purchases = facts.purchases
    items = binding.items_of(
        np.fromiter((p.item_id for p in purchases), dtype=np.int64, count=len(purchases))
    )
    if not (items >= 0).any():
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    # date ordinals one by one: numpy's date parsing of a wholesaler's 1,000 lines cost a millisecond
    days = np.fromiter((p.day.toordinal() for p in purchases), dtype=np.int64, count=len(purchases))
    served = binding.served
    (ranked,) = served.rank(
        baskets_from_lines(np.zeros(len(items), dtype=np.int64), days, items, 1),
        served.user_indices([str(facts.member_id)]),
        k,
        days=np.array([today.toordinal()], dtype=np.int64),
        allowed=binding.allowed,
        exclude_history=exclude_history,
    )
    return binding.item_products[ranked.items], ranked.scores


def rank_member(
    binding: Binding,
    facts: MemberFacts,
    why: Explainer,
    *,
    today: dt.date,
    k: int,
    lang: str,
    exclude_history: bool = False,
) -> list[Suggestion]:
    """The member's top k as the version ranks them on `today`, each with a reason."""
    product_ids, scores = ranked_products(binding, facts, today=today, k=k, exclude_history=exclude_history)
    return explain(
        facts,
        product_ids,
        scores,
        catalog=why.catalog,
        today=today,
        cycles=why.cycles,
        copurchase=why.copurchase,
        index=why.index,
        lang=lang,
    )


def preferences(binding: Binding, facts: MemberFacts, *, today: dt.date, k: int) -> dict[int, float]:
    """The member's top k products as 1.0 for the first down to 1/k for the last (the chat's lift)."""
    product_ids, _ = ranked_products(binding, facts, today=today, k=k)
    n = len(product_ids)
    return {int(p): (n - r) / n for r, p in enumerate(product_ids)}


class ModelShelf:
    """The versions loaded in this process and their bindings to the current catalogue."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        root: Path | None,
        encoder: Callable[[], Encoder | None],
        *,
        deploy: bool = True,
    ) -> None:
        """`root`: the models folder. Without one (a recommender built by hand, as tests do) the shelf
        trains a version of its own into a temporary folder and serves it to everyone, leaving the
        deployments alone (`deploy` False)."""
        self._sessions = sessions
        self.root = root if root is not None else Path(tempfile.mkdtemp(prefix="aisle-models-"))
        if root is None:  # its own folder goes with it
            weakref.finalize(self, shutil.rmtree, self.root, ignore_errors=True)
        self.deploy = deploy and root is not None
        self._private: str | None = None
        self._encoder = encoder
        self._models: dict[str, ServedModel] = {}
        self._bindings: dict[str, Binding] = {}
        self._lock = threading.Lock()
        self._bootstrap_lock = threading.Lock()
        self._bootstrap_tried: float | None = None
        self.errors: dict[str, str] = {}  # versions that could not be loaded, and why
        self._stand_ins: set[str] = set()  # versions served in place of ones that cannot be loaded
        self._failed_at: dict[str, float] = {}  # when each version last failed to load
        self._reported: set[str] = set()  # versions whose failure to load was logged

    def versions(self) -> VersionStore:
        """The models folder."""
        return VersionStore(self.root)

    @property
    def loaded(self) -> list[str]:
        """Names of the versions in memory."""
        return sorted(self._models)

    def model(self, name: str) -> ServedModel:
        """The version called `name`, loaded on first use (AisleError 503 if it cannot be)."""
        found = self._models.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._models.get(name)
            if found is None:
                try:
                    info = self.versions().get(name)
                    found = ServedModel.load(info.path, info)
                except (KeyError, VersionError, NotServableError, OSError, ValueError) as exc:
                    self.errors[name] = str(exc)
                    raise AisleError(f"model version {name} cannot be served: {exc}", 503) from exc
                self.errors.pop(name, None)
                self._models = {**self._models, name: found}
                logger.info("model version %s loaded", name)
            return found

    def binding(self, name: str, catalog: Catalog, catalog_version: str, session: Session) -> Binding:
        """Version `name` bound to a catalogue (bound again after the catalogue is rebuilt)."""
        served = self.model(name)
        bound = self._bindings.get(name)
        if bound is not None and bound.served is served and bound.catalog_version == catalog_version:
            return bound
        bound = Binding.build(served, catalog, catalog_version, session)
        self._bindings = {**self._bindings, name: bound}
        return bound

    def keep_only(self, names: set[str]) -> None:
        """Load what deployments serve and forget versions none serves any more (keeping a stand-in
        for a served version that cannot be loaded)."""
        for name in names - set(self._models) - set(self.errors):
            try:
                self.model(name)
            except AisleError:
                logger.exception("could not load model version %s", name)
        if not names & set(self.errors):
            self._stand_ins = set()
        keep = names | self._stand_ins
        with self._lock:
            self._models = {n: m for n, m in self._models.items() if n in keep}
            self._bindings = {n: b for n, b in self._bindings.items() if n in keep}

    def serving(self, session: Session, store_id: int | None, member_id: int) -> ServedAs | None:
        """Which version ranks this member's list, or None when there is none to serve (no sales yet)."""
        if not self.deploy:
            name = self._private_version()
            return ServedAs(name) if name is not None else None
        chosen = deployments.assignment(session, store_id, member_id)
        if chosen.version is None:
            if self.bootstrap() is None:
                return None
            chosen = deployments.assignment(session, store_id, member_id)
            if chosen.version is None:
                return None
        name = chosen.version
        failed = self._failed_at.get(name)
        if name not in self._models and (failed is None or time.monotonic() - failed > RETRY_LOAD_SECONDS):
            try:
                self.model(name)
            except AisleError:  # deleted, or written by code that no longer reads it
                self._failed_at[name] = time.monotonic()
        if name in self._models:
            return ServedAs(name, chosen.arm, chosen.experiment)
        # another version stands in (found once, then kept), and the log says so
        stand_in = next((n for n in self._stand_ins if n in self._models), None)
        if stand_in is None:
            stand_in = self._fallback(name)
            if name not in self._reported:
                self._reported.add(name)
                logger.error(
                    "model version %s cannot be served (%s); %s stands in until HQ promotes another",
                    name,
                    self.errors.get(name),
                    stand_in or "a version being trained now",
                )
            if stand_in is None:  # meanwhile the store's best-sellers
                return None
            self._stand_ins = self._stand_ins | {stand_in}
        return ServedAs(stand_in)

    def _loads(self, name: str) -> bool:
        """Whether the version can be served (loading it if so)."""
        try:
            self.model(name)
        except AisleError:
            return False
        return True

    def _fallback(self, broken: str) -> str | None:
        """The newest version that loads, other than `broken`; else one trained now (not promoted).
        None at once while another request is looking or training: nobody waits for a training."""
        if not self._bootstrap_lock.acquire(blocking=False):
            return None
        try:
            for version in self.versions().versions():
                if version.name != broken and version.name not in self.errors and self._loads(version.name):
                    return version.name
            tried = self._bootstrap_tried
            if tried is not None and time.monotonic() - tried < BOOTSTRAP_RETRY_SECONDS:
                return None
            self._bootstrap_tried = time.monotonic()
            return self._train()
        finally:
            self._bootstrap_lock.release()

    def bootstrap(self) -> str | None:
        """With nothing deployed: serve the newest version in the folder, else train one from the sales.
        The chain-wide version it deployed (or found deployed meanwhile), None if there is nothing yet."""
        with self._bootstrap_lock:
            with self._sessions() as session:
                served = deployments.assignment(session, None, 0).version
            if served is not None:
                return served
            tried = self._bootstrap_tried
            if tried is not None and time.monotonic() - tried < BOOTSTRAP_RETRY_SECONDS:
                return None
            self._bootstrap_tried = time.monotonic()
            store = self.versions()
            name = next((v.name for v in store.versions() if self._loads(v.name)), None) or self._train()
            if name is None:
                return None
            with self._sessions() as session:
                try:
                    deployments.promote(session, store, name, None, None, True, 1.0)
                    session.commit()
                except AisleError as exc:  # another process deployed one at the same moment
                    session.rollback()
                    logger.info("first model version not deployed here: %s", exc.message)
                found = deployments.assignment(session, None, 0).version
            logger.info("no model version was deployed: the chain now serves %s", found)
            return found

    def _private_version(self) -> str | None:
        if self._private is not None:
            return self._private
        with self._bootstrap_lock:
            if self._private is None:
                tried = self._bootstrap_tried
                if tried is not None and time.monotonic() - tried < BOOTSTRAP_RETRY_SECONDS:
                    return None
                self._bootstrap_tried = time.monotonic()
                self._private = self._train()
            return self._private

    def _train(self) -> str | None:
        started = time.perf_counter()
        with self._sessions() as session:
            try:
                # The floor needs a version now: no held-back fit (half the time); `aisle models
                # train` and the nightly rebuild make measured ones to compare and promote.
                folder = train_from_database(session, self.root, encoder=self._encoder(), measure=False)
            except ValueError as exc:  # no member sales: nothing to learn from yet
                logger.info("no model version trained at start: %s", exc)
                return None
        logger.info(
            "model version %s trained from the database in %.1f s", folder.name, time.perf_counter() - started
        )
        return folder.name

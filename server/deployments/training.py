"""Training recommender versions from the chain's own sales: `aisle models train`, the nightly rebuild
and the first version a new server trains for itself.

The model learns what the server will serve from: every member's sale lines (returns are separate
transactions and are not unbought), an item per product SKU (so a version trained from an exported
file maps onto the same products), a member per member id, a basket per member and day.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.data import LoadReport, Transactions
from models.encoder import Encoder
from models.evaluation.served import Progress, train_version
from models.versions import ModelVersion, VersionStore
from server.db.tables import Product, Transaction, TransactionLine

logger = logging.getLogger(__name__)
SOURCE = "database"


def product_text(name: str, description: str | None) -> str:
    """The text the model reads for a product: its name and description. Not its category, whose label
    is the chain's own code (often English over a Chinese catalogue) and would make text the model
    cannot read look readable (`models.text_usability`)."""
    return " - ".join(p for p in (name, (description or "").strip()) if p)


def latest_sale_day(session: Session) -> str | None:
    """ISO date of the latest member sale, to tell whether a rebuild would learn anything new."""
    stmt = select(func.max(Transaction.occurred_at)).where(
        Transaction.kind == "sale", Transaction.member_id.isnot(None)
    )
    latest = session.execute(stmt).scalar_one_or_none()
    return latest.date().isoformat() if latest is not None else None


def transactions_from_database(session: Session) -> Transactions:
    """Members' sale lines as the model reads them (member ids and SKUs as strings, UTC dates)."""
    stmt = (
        select(Transaction.member_id, Transaction.occurred_at, TransactionLine.product_id)
        .join(Transaction, Transaction.id == TransactionLine.transaction_id)
        .where(Transaction.kind == "sale", Transaction.member_id.isnot(None), TransactionLine.quantity > 0)
    )
    rows = session.execute(stmt).all()
    sold = sorted({r[2] for r in rows})
    products = {
        r.id: r
        for chunk in range(0, len(sold), 5000)
        for r in session.execute(
            select(Product.id, Product.sku, Product.name, Product.description).where(
                Product.id.in_(sold[chunk : chunk + 5000])
            )
        )
    }
    skus = np.array([products[p].sku for p in sold], dtype=str)
    item_ids, item_of_sold = np.unique(skus, return_inverse=True)
    texts = {products[p].sku: product_text(products[p].name, products[p].description) for p in sold}
    members = np.array([r[0] for r in rows], dtype=np.int64)
    member_ids, user = np.unique(members, return_inverse=True)
    sold_ids = np.asarray(sold, dtype=np.int64)
    item = item_of_sold[np.searchsorted(sold_ids, np.array([r[2] for r in rows], dtype=np.int64))]
    report = LoadReport(layout=SOURCE, lines=len(rows), kept=len(rows))
    return Transactions(
        user=np.asarray(user, dtype=np.int32),
        day=np.array([r[1].date().toordinal() for r in rows], dtype=np.int32),
        item=np.asarray(item, dtype=np.int32),
        user_ids=member_ids.astype(str),
        item_ids=item_ids,
        item_texts=np.array([texts[i] for i in item_ids], dtype=str),
        report=report,
    )


def sellable_skus(session: Session) -> list[str]:
    """SKUs the server may suggest: active merchandise (the served ranking's business filter)."""
    stmt = select(Product.sku).where(Product.active.is_(True), Product.is_merchandise.is_(True))
    return list(session.scalars(stmt))


def train_from_database(
    session: Session,
    root: Path,
    *,
    encoder: Encoder | None = None,
    params: dict[str, object] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    measure: bool = True,
) -> Path:
    """Train a version on the database's sales into `root`; returns its folder (`measure=False`: without
    the held-back figures, see `train_version`)."""
    tx = transactions_from_database(session)
    if not len(tx.user):
        raise ValueError("no member has bought anything yet: there is nothing to learn from")
    return train_version(
        tx,
        root,
        params=dict(params or {}),
        seed=seed,
        source=SOURCE,
        allowed_ids=sellable_skus(session),
        encoder=encoder,
        progress=progress,
        measure=measure,
    )


def text_encoder() -> Encoder:
    """The configured text encoder, with the server's embedding cache."""
    from models.encoder import TextEncoder
    from server.config import get_settings

    settings = get_settings()
    return TextEncoder(settings.model_path or None, cache_dir=settings.data_dir / "embeddings")


def describe(version: ModelVersion) -> list[str]:
    """The version's held-back figures in a few lines, beside the baselines measured with it."""
    m, nan = version.metrics, float("nan")
    if not m:
        return ["not measured: too few members with three visits to hold one back"]
    lines = [
        f"held-back recall@10 {m.get('recall@10', nan):.4f}, ndcg@10 {m.get('ndcg@10', nan):.4f}, "
        f"explore-only recall@10 {m.get('explore_only_recall@10', nan):.4f}"
    ]
    for name, b in version.baselines.items():
        ratio = m.get("recall@10", 0.0) / b["recall@10"] if b.get("recall@10") else nan
        lines.append(f"{name}: recall@10 {b.get('recall@10', nan):.4f} (served {ratio:.2f}x)")
    return lines


def nightly_rebuild(
    session: Session,
    root: Path,
    *,
    max_drop: float,
    encoder: Encoder | None = None,
    force: bool = False,
) -> dict[str, object]:
    """The nightly job's model step: with sales newer than the chain's served version learned from,
    train a new version and serve it chain-wide, unless its held-back recall@10 is more than `max_drop`
    below the served version's (then it is kept in the folder, not served). Stores HQ pinned to a
    version of their own keep it. What happened, as JSON values; the caller commits."""
    from server.core.errors import AisleError
    from server.deployments.service import assignment, promote

    versions = VersionStore(root)
    current = assignment(session, None, 0).version
    latest = latest_sale_day(session)
    if latest is None:
        return {"trained": None, "reason": "no member sales yet"}
    if current is not None and not force:
        try:
            learned_to = versions.get(current).data.get("last_day")
        except KeyError:
            learned_to = None
        if isinstance(learned_to, str) and learned_to >= latest:
            return {"trained": None, "reason": f"no sales after {learned_to}, which {current} learned from"}
    started = time.perf_counter()
    folder = train_from_database(session, root, encoder=encoder)
    out: dict[str, object] = {"trained": folder.name, "seconds": round(time.perf_counter() - started, 1)}
    out["metrics"] = describe(versions.get(folder.name))
    try:
        promote(session, versions, folder.name, None, None, False, max_drop)
    except AisleError as exc:  # worse than the served version: HQ decides (aisle models promote --force)
        out.update({"promoted": False, "reason": exc.message})
    else:
        out.update({"promoted": True, "replaced": current})
    return out

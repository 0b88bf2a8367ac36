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
from typing import Annotated

import numpy as np
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.data import LoadReport, Transactions
from models.encoder import Encoder
from models.evaluation.served import Progress, train_version
from models.versions import ModelVersion
from server.db.tables import Product, Transaction, TransactionLine

logger = logging.getLogger(__name__)
SOURCE = "database"


def product_text(name: str, description: str | None, category: str | None) -> str:
    """The text the model reads for a product (as the recommender's catalogue embeds it)."""
    return " - ".join(p for p in (name, (description or "").strip(), category or "") if p)


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
            select(Product.id, Product.sku, Product.name, Product.description, Product.category).where(
                Product.id.in_(sold[chunk : chunk + 5000])
            )
        )
    }
    skus = np.array([products[p].sku for p in sold], dtype=str)
    item_ids, item_of_sold = np.unique(skus, return_inverse=True)
    texts = {
        products[p].sku: product_text(products[p].name, products[p].description, products[p].category)
        for p in sold
    }
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
) -> Path:
    """Train a version on the database's sales into `root`; returns its folder."""
    tx = transactions_from_database(session)
    return train_version(
        tx,
        root,
        params=dict(params or {}),
        seed=seed,
        source=SOURCE,
        allowed_ids=sellable_skus(session),
        encoder=encoder,
        progress=progress,
    )


def _encoder(use_text: bool) -> Encoder | None:
    from models.encoder import TextEncoder
    from server.config import get_settings

    if not use_text:
        return None
    settings = get_settings()
    return TextEncoder(settings.model_path or None, cache_dir=settings.data_dir / "embeddings")


def train(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Train from this CSV/CSV.GZ of purchase lines, not the database."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-back split the version is measured on.")] = 0,
    text: Annotated[
        bool, typer.Option("--text/--no-text", help="Read product text (--no-text: history only).")
    ] = True,
    promote_after: Annotated[
        bool,
        typer.Option("--promote", help="Serve it chain-wide after, unless worse than the served version."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --promote: serve it even if it is worse.")
    ] = False,
) -> None:
    """Train a recommender version on the chain's sales (or a file), measure it as served, save it."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from models.data import DataFormatError, load_transactions
    from models.versions import VersionStore
    from server.config import get_settings
    from server.core.errors import AisleError
    from server.db.migrate import open_database
    from server.db.session import make_session_factory, session_scope
    from server.deployments.service import promote

    settings = get_settings()
    err = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True)
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    started = time.perf_counter()
    try:
        engine = open_database(settings)
        sessions = make_session_factory(engine)
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=False) as bar:
            task = bar.add_task("reading sales", total=1.0)

            def step(stage: str, done: float) -> None:
                bar.update(task, description=stage, completed=done)

            if file is not None:
                tx = load_transactions(file)
                with session_scope(sessions) as session:
                    allowed = sellable_skus(session) or None
                folder = train_version(
                    tx,
                    settings.models_dir,
                    seed=seed,
                    source=str(file),
                    allowed_ids=allowed,
                    encoder=_encoder(text),
                    params={"use_text": text},
                    progress=step,
                )
            else:
                with session_scope(sessions) as session:
                    folder = train_from_database(
                        session,
                        settings.models_dir,
                        encoder=_encoder(text),
                        params={"use_text": text},
                        seed=seed,
                        progress=step,
                    )
        version = VersionStore(settings.models_dir).get(folder.name)
        out.print(f"[bold]{version.name}[/] trained in {time.perf_counter() - started:.0f} s → {folder}")
        for line in describe(version):
            out.print(f"  {line}")
        if promote_after:
            with session_scope(sessions) as session:
                promote(
                    session,
                    VersionStore(settings.models_dir),
                    version.name,
                    None,
                    None,
                    force,
                    settings.model_max_drop,
                )
            out.print(f"promoted: the chain now serves {version.name}")
    except (AisleError, DataFormatError, OSError) as exc:
        message = exc.message if isinstance(exc, AisleError) else str(exc)
        err.print(f"[bold red]error:[/] {message}")
        raise typer.Exit(2) from exc


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

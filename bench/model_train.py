"""How long HQ waits for a new recommender version, and how good it is: `aisle models train` on a file.

Run: python bench/model_train.py [PATH] [--seed 0] [--no-text]. Trains a version of the served model on
the Online Retail development data exactly as `aisle models train --file PATH` does
(`models.evaluation.served.train_version`: fit on the next-basket protocol's training part, measure the
held-back visits through the server's ranking path beside TIFU-KNN, refit on all the data, save), into a
temporary models folder, with the bundled text model. Ends with one JSON line: {"train_s", "stages_s",
"recall@10", "tifu_knn_recall@10", "ratio_to_tifu_knn", "explore_only_recall@10", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.data import load_transactions  # noqa: E402
from models.encoder import TextEncoder  # noqa: E402
from models.evaluation.served import train_version  # noqa: E402
from models.versions import VersionStore  # noqa: E402

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-text", action="store_true", help="history only: no product text")
    args = parser.parse_args()
    stages: dict[str, float] = {}
    marks = [("read", time.perf_counter())]

    def progress(stage: str, done: float) -> None:
        name, since = marks[-1]
        stages[name] = round(stages.get(name, 0.0) + time.perf_counter() - since, 2)
        marks.append((stage, time.perf_counter()))
        print(f"{done:4.0%} {stage}", file=sys.stderr)

    started = time.perf_counter()
    tx = load_transactions(args.path)
    encoder = (
        None
        if args.no_text
        else TextEncoder(cache_dir=Path(tempfile.gettempdir()) / "aisle-bench-embeddings")
    )
    with tempfile.TemporaryDirectory() as root:
        folder = train_version(
            tx,
            root,
            seed=args.seed,
            source=str(args.path),
            encoder=encoder,
            params={"use_text": not args.no_text},
            progress=progress,
        )
        seconds = time.perf_counter() - started
        version = VersionStore(root).get(folder.name)
    m, tifu = version.metrics, version.baselines.get("tifu-knn", {})
    result = {
        "train_s": round(seconds, 1),
        "stages_s": stages,
        "recall@10": m.get("recall@10"),
        "tifu_knn_recall@10": tifu.get("recall@10"),
        "ratio_to_tifu_knn": round(m["recall@10"] / tifu["recall@10"], 3) if tifu.get("recall@10") else None,
        "explore_only_recall@10": m.get("explore_only_recall@10"),
        "tifu_knn_explore_only_recall@10": tifu.get("explore_only_recall@10"),
        "ndcg@10": m.get("ndcg@10"),
        "seed": args.seed,
        "text": not args.no_text,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""How much of what clerks say the conversation understands exactly: the zh/en utterance test set.

Run: python bench/utterances.py [--misses]. Plays every conversation of tests/models/data/utterances.jsonl
against its bilingual fixture catalogue (a deterministic fake encoder: no model is loaded) and counts an
utterance as parsed exactly when every constraint in force after it (recipient, occasion, gift, price
limits, categories named and refused, colours, kinds not carried, and the turn's cheaper / pricier / not
that one / more like this) is the one expected. Ends with one JSON line:
{"utterances": N, "parsed_exactly": share, "zh": share, "en": share}. Runs in a few seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.models.utterance_cases import load_cases, score  # noqa: E402


def main() -> None:
    """Score the test set and print the figures as one JSON line (misses first, with --misses)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print each utterance not parsed exactly")
    args = parser.parse_args()

    def miss(utterance: str, got: dict[str, Any], want: dict[str, Any]) -> None:
        diff = {k: {"got": got[k], "expected": want[k]} for k in want if got[k] != want[k]}
        print(json.dumps({"miss": utterance, "diff": diff}, ensure_ascii=False))

    figures = score(load_cases(), miss if args.misses else None)
    line = {k: figures[k] for k in ("utterances", "parsed_exactly", "zh", "en")}
    print(json.dumps(line))


if __name__ == "__main__":
    main()

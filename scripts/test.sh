#!/usr/bin/env bash
# Run Aisle's test suite on SQLite and on real PostgreSQL and Redis servers started on loopback.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash .ci/services.sh)"
export KIVY_NO_ARGS=1 SDL_VIDEODRIVER=offscreen HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest "$@"

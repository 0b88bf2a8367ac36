#!/usr/bin/env bash
# Lint, check the formatting and type-check the code, as CI does before the tests (.ci/run).
# Runs every check even after one fails, and fails if any did. Fix with `.venv/bin/ruff format` and
# `.venv/bin/ruff check --fix`; mypy's findings are fixed by hand.
set -uo pipefail
cd "$(dirname "$0")/.."
PATHS=(server models mobile_app tests bench)
failed=()
.venv/bin/python -m ruff check "${PATHS[@]}" || failed+=("ruff check")
.venv/bin/python -m ruff format --check "${PATHS[@]}" || failed+=("ruff format --check")
.venv/bin/python -m mypy || failed+=(mypy)
if [ ${#failed[@]} -gt 0 ]; then
  printf 'lint failed: %s\n' "$(IFS=,; echo "${failed[*]}")" >&2
  exit 1
fi
echo "lint: ruff and mypy found nothing"

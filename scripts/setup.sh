#!/usr/bin/env bash
# Set Aisle up on a fresh machine: a virtual environment in .venv with every part installed
# (server, recommendation models, phone app, test tools). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # Mesa and SDL's runtime libraries let Kivy render offscreen (tests, screenshots) without a display;
  # WenQuanYi Micro Hei is the CJK font the phone app draws Chinese with on a desktop (mobile_app/fonts.py).
  missing=()
  for pkg in libgl1 libegl1 libgles2 libgl1-mesa-dri libmtdev1 fonts-wqy-microhei; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned (torch==2.13.0 in pyproject.toml): pip takes the CPU build, not gigabytes of CUDA.
.venv/bin/python -m pip install -q -e '.[all]'
.venv/bin/python - <<'PY'
import torch
assert torch.__version__.endswith("+cpu"), f"expected the CPU build of torch, got {torch.__version__}"
print(f"Aisle installed in .venv (torch {torch.__version__})")
PY

#!/usr/bin/env bash
# Set Aisle up on a fresh machine: a virtual environment in .venv with every part installed
# (server, recommendation models, phone app, test tools). Safe to run again.
# Says what it is doing: a line per step, a line per package pip fetches, and a line every half minute
# through the long quiet stretches (unpacking torch), so a first run is never minutes of silence. pip's
# full output goes to .venv/pip-install.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
started=$SECONDS

step() { echo "==> $*"; }

# Prints "... still <what> (N s)" every 30 s until killed; the caller kills it when the step ends.
ticker() {
  local what=$1 since=$SECONDS nap
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  while true; do
    sleep 30 & nap=$!
    wait "$nap"
    echo "    ... still $what ($((SECONDS - since)) s)"
  done
}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # Mesa and SDL's runtime libraries let Kivy render offscreen (tests, screenshots) without a display;
  # WenQuanYi Micro Hei is the CJK font the phone app draws Chinese with on a desktop (mobile_app/fonts.py).
  # Debian's chromium runs the member page's browser tests (tests/browser): Playwright never downloads one.
  missing=()
  for pkg in libgl1 libegl1 libgles2 libgl1-mesa-dri libmtdev1 fonts-wqy-microhei chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing system packages: ${missing[*]} (about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  step "creating the virtual environment .venv ($("$PY" --version))"
  "$PY" -m venv .venv
fi
log=.venv/pip-install.log
: >"$log"

# One line per package pip fetches (and the size of each large download) from pip's full output, line by
# line as it comes (awk may read its input in blocks); its warnings (an unreachable extra index repeats one
# per package) are only counted: they are in the log.
plural() { if [ "$1" = 1 ]; then echo "1 $2"; else echo "$1 $2s"; fi; }

pip_lines() {
  local line name count words warnings=0
  while IFS= read -r line; do
    case $line in
      Collecting\ *)
        name=${line#Collecting }
        echo "    fetching ${name%%[<>=!~;[( ]*}" ;;
      *Downloading\ *MB\))
        echo "      ${line#"${line%%Downloading*}"}" ;;
      Installing\ collected\ packages:*)
        count=$(($(tr -cd , <<<"$line" | wc -c) + 1))
        if [ "$count" -gt 20 ]; then
          echo "    unpacking $(plural "$count" package): the longest quiet stretch, a few minutes (torch is 200 MB)"
        else
          echo "    unpacking $(plural "$count" package)"
        fi ;;
      Successfully\ installed\ *)
        read -ra words <<<"$line"
        echo "    installed $(plural $((${#words[@]} - 2)) package)" ;;
      WARNING*) warnings=$((warnings + 1)) ;;
      ERROR* | error*) echo "$line" ;;
    esac
  done
  if [ "$warnings" != 0 ]; then echo "    ($(plural "$warnings" warning) from pip, in $log)"; fi
}

pip_install() {
  local what=$1 status=0 tick
  shift
  ticker "$what" &
  tick=$!
  # Unbuffered: each line shows as pip writes it, not in blocks minutes later.
  PYTHONUNBUFFERED=1 .venv/bin/python -m pip install --progress-bar off "$@" 2>&1 | tee -a "$log" | pip_lines \
    || status=$?
  kill "$tick" 2>/dev/null || true
  wait "$tick" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    echo "pip failed while $what; the last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit "$status"
  fi
}

step "upgrading pip"
pip_install "upgrading pip" --upgrade pip
# torch is pinned (torch==2.13.0 in pyproject.toml): pip takes the CPU build, not gigabytes of CUDA.
step "installing Aisle and its dependencies into .venv (torch, sentence-transformers, Kivy, ...):" \
  "a few minutes the first time, under a minute when they are already there"
pip_install "installing the dependencies" -e '.[all]'

step "checking the install"
.venv/bin/python - <<'PY'
import torch
assert torch.__version__.endswith("+cpu"), f"expected the CPU build of torch, got {torch.__version__}"
print(f"Aisle installed in .venv (torch {torch.__version__})")
PY
echo "done in $((SECONDS - started)) s"

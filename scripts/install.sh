#!/usr/bin/env bash
# Install CTKG into a virtual environment, .venv/ at the top of the checkout, so that it works on a stock
# Debian or Ubuntu Python too, where a bare `pip install` is refused (PEP 668, "externally managed
# environment"). Usage: bash scripts/install.sh [EXTRA]   (EXTRA: `test` for the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

extra="${1:-}"
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    rm -rf .venv
    # Debian and Ubuntu ship the venv module (and ensurepip) in a package of their own.
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv .venv
    else
      echo "python3 cannot make a virtual environment: install it with 'sudo apt-get install python3-venv', then run this again" >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra:+[$extra]}"

#!/usr/bin/env bash
# Install CTKG into a virtual environment, .venv/ at the top of the checkout, so that it works on a stock
# Debian or Ubuntu Python too, where a bare `pip install` is refused (PEP 668, "externally managed
# environment"), and the pages' front-end code from npm into api/static/vendor/.
# Usage: bash scripts/install.sh [EXTRA]   (EXTRA: `test` for the test tools)
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

# The pages' front-end code (YASQE, Swagger UI, Redoc, axe-core), pinned in web/package-lock.json, is installed
# from the npm registry and copied with its licence into api/static/vendor/, which the app serves itself (all but
# axe-core, which the page tests read from web/node_modules/).
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "Node.js and npm are needed to install the pages' front-end code (web/package.json): install them with" \
       "'sudo apt-get install nodejs npm', then run this again" >&2
  exit 1
fi
npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error
node web/copy-assets.mjs

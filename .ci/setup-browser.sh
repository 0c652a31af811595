#!/usr/bin/env bash
# Headless browser for tests/test_site_browser.py: Debian's chromium driven by the Python
# playwright package (never `playwright install`: no download outside the package registries).
# Idempotent: installs only what is missing. Usage: .ci/setup-browser.sh [PYTHON]
set -euo pipefail
PYTHON="${1:-${PYTHON:-python3}}"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y --no-install-recommends chromium \
    || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium; }
fi
if ! "$PYTHON" -c "import playwright" >/dev/null 2>&1; then
  "$PYTHON" -m pip install "playwright>=1.40"
fi
echo "browser ready: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown')), $("$PYTHON" -c 'import playwright, importlib.metadata as m; print("playwright", m.version("playwright"))')"

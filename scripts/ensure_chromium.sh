#!/usr/bin/env bash
# Browser tests and chart images need Debian's chromium at /usr/bin/chromium.
# Playwright's own browser download does not work on locked-down networks, so we use the system one.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian chromium (browser tests, chart images)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is missing. Install it, then run 'make test' again:" >&2
echo "    sudo apt-get install -y chromium        # Debian/Ubuntu" >&2
echo "or point PISTAS_CHROMIUM at a Chromium/Chrome binary." >&2
exit 1

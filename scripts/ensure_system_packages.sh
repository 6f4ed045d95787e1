#!/usr/bin/env bash
# Debian packages the tests need, installed when missing (idempotent, quiet):
#   chromium  browser tests and chart images (Playwright drives /usr/bin/chromium; its own
#             browser download does not work on locked-down networks)
#   nginx     the scale-out test puts two app replicas behind it (tests/e2e/test_scale_out.py)
# As root with apt-get they are installed; otherwise the exact command is printed and we fail.
set -euo pipefail

missing=()
if ! { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${PISTAS_CHROMIUM:-}" ]; }; then
  missing+=(chromium)
fi
if ! { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then
  missing+=(nginx)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]} ..."
  # Installing nginx must not start a system-wide server on port 80: keep services from
  # starting during the install (unless the machine already has such a policy).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing Debian packages: ${missing[*]}. Install them, then run 'make test' again:" >&2
echo "    sudo apt-get install -y ${missing[*]}        # Debian/Ubuntu" >&2
echo "(PISTAS_CHROMIUM may point at another Chromium/Chrome binary instead of Debian's chromium.)" >&2
exit 1

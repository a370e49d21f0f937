#!/usr/bin/env bash
# System packages the hotline needs from Debian's archive (idempotent; root):
#   sip-tester  SIPp, the test caller of `hotline call` and the end-to-end tests
#   debootstrap to build the Asterisk chroot on hosts without an asterisk package
#   chromium    the admin's browser tests (Playwright drives Debian's Chromium; no browser download)
#   fonts-noto-cjk  Chinese text in the admin's screenshots
#   sox         ../shared/tools/zh-tts needs it: spoken training data, spoken splits, the ASR benchmark
set -euo pipefail
need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v chromium >/dev/null || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
command -v sox >/dev/null || need+=(sox)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root, or: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "install-system-deps: apt-get install ${need[*]}" >&2
apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 install --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Build (once) and cache a Debian sid chroot holding the real Asterisk 22 package, for hosts
# (Debian 12) whose own archive has no asterisk. Idempotent: a finished root is marked and reused.
#
# usage: provision-asterisk.sh ROOT
# env:   MIRROR  Debian mirror (default: the host's own, from /etc/apt/sources.list.d/debian.sources)
set -eu
ROOT=${1:?usage: provision-asterisk.sh ROOT}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
APT="apt-get -y -q -o DPkg::Lock::Timeout=600"
log() { echo "[provision-asterisk] $*" >&2; }

if [ -f "$ROOT/.hotline-asterisk-ok" ] && [ -x "$ROOT/usr/sbin/asterisk" ]; then
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  $APT update >/dev/null
  DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends debootstrap >/dev/null
fi
mkdir -p "$ROOT"
if [ ! -f "$ROOT/.debootstrap-ok" ]; then
  log "debootstrap sid into $ROOT (about 30 s)"
  debootstrap --variant=minbase sid "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 \
    || { log "debootstrap failed; see $ROOT.debootstrap.log"; exit 1; }
  touch "$ROOT/.debootstrap-ok"
fi
# Maintainer scripts must never start services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
# The mirror's sid index can be older than its Valid-Until stamp.
echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99no-valid-until"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
log "installing asterisk in the chroot (about 20 s)"
chroot "$ROOT" apt-get -q update >/dev/null
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends \
  asterisk asterisk-core-sounds-en >"$ROOT.apt.log" 2>&1 \
  || { log "apt-get install asterisk failed; see $ROOT.apt.log"; exit 1; }
chroot "$ROOT" apt-get clean
# After installing, every name lookup by Asterisk goes to loopback and fails fast.
echo 'nameserver 127.0.0.1' >"$ROOT/etc/resolv.conf"
touch "$ROOT/.hotline-asterisk-ok"
log "ready: $(chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}' asterisk)"

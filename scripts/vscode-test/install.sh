#!/usr/bin/env bash
# Installs what the offline VS Code integration tests need: Debian Chromium and code-server 4.100.3
# (= VS Code 1.100.3, the newest code-server that runs on Node 20) into .vscode-test/code-server.
# Idempotent: a second run only checks. Run as root (apt) from any directory.
# On a machine with internet you do not need this: `npm run test:vscode` then downloads VS Code itself
# when SEIS_VSCODE_ONLINE=1 is set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CS_VERSION=4.100.3
CS_DIR="$ROOT/.vscode-test/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"

log() { printf '[vscode-test install] %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  # Another apt/dpkg run may hold the lock (teammates, unattended upgrades): wait instead of failing.
  for _ in $(seq 1 120); do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; then return 0; fi
    log 'apt-get failed (dpkg lock?); retrying in 5 s'
    sleep 5
  done
  log "could not install ${missing[*]}"; exit 1
}

# chromium drives the workbench; libkrb5-dev lets code-server's kerberos module build (gssapi.h);
# ripgrep stands in for @vscode/ripgrep's GitHub download below.
apt_install chromium libkrb5-dev ripgrep

if [ -f "$CS_BIN" ] && [ -f "$CS_DIR/.installed-$CS_VERSION" ]; then
  log "code-server $CS_VERSION already installed in $CS_DIR"
  exit 0
fi

mkdir -p "$CS_DIR"
WORK_TMP="$(mktemp -d)"
trap 'rm -rf "$WORK_TMP"' EXIT

# @vscode/ripgrep 1.15.11 downloads rg from GitHub (unreachable here) unless this cached archive
# exists; an archive of Debian's rg is accepted.
RG_CACHE="$WORK_TMP/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RG_CACHE"
cp "$(command -v rg)" "$WORK_TMP/rg"
tar -C "$WORK_TMP" -czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg

cat > "$CS_DIR/package.json" <<JSON
{ "name": "seis-lens-code-server", "private": true, "description": "code-server for SEIS Lens integration tests (not shipped)" }
JSON

log "npm install code-server@$CS_VERSION (about a minute)"
(
  cd "$CS_DIR"
  # unsafe_perm: code-server's postinstall refuses root otherwise. yes: node-pty's postinstall runs
  # `npx node-gyp`. dangerously_allow_all_scripts: npm >= 11.1x blocks dependency install scripts by
  # default, and code-server's postinstall runs nested npm installs that need theirs.
  TMPDIR="$WORK_TMP" npm_config_unsafe_perm=true npm_config_yes=true \
    npm_config_dangerously_allow_all_scripts=true npm_config_audit=false npm_config_fund=false \
    npm install --no-save --no-package-lock "code-server@$CS_VERSION"
)

if [ ! -f "$CS_BIN" ]; then log "code-server did not install: $CS_BIN is missing"; exit 1; fi
# XDG_CONFIG_HOME: code-server writes a default config on first start; keep it out of $HOME.
XDG_CONFIG_HOME="$WORK_TMP" node "$CS_BIN" --version
touch "$CS_DIR/.installed-$CS_VERSION"
log "done: $CS_BIN"

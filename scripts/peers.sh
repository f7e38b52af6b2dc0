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
# lego (bench/acme only): `go install lego@v` fails here because the proxy
# refuses lego's version list, which go install reads for deprecations; a
# wrapper module with `go get` + `go build` needs only the pinned version.
install_lego() {
  local dir="$CACHE/lego-$LEGO_VERSION"
  if [ ! -f "$dir/.done" ]; then
    log "building lego $LEGO_VERSION (first run only)"
    rm -rf "$dir"; mkdir -p "$dir/src"
    (cd "$dir/src" && go mod init local/lego-bin >/dev/null 2>&1 \
      && go get "github.com/go-acme/lego/v4/cmd/lego@$LEGO_VERSION" \
      && CGO_ENABLED=0 go build -p 2 -trimpath -o "$dir/lego" github.com/go-acme/lego/v4/cmd/lego)
    touch "$dir/.done"
  fi
  ln -sf "$dir/lego" "$BIN/lego"
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(sops age pebble)
for p in "${want[@]}"; do "install_$p"; done
log "ready in $BIN"

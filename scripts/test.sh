#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every test. On a fresh
# machine (Debian, root, Go, npm) that means the system packages through
# apt-get, the Go-built peers through scripts/peers.sh (once, cached), and
# `npm ci` when node_modules is not what package-lock.json says; each step is
# a quick check once done. Whatever it cannot install stops it at once, with
# one line saying what is missing and the command that fixes it.
# Arguments are test path filters: `npm test -- test/secrets`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'gitcert test: %s\n' "$*" >&2; }
quietly() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" | tail -20 >&2; return 1; }; }

# What the tests need from the system: one line each, the Debian package and
# the check that it is there.
missing=()
need() { local package=$1; shift; "$@" >/dev/null 2>&1 || [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package"); }
need git test -x "$(command -v git)"
need openssl test -x "$(command -v openssl)"
need openssh-client test -x "$(command -v ssh-keygen)"
need openssh-server test -x /usr/sbin/sshd
need bind9 test -x /usr/sbin/named
need bind9-utils test -x "$(command -v named-checkconf)"
need bind9-dnsutils test -x "$(command -v dig)"
need bsdutils test -x "$(command -v script)"            # the CLI test's pseudo-terminal
need python3-venv python3 -c 'import venv, ensurepip'   # the OpenBao peer, from PyPI
need curl test -x "$(command -v curl)"                  # scripts/k8s-peers.sh waits for the API server with it
need iproute2 test -x "$(command -v ip)"                # the EndpointSlice HTTP-01 test's veth

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    say "missing: ${missing[*]} (Debian package names). Fix: install them with your package manager, then run: npm test"
    exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    say "missing: ${missing[*]}. Fix: sudo apt-get install -y ${missing[*]} && npm test"
    exit 3
  fi
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  quietly apt-get update
  quietly apt-get install -y "${missing[@]}"
fi

GITCERT_RERUN="npm test" bash scripts/peers.sh

if ! command -v npm >/dev/null; then
  say "missing: npm. Fix: apt-get install -y npm && npm test"
  exit 3
fi
# npm ci deletes node_modules first: only when it is not what package-lock.json says.
if ! node scripts/installed.mjs; then
  say "npm ci (node_modules is not what package-lock.json says)"
  npm ci --no-audit --no-fund
fi

# Node 24 from the `node` package, whatever `node` the machine has.
export PATH="$PWD/node_modules/.bin:$PATH"
tsc --noEmit
exec node scripts/run-tests.mjs "$@"

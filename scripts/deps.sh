#!/bin/sh
# Installs the Debian packages interviewd needs, and only those missing, so that
# `make run` and `make test` work on a fresh Debian 12 machine. Usage: deps.sh run|test
set -eu
what=${1:-run}

build="build-essential cmake pkg-config libevent-dev libjansson-dev libsqlite3-dev
libcurl4-openssl-dev libhiredis-dev libinih-dev libxxhash-dev libssl-dev libpq-dev libjemalloc-dev
libcmocka-dev libstemmer-dev nodejs npm poppler-utils"
# prometheus brings promtool, which checks /metrics in tests/integration/metrics.test.mjs;
# clang-format (Debian 12's, version 14) checks the C sources' layout in .ci/run;
# sqlite3 (the shell) holds the database's lock from another process in
# tests/integration/abuse_store.test.mjs
test_only="redis-server postgresql chromium prometheus clang-format sqlite3"

pkgs=$build
[ "$what" = test ] && pkgs="$pkgs $test_only"

missing=""
for p in $pkgs; do
  # nodejs/npm may come from elsewhere (NodeSource bundles npm): accept the commands.
  case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    chromium) command -v chromium >/dev/null 2>&1 && continue ;;
    prometheus) command -v promtool >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

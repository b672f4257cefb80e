#!/usr/bin/env bash
# abuse.sh: issue 14's figures, one section per kind of abuse, each printed as measured on
# this machine (loopback only, real processes). Sections:
#   http   bench/abuse_http.mjs: RSS under a 60 x 8 MiB body flood (Content-Length and
#          chunked), descriptor exhaustion under `ulimit -n 256` (CPU, log lines per
#          second, recovery time), slowloris close time (about 40 s in all)
#   store  bench/abuse_store.mjs: 1,000 candidates answering at once, offline (answer
#          p50/p95, errors, server CPU per answer), and /healthz p50/p99 while another
#          process holds the SQLite write lock for 8 s (about 1-2 min in all; STORE_N,
#          STORE_ROUNDS, STORE_LOCK_S change the sizes)
# Other sections are appended below by the modules they measure.
#
# Environment: BUILD (default build), INTERVIEWD_BIN (default $BUILD/interviewd),
# ABUSE_LEGACY=1 to measure a binary from before issue 14 (for before/after figures).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
export INTERVIEWD_BIN=${INTERVIEWD_BIN:-$ROOT/$BUILD/interviewd}
export MOCKLLM_BIN=${MOCKLLM_BIN:-$ROOT/$BUILD/mockllm}
[ -x "$INTERVIEWD_BIN" ] || { echo "abuse.sh: $INTERVIEWD_BIN not built (make all)" >&2; exit 2; }

echo "== http ($INTERVIEWD_BIN)"
node "$ROOT/bench/abuse_http.mjs"

echo
echo "== store ($INTERVIEWD_BIN)"
node "$ROOT/bench/abuse_store.mjs"

echo
echo "== injection: labelled set tests/data/injection/ (tests/unit/test_injection.c)"
INTERVIEWD_SOURCE_DIR=$ROOT "$ROOT/$BUILD/test_injection" 2>/dev/null | grep '^injection:'

echo
echo "== sign-up flood: 1,000 sign-ups and 200 resume changes from one address; 200 sign-ups that each start an interview against rpd=20 with 20% reserved (tests/integration/signup_limits.test.mjs)"
INTERVIEWD_SOURCE_DIR=$ROOT node --test --test-name-pattern='flood|reserve' "$ROOT/tests/integration/signup_limits.test.mjs" 2>&1 |
  grep -o 'signup flood:.*\|reserve:.*' | sort -u

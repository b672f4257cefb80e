#!/usr/bin/env bash
# gateway_bench.sh: wrk against an OpenAI-compatible upstream directly, interviewd's /v1 in
# front of it, Portkey's open-source gateway in front of it, and nginx in front of it, on
# one machine in one run, loopback only. Every request has a unique body
# (bench/gateway/unique.lua), so no cache can answer; interviewd's requests are
# temperature 0, so its cache lookup and store run on every request (the miss path, its
# most expensive one).
#
#   upstream    mockllm --latency-ms 0 (the physical limit of this box)
#   interviewd  interviewd serve, one [provider.mock] deployment, SQLite store on disk
#   portkey     @portkey-ai/gateway (pinned in bench/gateway/package.json),
#               x-portkey-provider: openai, x-portkey-custom-host: the mock
#   nginx       nginx (Debian) proxy_pass to the mock, one worker, keep-alive upstream: a
#               reference for what a pure byte proxy costs on this box (no JSON, no
#               cache, no accounting), not a competitor
#
# All targets run side by side. After a 5 s warm-up each (interviewd fills its cache),
# ROUNDS rounds each run every target for DURATION s at 1 connection, then at 32
# (CONNS), back to back; the report gives medians over the rounds, and the issue's three
# targets as the median of each round's own comparison (the box is shared, so single
# runs swing). Prints requests/s, p50, p99 and the RSS of each. Installs wrk and nginx-light (apt) and Portkey (npm, into
# bench/gateway/node_modules) if missing. Stops everything it started, also on error or
# Ctrl-C. Writes the report to bench/results/gateway-YYYYmmdd-HHMMSS.txt.
#
# Environment: BUILD (default build), DURATION (seconds per run, default 5), ROUNDS
# (default 3), CONNS (default "1 32"), SKIP_PORTKEY=1, SKIP_NGINX=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=5
CONNS=${CONNS:-"1 32"}
PROG=gateway_bench
. "$ROOT/bench/gateway/common.sh"

PORTKEY_DIR="$ROOT/bench/gateway"
PORTKEY_JS="$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js"
if [ -z "${SKIP_PORTKEY:-}" ] && [ ! -f "$PORTKEY_JS" ]; then
  echo "gateway_bench: installing @portkey-ai/gateway into bench/gateway/node_modules" >&2
  (cd "$PORTKEY_DIR" && timeout 600 npm ci --no-audit --no-fund --silent) || die "npm could not install Portkey"
fi

# ---- the machine ------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/bench/results"
REPORT="$ROOT/bench/results/gateway-$STAMP.txt"
{
  echo "# interviewd gateway benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), node $(node --version), $("$INTERVIEWD" version 2>/dev/null | head -1)"
  [ -f "$PORTKEY_JS" ] && echo "portkey $(node -p "require('$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json').version")"
  echo "runs: ${WARMUP} s warm-up at 32 connections, then $ROUNDS rounds of ${DURATION} s each at: $CONNS connections; unique body per request; wrk threads: 1 at 1 connection, 2 otherwise"
} | tee "$REPORT"

# ---- the targets ------------------------------------------------------------------------
start_mock

declare -A URL PID ENVS RPS P50 P99 BAD RSS
LABELS=()
add_target() { # add_target LABEL URL PID [env...]: measured in every round
  local label=$1
  LABELS+=("$label")
  URL[$label]=$2
  PID[$label]=$3
  shift 3
  ENVS[$label]=$(printf '%s\n' "$@")
}
target_env() { mapfile -t TENV <<<"${ENVS[$1]}"; }

add_target "upstream (mockllm direct)" "$MOCK_URL" "$MOCK_PID" BENCH_MODEL=mock-small

IV_PORT=$(start_interviewd interviewd "$WORK")
add_target "interviewd /v1" "http://127.0.0.1:$IV_PORT" "$(cat "$WORK/interviewd.pid")" \
  BENCH_MODEL=interviewd/fast BENCH_AUTH=$GW_KEY

if [ -z "${SKIP_NGINX:-}" ]; then
  start_nginx
  add_target "nginx proxy (reference)" "http://127.0.0.1:$NG_PORT" "$NG_PID" BENCH_MODEL=mock-small BENCH_AUTH=$MOCK_KEY
fi

if [ -z "${SKIP_PORTKEY:-}" ]; then
  PK_PORT=$(free_port)
  node "$PORTKEY_JS" --port="$PK_PORT" >"$WORK/portkey.log" 2>&1 &
  PK_PID=$!
  PIDS+=("$PK_PID")
  for i in $(seq 1 150); do
    curl -s -o /dev/null "http://127.0.0.1:$PK_PORT/" && break
    kill -0 "$PK_PID" 2>/dev/null || { cat "$WORK/portkey.log" >&2; die "Portkey exited"; }
    sleep 0.2
  done
  add_target "portkey" "http://127.0.0.1:$PK_PORT" "$PK_PID" BENCH_MODEL=mock-small BENCH_AUTH=$MOCK_KEY \
    "BENCH_EXTRA_HEADERS=x-portkey-provider: openai|x-portkey-custom-host: $MOCK_URL/v1"
fi

# ---- the rounds ---------------------------------------------------------------------------
# Every round runs every target at every connection count back to back, so the ratios
# below compare runs minutes apart at most; the table gives each figure's median over the
# rounds. (This box is shared: single runs swing by a third.)
n_conns=$(wc -w <<<"$CONNS")
echo "measuring (about $(( ${#LABELS[@]} * (WARMUP + ROUNDS * n_conns * DURATION) + 10 )) s)..." >&2
for label in "${LABELS[@]}"; do
  target_env "$label"
  warm "$label" "${URL[$label]}" "${TENV[@]}"
done
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for label in "${LABELS[@]}"; do
      target_env "$label"
      read -r rps p50 p99 non2xx err < <(run_wrk "$label" "${URL[$label]}" "$c" "${TENV[@]}")
      RPS[$label,$c,$r]=$rps; P50[$label,$c,$r]=$p50; P99[$label,$c,$r]=$p99; BAD[$label,$c,$r]=$((non2xx + err))
      printf '  round %s  %-26s c=%-3s %9s req/s  p50 %6s us  p99 %7s us  non-2xx/errors %s\n' \
        "$r" "$label" "$c" "$rps" "$p50" "$p99" "$((non2xx + err))" | tee -a "$REPORT" >&2
    done
  done
done
for label in "${LABELS[@]}"; do RSS[$label]=$(tree_rss_mb "${PID[$label]}"); done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
col() { # col ARRAY LABEL CONNS: the values of every round
  local -n arr=$1
  local r
  for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${arr[$2,$3,$r]}"; done
}
# per-round values of an expression over two targets: ratio (a/b) or difference (a-b)
per_round() { # per_round ARRAY A B CONNS op
  local -n arr=$1
  local r
  for r in $(seq 1 "$ROUNDS"); do
    awk -v a="${arr[$2,$4,$r]}" -v b="${arr[$3,$4,$r]}" -v op="$5" 'BEGIN {printf "%s ", (op == "ratio" ? a / b : a - b)}'
  done
}

# ---- the table ------------------------------------------------------------------------------
{
  echo
  echo "Medians of $ROUNDS rounds:"
  echo
  echo "| target | conns | req/s | p50 (us) | p99 (us) | non-2xx | RSS after (MB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for label in "${LABELS[@]}"; do
    for c in $CONNS; do
      bad=0
      for r in $(seq 1 "$ROUNDS"); do bad=$((bad + BAD[$label,$c,$r])); done
      printf '| %s | %s | %.0f | %.0f | %.0f | %s | %s |\n' "$label" "$c" "$(median $(col RPS "$label" "$c"))" \
        "$(median $(col P50 "$label" "$c"))" "$(median $(col P99 "$label" "$c"))" "$bad" "${RSS[$label]}"
    done
  done
  echo
  lo=$(awk '{print $1}' <<<"$CONNS"); hi=$(awk '{print $NF}' <<<"$CONNS")
  up="upstream (mockllm direct)"
  for iv in "interviewd /v1" "nginx proxy (reference)"; do
    [ -n "${RSS[$iv]:-}" ] || continue
    echo "$iv (median of the per-round figures; each round's in brackets):"
    d=$(per_round P50 "$iv" "$up" "$lo" diff)
    awk -v m="$(median $d)" -v all="$d" -v c="$lo" 'BEGIN {printf "  p50 added latency at %s connection: %d us [%s] (target <= 50 us): %s\n", c, m, all, (m <= 50 ? "met" : "MISSED")}'
    q=$(per_round RPS "$iv" "$up" "$hi" ratio)
    awk -v m="$(median $q)" -v all="$q" -v c="$hi" 'BEGIN {printf "  req/s vs the upstream at %s connections: %.0f%% [%s] (target >= 50%%): %s\n", c, 100 * m, all, (m >= 0.5 ? "met" : "MISSED")}'
    if [ -n "${RSS[portkey]:-}" ]; then
      q=$(per_round RPS "$iv" portkey "$hi" ratio)
      awk -v m="$(median $q)" -v c="$hi" 'BEGIN {printf "  req/s vs Portkey at %s connections: %.1fx (target >= 100x): %s\n", c, m, (m >= 100 ? "met" : "MISSED")}'
    fi
  done
  if [ -n "${RSS[portkey]:-}" ]; then
    q=$(per_round RPS "$up" portkey "$hi" ratio)
    awk -v m="$(median $q)" -v c="$hi" 'BEGIN {printf "the upstream alone vs Portkey at %s connections: %.1fx\n", c, m}'
  fi
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$REPORT"
echo "report: $REPORT" >&2

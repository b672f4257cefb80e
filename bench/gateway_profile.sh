#!/usr/bin/env bash
# gateway_profile.sh: where one /v1 call's cost goes, per request, on this machine. Same
# setup as gateway_bench.sh (mockllm --latency-ms 0 upstream, unique bodies, loopback):
#
#   cpu           user and system CPU per request at 1 connection (/proc/PID/stat over a
#                 DURATION s wrk run), for interviewd and for nginx as a plain proxy
#   syscalls      system calls per request by name (strace -c over a wrk run), both
#   instructions  interviewd's user-space instructions per request under callgrind
#                 (4 connections, counters zeroed after a warm-up): unlike wall time on a
#                 shared box, the same build gives the same count run after run; then the
#                 functions with the largest inclusive and own shares
#
# Environment: BUILD (default build), INTERVIEWD (another interviewd binary, e.g. an
# older commit's build, to compare), DURATION (default 5), SKIP_NGINX=1,
# SKIP_CALLGRIND=1. Installs wrk, strace, valgrind and nginx-light (apt) if missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DURATION=${DURATION:-5}
WARMUP=3
PROG=gateway_profile
. "$ROOT/bench/gateway/common.sh"

command -v strace >/dev/null || apt_install strace
[ -n "${SKIP_CALLGRIND:-}" ] || command -v valgrind >/dev/null || apt_install valgrind
TICK_US=$((1000000 / $(getconf CLK_TCK)))

start_mock
IV_PORT=$(start_interviewd interviewd "$WORK")
IV_PID=$(cat "$WORK/interviewd.pid")
IV_ENV=(BENCH_MODEL=interviewd/fast BENCH_AUTH=$GW_KEY)
NG_ENV=(BENCH_MODEL=mock-small BENCH_AUTH=$MOCK_KEY)
if [ -z "${SKIP_NGINX:-}" ]; then
  start_nginx
  NG_WORKER=$(pgrep -P "$NG_PID" | head -1)
fi

requests_of() { # the request count of run_wrk's last run against NAME at CONNS
  sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' "$WORK/wrk-$(tr -c 'A-Za-z0-9\n' _ <<<"$1")-c$2.txt"
}

cpu() { # cpu LABEL URL PID env...: user and system microseconds per request at 1 connection
  local label=$1 url=$2 pid=$3 u0 s0 u1 s1 n
  shift 3
  warm "$label" "$url" "$@"
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  run_wrk "$label" "$url" 1 "$@" >/dev/null
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  n=$(requests_of "$label" 1)
  printf '  %-22s %7d requests  user %4d us  system %4d us per request\n' "$label" "$n" \
    $(((u1 - u0) * TICK_US / n)) $(((s1 - s0) * TICK_US / n))
}

syscalls() { # syscalls LABEL URL PID env...: system calls per request, by name
  local label=$1 url=$2 pid=$3 out="$WORK/strace-$RANDOM.txt" sp n
  shift 3
  strace -c -q -p "$pid" -o "$out" &
  sp=$!
  sleep 0.5
  run_wrk "$label-strace" "$url" 1 "$@" >/dev/null
  kill -INT "$sp" 2>/dev/null || true
  wait "$sp" 2>/dev/null || true
  n=$(requests_of "$label-strace" 1)
  awk -v n="$n" -v label="$label" '
    NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" { c[$NF] = $4; t += $4 }
    END {
      printf "  %-22s %5.1f per request:", label, t / n
      for (k in c) if (c[k] / n >= 0.05) printf " %s %.1f", k, c[k] / n
      printf "\n"
    }' "$out"
}

echo "interviewd: $INTERVIEWD"
echo "cpu (1 connection, ${DURATION} s):"
cpu "interviewd /v1" "http://127.0.0.1:$IV_PORT" "$IV_PID" "${IV_ENV[@]}"
[ -z "${SKIP_NGINX:-}" ] && cpu "nginx proxy" "http://127.0.0.1:$NG_PORT" "$NG_WORKER" "${NG_ENV[@]}"
echo "syscalls (1 connection, under strace):"
syscalls "interviewd /v1" "http://127.0.0.1:$IV_PORT" "$IV_PID" "${IV_ENV[@]}"
[ -z "${SKIP_NGINX:-}" ] && syscalls "nginx proxy" "http://127.0.0.1:$NG_PORT" "$NG_WORKER" "${NG_ENV[@]}"

[ -n "${SKIP_CALLGRIND:-}" ] && exit 0
mkdir -p "$WORK/cg"
CG_PORT=$(start_interviewd callgrind "$WORK/cg" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out.%p")
CG_PID=$(cat "$WORK/callgrind.pid")
CG_URL="http://127.0.0.1:$CG_PORT"
warm callgrind "$CG_URL" "${IV_ENV[@]}"
callgrind_control -z "$CG_PID" >/dev/null 2>&1
run_wrk callgrind "$CG_URL" 4 "${IV_ENV[@]}" >/dev/null
callgrind_control -d "$CG_PID" >/dev/null 2>&1
n=$(requests_of callgrind 4)
dump=$(ls -t "$WORK"/cg.out."$CG_PID".* 2>/dev/null | head -1)
[ -f "$dump" ] || die "callgrind wrote no dump"
ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$dump" | head -1)
echo "instructions (callgrind, 4 connections, $n requests): $((ir / n)) user-space instructions per request"
# the loop and everything above it: 100% by construction
ROOTS='PROGRAM TOTALS|event_base_(loop|dispatch)|main\.c:|libc-start|below main|ld-linux|\?\?\?:0x0'
echo "  largest inclusive shares (below the event loop):"
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" 2>/dev/null |
  grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -vE "$ROOTS" | sed -n '1,25p' | sed 's/^/    /'
echo "  largest own shares:"
callgrind_annotate --threshold=100 --auto=no "$dump" 2>/dev/null |
  grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -vE "$ROOTS" | sed -n '1,15p' | sed 's/^/    /'
echo "  named shares (inclusive): libevent's header printf, the JSON reader, the cache key, the JSON writer; the allocator (own):"
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" 2>/dev/null |
  grep -E '^ *[0-9,]+ \( *[0-9.]+%\) +(\?\?\?:evbuffer_add_printf|src/core/fastjson\.c:fastjson_(completion|parse)|src/api/gateway\.c:canon_json|src/core/jsonw\.c:sbuf_json) ' |
  sed 's/^/    /'
callgrind_annotate --threshold=100 --auto=no "$dump" 2>/dev/null |
  awk '/libjemalloc/ && /\?\?\?:(malloc|calloc|realloc|free) / && match($0, /\( *[0-9.]+%\)/) {
         t += substr($0, RSTART + 1, RLENGTH - 3)
       }
       END {printf "    allocator (malloc, calloc, realloc, free): %.1f%%\n", t}'

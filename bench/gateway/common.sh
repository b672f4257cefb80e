# bench/gateway/common.sh: what gateway_bench.sh and gateway_profile.sh share: a work
# directory cleaned up on exit, package installs, starting mockllm, interviewd and nginx
# on loopback, and wrk runs with unique bodies. Sourced; the caller sets ROOT, BUILD,
# DURATION, WARMUP and PROG (its name, for messages) first. INTERVIEWD may name another
# interviewd binary (to measure an older build).
GW_KEY="bench-gateway-key-$$"
MOCK_KEY="sk-bench-mock-$$"
LUA="$ROOT/bench/gateway/unique.lua"
INTERVIEWD=${INTERVIEWD:-$ROOT/$BUILD/interviewd}
MOCKLLM="$ROOT/$BUILD/mockllm"
STEP_TIMEOUT=$((DURATION + 30))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/interviewd-gwbench-XXXXXX")
PIDS=()

cleanup() {
  local p all
  all="${PIDS[*]} $(cat "$WORK"/*.pid 2>/dev/null || true)"
  for p in $all; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in $all; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$PROG: $*" >&2; exit 1; }

# apt_install PACKAGE: installs a Debian package (once) or dies with why.
apt_install() {
  echo "$PROG: installing $1 (Debian package)" >&2
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y "$1" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y "$1" >/dev/null; } \
    || die "cannot install $1"
}

[ -x "$INTERVIEWD" ] && [ -x "$MOCKLLM" ] || die "$INTERVIEWD or $MOCKLLM missing: run make first"
command -v wrk >/dev/null || apt_install wrk

# A free loopback port (for Portkey, which cannot be told to pick one).
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Starts "$@" with stdout/stderr in $1.log and its pid in $1.pid (cleanup kills it);
# waits for "listening 127.0.0.1:PORT"; echoes PORT. Runs in $(...), hence the pid file.
start_listening() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$! i
  echo "$pid" >"$WORK/$name.pid"
  for i in $(seq 1 300); do
    if grep -q '^listening 127\.0\.0\.1:' "$WORK/$name.log" 2>/dev/null; then
      sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2
  die "$name did not start"
}

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
# RSS of a process and its descendants (Portkey's node may fork workers)
tree_rss_mb() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null || true); do
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  awk -v k="$total" 'BEGIN {printf "%.1f", k/1024}'
}

# run_wrk NAME URL CONNS [env...] -> "rps p50_us p99_us non2xx errors"
run_wrk() {
  local name=$1 url=$2 conns=$3; shift 3
  local threads=1
  [ "$conns" -gt 1 ] && threads=2
  local out
  out=$(env BENCH_NONCE="$(date +%s%N)" "$@" timeout "$STEP_TIMEOUT" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s -s "$LUA" "$url" 2>&1) \
    || die "wrk against $name failed: $out"
  echo "$out" >"$WORK/wrk-$(tr -c 'A-Za-z0-9\n' _ <<<"$name")-c$conns.txt"
  local line
  line=$(grep '^BENCH ' <<<"$out") || die "no BENCH line from wrk against $name: $out"
  local rps p50 p99 err non2xx
  rps=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$line")
  p50=$(sed 's/.* p50_us=\([0-9]*\).*/\1/' <<<"$line")
  p99=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<<"$line")
  err=$(sed 's/.* errors=\([0-9]*\).*/\1/' <<<"$line")
  non2xx=$(sed 's/.* non2xx=\([0-9]*\).*/\1/' <<<"$line")
  echo "$rps $p50 $p99 $non2xx $err"
}

warm() { # warm NAME URL [env...]
  local name=$1 url=$2; shift 2
  env BENCH_NONCE="warm$(date +%s%N)" "$@" timeout $((WARMUP + 20)) wrk -t2 -c32 -d"${WARMUP}s" --timeout 5s -s "$LUA" "$url" >/dev/null 2>&1 \
    || die "warm-up against $name failed"
}

# The upstream: sets MOCK_PORT, MOCK_PID, MOCK_URL.
start_mock() {
  MOCK_PORT=$(start_listening mockllm "$MOCKLLM" --listen 127.0.0.1:0 --latency-ms 0)
  MOCK_PID=$(cat "$WORK/mockllm.pid")
  MOCK_URL="http://127.0.0.1:$MOCK_PORT"
}

# interviewd over the mock; $1 = name, $2 = directory for its SQLite store, then an
# optional command to run it under (valgrind, say). Echoes its port.
start_interviewd() {
  local name=$1 dir=$2
  shift 2
  cat >"$WORK/$name.ini" <<EOF
[store]
backend = sqlite
path = $dir/interviewd.db

[server]
log_level = warn

[provider.mock]
base_url = $MOCK_URL/v1
api_key_env = BENCH_MOCK_KEY
model = mock-small
headers = openai
EOF
  BENCH_MOCK_KEY=$MOCK_KEY INTERVIEWD_GATEWAY_KEYS=$GW_KEY \
    start_listening "$name" "$@" "$INTERVIEWD" serve --config "$WORK/$name.ini" --listen 127.0.0.1:0
}


# nginx as a plain reverse proxy to the mock, one worker: sets NG_PORT, NG_PID (the
# master; its worker is the only child).
start_nginx() {
  [ -x /usr/sbin/nginx ] || { apt_install nginx-light; systemctl disable --now nginx >/dev/null 2>&1 || true; }
  NG_PORT=$(free_port)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NG_PORT;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
  /usr/sbin/nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 &
  NG_PID=$!
  PIDS+=("$NG_PID")
  local i
  for i in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/" && return 0
    kill -0 "$NG_PID" 2>/dev/null || { cat "$WORK/nginx.log" "$WORK/nginx/error.log" >&2; die "nginx exited"; }
    sleep 0.1
  done
  die "nginx did not answer"
}

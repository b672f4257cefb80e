#!/usr/bin/env bash
# simulate_speed.sh: how fast `interviewd simulate` runs a day, in wall and CPU seconds.
#
#   bench/simulate_speed.sh                         # free-2026.ini, 100 and 1,000 candidates
#   SIZES="1000" bench/simulate_speed.sh            # one 10,000-interview day only
#   BASE=/tmp/old-interviewd bench/simulate_speed.sh   # also time another binary, and check
#                                                   # that both print the same day
#
# Each size runs `simulate --scenario SCENARIO --candidates N --json` once (N candidates x
# the scenario's 10 interviews each) under /usr/bin/time and prints wall, user and system
# seconds, peak RSS and the load average before and after: on a shared machine wall time
# mostly measures the others, user time the simulator. With BASE set, the same day is run
# with that binary too and the two JSON outputs are compared without wall_seconds: a speed
# change must not change the day (the figures are reproducible from the seed).
#
# Environment: BUILD (default build), INTERVIEWD_BIN ($BUILD/interviewd), BASE (unset),
# SCENARIO (data/scenarios/free-2026.ini), SIZES ("100 1000"), SEED (the scenario's).
# Needs jq and /usr/bin/time (Debian packages jq and time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BIN=${INTERVIEWD_BIN:-"$ROOT/$BUILD/interviewd"}
SCENARIO=${SCENARIO:-"$ROOT/data/scenarios/free-2026.ini"}
SIZES=${SIZES:-"100 1000"}

die() { echo "simulate_speed: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN missing: run make first"
[ -z "${BASE:-}" ] || [ -x "$BASE" ] || die "BASE=$BASE is not an executable"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install -y time"
command -v jq >/dev/null || die "jq missing: apt-get install -y jq"
[ -f "$SCENARIO" ] || die "no scenario file $SCENARIO"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/interviewd-simspeed-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ARGS=()
[ -n "${SEED:-}" ] && ARGS+=(--seed "$SEED")
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine:  $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(uname -sr)"
echo "binary:   $BIN (source $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'))"
echo "scenario: $SCENARIO"
echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# run LABEL BINARY N: one day, its times on one line
run() {
  local label=$1 bin=$2 n=$3 out="$WORK/$1-$3"
  local before after
  before=$(loadavg)
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$bin" simulate --scenario "$SCENARIO" \
    --candidates "$n" "${ARGS[@]}" --json >"$out.json" 2>"$out.err" ||
    die "$label simulate --candidates $n failed: $(tail -3 "$out.err")"
  after=$(loadavg)
  read -r wall user sys rss <"$out.time"
  printf '%-6s %6d interviews: wall %7.1f s, user %7.1f s, sys %5.1f s, peak RSS %6d KB; load %s -> %s; completed %s, calls %s\n' \
    "$label" "$(jq -r .interviews_requested "$out.json")" "$wall" "$user" "$sys" "$rss" "$before" "$after" \
    "$(jq -r .interviews_completed "$out.json")" "$(jq -r .llm_calls "$out.json")"
}

for n in $SIZES; do
  run this "$BIN" "$n"
  if [ -n "${BASE:-}" ]; then
    run base "$BASE" "$n"
    if diff <(jq -S 'del(.wall_seconds)' "$WORK/this-$n.json") <(jq -S 'del(.wall_seconds)' "$WORK/base-$n.json") >/dev/null; then
      echo "       same day from both binaries (simulate --json without wall_seconds)"
    else
      echo "       the two binaries printed DIFFERENT days:"
      diff <(jq -S 'del(.wall_seconds)' "$WORK/this-$n.json") <(jq -S 'del(.wall_seconds)' "$WORK/base-$n.json") | head -20
      exit 1
    fi
  fi
done

#!/usr/bin/env bash
# simulate_day.sh: one simulated day of the default workload (1,000 candidates x 10
# interviews = 10,000 interviews, business-hours arrival over three regions) on the brief's
# provider table (data/scenarios/seed.ini) and on the free tiers documented today
# (data/scenarios/free-2026.ini), plus `interviewd plan` for both. Prints the machine, a
# side-by-side table of the key fields and the planner's per-deployment binding limits.
#
#   bench/simulate_day.sh                      # both scenarios, their own [workload]
#   CANDIDATES=200 INTERVIEWS=5 bench/simulate_day.sh   # a smaller day
#
# Environment: BUILD (default build; build-asan works, slowly), INTERVIEWD_BIN (a binary
# elsewhere, e.g. a copy that a concurrent rebuild cannot replace), CANDIDATES, INTERVIEWS,
# SEED, DAYS (passed as --candidates, --interviews-per-candidate, --seed, --days when set),
# SCENARIOS (default "data/scenarios/seed.ini data/scenarios/free-2026.ini", at most a few),
# KEEP=DIR (keep the raw JSON of every run in DIR). Needs jq (Debian package jq).
# The simulations run one after another, so wall seconds are one process on one core;
# the load average before and after each run is printed, since other work on the
# machine slows it down.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BIN=${INTERVIEWD_BIN:-"$ROOT/$BUILD/interviewd"}
SCENARIOS=${SCENARIOS:-"data/scenarios/seed.ini data/scenarios/free-2026.ini"}

die() { echo "simulate_day: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN missing: run 'cmake --build $ROOT/$BUILD' (or make) first"
command -v jq >/dev/null || die "jq missing: apt-get install -y jq"

WORK=${KEEP:-}
if [ -z "$WORK" ]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/interviewd-simday-XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
else
  mkdir -p "$WORK"
fi

ARGS=()
[ -n "${CANDIDATES:-}" ] && ARGS+=(--candidates "$CANDIDATES")
[ -n "${INTERVIEWS:-}" ] && ARGS+=(--interviews-per-candidate "$INTERVIEWS")
[ -n "${SEED:-}" ] && ARGS+=(--seed "$SEED")
[ -n "${DAYS:-}" ] && ARGS+=(--days "$DAYS")

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- the machine ------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo "machine:  $(nproc) CPUs ($cpu), $mem RAM, $(uname -sr)"
echo "binary:   $BIN ($("$BIN" version 2>/dev/null || echo '?'), $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$ROOT/$BUILD/CMakeCache.txt" 2>/dev/null || echo '?'))"
echo "source:   $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
echo "command:  interviewd simulate --scenario FILE${ARGS[*]:+ ${ARGS[*]}} --json; interviewd plan --scenario FILE --json"
echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo

# ---- runs -------------------------------------------------------------------------------
names=()
for sc in $SCENARIOS; do
  path="$sc"
  [ -f "$path" ] || path="$ROOT/$sc"
  [ -f "$path" ] || die "no scenario file $sc"
  name=$(basename "$path" .ini)
  names+=("$name")
  before=$(loadavg)
  echo "simulating $name ... (load average before: $before)" >&2
  rss=""
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$BIN" simulate --scenario "$path" "${ARGS[@]}" --json \
      >"$WORK/$name.sim.json" 2>"$WORK/$name.sim.err" || die "simulate $name failed: $(tail -3 "$WORK/$name.sim.err")"
    rss=$(tail -1 "$WORK/$name.rss")
  else
    "$BIN" simulate --scenario "$path" "${ARGS[@]}" --json >"$WORK/$name.sim.json" 2>"$WORK/$name.sim.err" ||
      die "simulate $name failed: $(tail -3 "$WORK/$name.sim.err")"
  fi
  after=$(loadavg)
  echo "  done in $(jq -r '.wall_seconds | . * 10 | round / 10' "$WORK/$name.sim.json") s (load average after: $after)" >&2
  echo "$before" >"$WORK/$name.load_before"
  echo "$after" >"$WORK/$name.load_after"
  echo "${rss:-?}" >"$WORK/$name.rss_kb"
  "$BIN" plan --scenario "$path" --json >"$WORK/$name.plan.json" || die "plan $name failed"
done

# ---- the table --------------------------------------------------------------------------
# row LABEL JQ_FILTER_ON_SIM [plan]: one value per scenario
row() {
  local label=$1 filter=$2 src=${3:-sim} line
  line=$(printf '| %-40s' "$label")
  for n in "${names[@]}"; do
    line+=$(printf '| %-36s' "$(jq -r "$filter" "$WORK/$n.$src.json")")
  done
  echo "$line|"
}
rowf() { # label, file suffix (literal values)
  local label=$1 suffix=$2 line
  line=$(printf '| %-40s' "$label")
  for n in "${names[@]}"; do line+=$(printf '| %-36s' "$(cat "$WORK/$n.$suffix")"); done
  echo "$line|"
}

header=$(printf '| %-40s' "field")
sep="|$(printf -- '-%.0s' $(seq 1 41))"
for n in "${names[@]}"; do
  header+=$(printf '| %-36s' "$n.ini")
  sep+="|$(printf -- '-%.0s' $(seq 1 37))"
done
echo "$header|"
echo "$sep|"
row "interviews requested" '.interviews_requested'
row "interviews completed" '"\(.interviews_completed) (\(.completion_rate * 1000 | round / 10)%)"'
row "evaluated by a model (llm_evaluated)" '"\(.interviews_llm_evaluated) (\(.interviews_llm_evaluated / .interviews_requested * 1000 | round / 10)%)"'
row "scored by the heuristic rubric" '.interviews_completed - .interviews_llm_evaluated'
row "provider calls" '.llm_calls'
row "calls / interview" '.llm_calls_per_interview * 100 | round / 100'
row "tokens used" '.tokens_used'
row "quota violations" '.quota_violations'
row "provider 429s" '.provider_429s'
row "mode mix" '.mode_mix | to_entries | map("\(.key) \(.value)") | join(", ")'
row "optimization rate" '.optimization_rate * 1000 | round / 1000'
row "p95 turn latency (ms)" '.p95_turn_latency_ms'
row "wall seconds" '.wall_seconds * 10 | round / 10'
rowf "peak RSS (KB)" rss_kb
rowf "load average before run" load_before
row "max sustainable/day (simulate, economy)" '.max_sustainable_interviews_per_day'
row "plan: max interviews/day, full" '.max_interviews_per_day.full' plan
row "plan: max interviews/day, balanced" '.max_interviews_per_day.balanced' plan
row "plan: max interviews/day, economy" '.max_interviews_per_day.economy' plan
row "plan: busiest hour share of calls" '.peak_hour_share * 1000 | round / 10 | "\(.)%"' plan
row "plan: max/day, evaluations deferred, full" '.modes.full.max_interviews_per_day_spread' plan
row "plan: max/day, evaluations deferred, balanced" '.modes.balanced.max_interviews_per_day_spread' plan
row "plan: max/day, evaluations deferred, economy" '.modes.economy.max_interviews_per_day_spread' plan
echo

# free-2026's figure rests on deployments whose free limits are unconfirmed
# (confirmed = no in the file): the planner on the confirmed ones only.
if [ -f "$ROOT/data/scenarios/free-2026.ini" ]; then
  "$BIN" plan --scenario "$ROOT/data/scenarios/free-2026.ini" --confirmed-only --json >"$WORK/confirmed.plan.json" ||
    die "plan --confirmed-only failed"
  echo "free-2026.ini, confirmed deployments only (plan, max interviews/day):" \
    "$(jq -r '.max_interviews_per_day | "full \(.full), balanced \(.balanced), economy \(.economy)"' "$WORK/confirmed.plan.json");" \
    "left out: $(jq -r '.deployments_left_out | join(", ")' "$WORK/confirmed.plan.json")"
  echo
fi

for n in "${names[@]}"; do
  echo "$n.ini: calls by provider (simulate) and binding limit per deployment (plan, balanced / economy)"
  jq -r --slurpfile plan "$WORK/$n.plan.json" '
    .calls_by_provider | to_entries[] |
    .key as $k |
    ($plan[0].modes.balanced.deployments[] | select(.name == $k)) as $b |
    ($plan[0].modes.economy.deployments[] | select(.name == $k)) as $e |
    "  \($k | . + " " * (24 - length)) \(.value | tostring | " " * (7 - length) + .) calls   balanced: \($b.calls_per_day) by \($b.binding); economy: \($e.calls_per_day) by \($e.binding)"
  ' "$WORK/$n.sim.json"
  echo "  calls by task: $(jq -c '.calls_by_task' "$WORK/$n.sim.json")"
  echo
done

echo "json:"
for n in "${names[@]}"; do
  jq -c --arg n "$n" '{scenario: $n} + .' "$WORK/$n.sim.json"
done

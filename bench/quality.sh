#!/usr/bin/env bash
# quality.sh: the quality figures that tests assert, printed as figures.
#
#   offline scorer vs labels     build/test_quality on tests/data/answers/ (320 answers
#                                labelled by docs/labelling.md): Spearman's rho between
#                                heuristic scores and labels and the figures per answer
#                                type, on the tuning half and the held-out half; the test
#                                fails if a held-out target is missed
#   offline scorer speed         build/bench_heuristic_bench: CPU microseconds per answer
#   calls per interview by mode  tests/integration/modes.test.mjs: one candidate takes 10
#                                interviews in each mode against mockllm; the lines it
#                                prints (MEASURED ...) are what providers received
#   near-duplicate detection     build/test_simhash on the labelled pairs in
#                                tests/data/near_duplicates/: precision and recall of
#                                MinHash and SimHash at each threshold (Markdown tables)
#
# Environment: BUILD (default build). Run `make` first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
for bin in interviewd test_simhash test_quality bench_heuristic_bench; do
  [ -x "$ROOT/$BUILD/$bin" ] || { echo "quality: $BUILD/$bin is missing; run make first" >&2; exit 1; }
done

echo "# offline scorer against labelled answers (build/test_quality)"
out=$(INTERVIEWD_SOURCE_DIR="$ROOT" "$ROOT/$BUILD/test_quality" 2>&1) || { echo "$out" >&2; echo "quality: a held-out target is missed (above)" >&2; exit 1; }
echo "$out" | grep -E '^(##|\||$)'
echo
echo "# offline scorer speed (build/bench_heuristic_bench)"
INTERVIEWD_SOURCE_DIR="$ROOT" "$ROOT/$BUILD/bench_heuristic_bench" 200
echo

echo "# calls per interview by mode (tests/integration/modes.test.mjs)"
(cd "$ROOT" && INTERVIEWD_BIN="$ROOT/$BUILD/interviewd" MOCKLLM_BIN="$ROOT/$BUILD/mockllm" \
  INTERVIEWD_SOURCE_DIR="$ROOT" node --test tests/integration/modes.test.mjs 2>&1) |
  sed -n 's/^# MEASURED/MEASURED/p' | sort -u
echo
echo "# near-duplicate detection (build/test_simhash)"
out=$("$ROOT/$BUILD/test_simhash" 2>&1) || { echo "$out" >&2; echo "quality: test_simhash failed (above)" >&2; exit 1; }
echo "$out" | grep -E '^(#|\|)'

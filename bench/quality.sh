#!/usr/bin/env bash
# quality.sh: the two README figures that tests assert, printed as figures.
#
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
[ -x "$ROOT/$BUILD/interviewd" ] && [ -x "$ROOT/$BUILD/test_simhash" ] || { echo "quality: run make first" >&2; exit 1; }

echo "# calls per interview by mode (tests/integration/modes.test.mjs)"
(cd "$ROOT" && INTERVIEWD_BIN="$ROOT/$BUILD/interviewd" MOCKLLM_BIN="$ROOT/$BUILD/mockllm" \
  INTERVIEWD_SOURCE_DIR="$ROOT" node --test tests/integration/modes.test.mjs 2>&1) |
  sed -n 's/^# MEASURED/MEASURED/p' | sort -u
echo
echo "# near-duplicate detection (build/test_simhash)"
"$ROOT/$BUILD/test_simhash" 2>&1 | grep -E '^(#|\|)' || true

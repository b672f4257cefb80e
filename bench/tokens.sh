#!/usr/bin/env bash
# tokens.sh: prompt and completion tokens per model-scored interview, by mode and by task,
# counted with real tokenizers (gpt-tokenizer's o200k_base and llama3-tokenizer-js, pinned
# by bench/tokens/package-lock.json) on what a real interviewd sends a provider
# (bench/tokens.mjs: mockllm behind a recording proxy, one candidate, 10 interviews per
# mode). Prints one TOKENS line per mode and tokenizer and one line per task.
#
#   bench/tokens.sh                                   # economy, balanced, full; 10 interviews each
#   bench/tokens.sh --modes full --interviews 3       # any option of bench/tokens.mjs
#
# Environment: BUILD (default build). Run `make` first; needs node and npm (installs the two
# tokenizers into bench/tokens/node_modules from the lock file on the first run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
for bin in interviewd mockllm; do
  [ -x "$ROOT/$BUILD/$bin" ] || { echo "tokens: $BUILD/$bin is missing; run make first" >&2; exit 1; }
done
if [ ! -d "$ROOT/bench/tokens/node_modules/gpt-tokenizer" ] || [ ! -d "$ROOT/bench/tokens/node_modules/llama3-tokenizer-js" ]; then
  (cd "$ROOT/bench/tokens" && npm ci --no-audit --no-fund --silent)
fi
echo "# $(date -u +%FT%TZ) $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$ROOT"
INTERVIEWD_BIN="$ROOT/$BUILD/interviewd" MOCKLLM_BIN="$ROOT/$BUILD/mockllm" INTERVIEWD_SOURCE_DIR="$ROOT" \
  exec node bench/tokens.mjs "$@"

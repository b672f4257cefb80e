#!/bin/sh
# Checks that every C source follows .clang-format. It never rewrites a file: run
# `make format` to do that. Called by .ci/run before `make test`.
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || { echo "check-format: clang-format not found (scripts/deps.sh test installs it)" >&2; exit 1; }
bad=0
for f in $(git ls-files 'src/*.c' 'src/*.h' 'tools/*.c' 'tests/unit/*.c' 'tests/unit/*.h' 'tests/fuzz/*.c' 'bench/*.c'); do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check-format: $f does not follow .clang-format (make format fixes it)" >&2
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || { echo "check-format: $bad file(s) to format" >&2; exit 1; }
echo "check-format: every C file follows .clang-format"

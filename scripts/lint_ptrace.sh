#!/bin/sh
# intercept/ptrace.h is the only code in ravel that calls ptrace(2): every request is
# checked there and comes back as an absl::Status. Fails, naming each line, when ravel's
# own sources (C, C++, headers; tests and benchmarks included) call ptrace anywhere else.
# Guest programs are not ravel and may trace as they like: tests/guests/, corpora/ and
# testdata/ directories. Comment lines are skipped.
#   sh scripts/lint_ptrace.sh [ROOT]
set -eu
root="${1:-.}"
cd "$root"
found=$(find . \( -path './build*' -o -path './.git' -o -path './tests/guests' -o -path './corpora' \
                 -o -name testdata \) -prune -o \
               \( -name '*.cc' -o -name '*.h' -o -name '*.c' \) -type f -print |
  sed 's|^\./||' | grep -v -E '^intercept/ptrace\.(h|cc)$' | sort |
  xargs -r grep -HnE '(^|[^_a-zA-Z0-9])ptrace[[:space:]]*\(' |
  grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(//|/?\*)' || true)
if [ -n "$found" ]; then
  echo "ptrace must be called through intercept/ptrace.h:" >&2
  echo "$found" >&2
  exit 1
fi
echo "lint: every ptrace request goes through intercept/ptrace.h"

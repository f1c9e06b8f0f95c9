#!/bin/sh
# The installed package works for a project outside ravel's tree: `cmake --install` into a
# scratch prefix, then configure, build and test examples/installed against it with
# find_package(ravel). Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
scratch=$(mktemp -d /tmp/ravel-install-test-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
test -x "$scratch/prefix/bin/ravel"
test -f "$scratch/prefix/include/ravel/intercept/tool.h"
test ! -e "$scratch/prefix/include/ravel/intercept/tracer_core.h"

cmake -S "$source/examples/installed" -B "$scratch/example" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$scratch/example" >/dev/null

# The tool built against the package traces a command.
"$scratch/example/syscall_histogram" /bin/true > "$scratch/histogram"
grep -q '^execve 1$' "$scratch/histogram" || { cat "$scratch/histogram"; echo "no execve line"; exit 1; }
grep -q '^exit_group 1$' "$scratch/histogram" || { cat "$scratch/histogram"; echo "no exit_group line"; exit 1; }

# ravel_add_stress_test: the locked counter passes, the racy one is caught (WILL_FAIL).
ctest --test-dir "$scratch/example" --output-on-failure
test -f "$scratch/example/counter_racy_stress.junit.xml"
ls "$scratch/example/counter_racy_stress-artifacts/"*.sched >/dev/null
echo "install test: ok"

#!/bin/sh
# Runs every benchmark against BUILD_DIR (default: build). Numbers go to stdout; copy them
# into bench/RESULTS.md together with this command.
set -eu
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
python3 bench/intercept_bench.py "$BUILD_DIR" --markdown
python3 bench/twins_bench.py "$BUILD_DIR" --markdown
python3 bench/stress_throughput.py "$BUILD_DIR"
# Long (about 30 minutes on 2 cores; --quick about 6): python3 bench/bugfind.py "$BUILD_DIR" --quick

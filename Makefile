# The two commands: `make demo` and `make test`. Both bootstrap (install missing Debian
# packages), configure and build first. `make realworld` (not part of `make test`) runs
# GLib's own installed thread tests natively and under ravel: bench/realworld.py.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
# The unit-test binaries (label "unit"), all that test-asan builds and runs.
UNIT_TESTS := intercept_test syscalls_test strategies_test replay_test unwind_test gdb_test scheduler_test base_test engine_test stress_test

# Options for bench/realworld.py, e.g. REALWORLD_ARGS="--seeds 1 --stress-runs 0 --tests mutex,cond"
REALWORLD_ARGS ?=

.PHONY: all bootstrap build demo test test-asan bench realworld clean

all: build

bootstrap:
	@./scripts/bootstrap

$(BUILD_DIR)/CMakeCache.txt: | bootstrap
	cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: bootstrap $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	./scripts/demo $(BUILD_DIR)

test: build
	@$(BUILD_DIR)/tests/machine_features
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

test-asan: bootstrap
	cmake -S . -B $(ASAN_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DRAVEL_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j $(JOBS) --target $(UNIT_TESTS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) --timeout 600 -L unit

bench: build
	./bench/run_bench.sh $(BUILD_DIR)

# The real-suite gate: only ravel and its sync shim are built; exits nonzero when any run
# under ravel does not give the test's native verdict.
realworld: bootstrap $(BUILD_DIR)/CMakeCache.txt
	@./scripts/bootstrap realworld
	cmake --build $(BUILD_DIR) -j $(JOBS) --target ravel ravel_sync
	python3 bench/realworld.py --ravel $(BUILD_DIR)/cli/ravel $(REALWORLD_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

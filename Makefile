# Convenience front end to the CMake build. `make demo` and `make check` are the README's two
# commands: both install missing Debian packages first (scripts/install-deps.sh).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check asan-check clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DHEXZ_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/hexz

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan-check: deps
	@cmake -S . -B $(ASAN_BUILD) -DHEXZ_WERROR=ON -DHEXZ_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# `make fuzz`: every libFuzzer target of fuzz/ for FUZZ_SECONDS each (clang, ASan, UBSan; build-fuzz/).
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz:
	@bash fuzz/run-fuzzers.sh $(FUZZ_SECONDS)

# Convenience front end to the CMake build. `make demo` and `make check` are the README's two
# commands: both install missing Debian packages first (scripts/install-deps.sh).
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
# `make tsan-check` runs the tests that use threads under ThreadSanitizer: the thread pool, the
# pack pipeline and the racing pairs of test_races, concurrent reads with the caches and prefetch
# (test_read_at, test_thin), the remote reader and its disk cache (test_remote), option
# handling with workers (test_pack_options) and FUSE (test_mount, its hexz mount under TSan).
TSAN_TESTS ?= test_thread_pool test_pipeline test_races test_read_at test_thin test_remote test_pack_options test_mount
empty :=
space := $(empty) $(empty)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check asan-check tsan-check clean

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

tsan-check: deps
	@cmake -S . -B $(TSAN_BUILD) -DHEXZ_WERROR=ON -DHEXZ_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DHEXZ_FUZZ=OFF -DHEXZ_BENCH=OFF >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target hexz_cli $(TSAN_TESTS)
	@cd $(TSAN_BUILD) && ctest --output-on-failure -j $(JOBS) -R '^($(subst $(space),|,$(TSAN_TESTS)))$$'

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# `make fuzz`: every libFuzzer target of fuzz/ for FUZZ_SECONDS each (clang, ASan, UBSan; build-fuzz/).
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz:
	@bash fuzz/run-fuzzers.sh $(FUZZ_SECONDS)

# `make minimal-check`: the library and the CLI without the optional parts (no libcurl: no
# http://, https:// or s3://; no FUSE: no 'hexz mount'), built into build-minimal/ and tested
# there; the tests of the missing parts are not built.
MINIMAL_BUILD ?= build-minimal
.PHONY: minimal-check
minimal-check: deps
	@cmake -S . -B $(MINIMAL_BUILD) -DHEXZ_WERROR=ON -DHEXZ_WITH_CURL=OFF -DHEXZ_WITH_FUSE=OFF \
		$(CMAKE_FLAGS) >/dev/null
	@cmake --build $(MINIMAL_BUILD) -j $(JOBS)
	@cd $(MINIMAL_BUILD) && ctest --output-on-failure -j $(JOBS)

# `make install [PREFIX=/usr/local] [DESTDIR=/staging]`: builds, then `cmake --install` into
# DESTDIR/PREFIX: libhexz.so.1 and libhexz.a, include/hexz.h, hexz.pc, the CMake package
# (hexz::hexz), the hexz tool and the rest of CMakeLists.txt's install rules. PREFIX (made
# absolute) is also given at configure time: it decides the library directory (GNUInstallDirs:
# lib, or lib/<multiarch> for /usr) and whether the tool needs its $ORIGIN-relative RPATH.
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: install
install: deps
	@cmake -S . -B $(BUILD) -DHEXZ_WERROR=ON -DCMAKE_INSTALL_PREFIX="$(abspath $(PREFIX))" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(abspath $(PREFIX))"

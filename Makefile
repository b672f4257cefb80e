# The three commands of CONTRACT.md. CMake does the building; this file only orders
# the steps and installs what a fresh Debian 12 machine lacks (scripts/deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG     ?=

.PHONY: all run test deps-run deps-test configure clean format check-format unit-test web-deps

# uPlot for the admin dashboard, pinned by web/package-lock.json; served from
# web/node_modules at /static/vendor/. Reinstalled when the lock file changes.
WEB_DEP := web/node_modules/uplot/dist/uPlot.iife.min.js

all: configure web-deps
	cmake --build $(BUILD) -j $(JOBS)

# Without npm (or the registry) the server still builds and runs; the dashboard then
# shows its numbers and says that its charts are missing. `make test` insists.
web-deps:
	@if [ -f $(WEB_DEP) ] && [ $(WEB_DEP) -nt web/package-lock.json ]; then :; \
	elif ! command -v npm >/dev/null 2>&1; then \
		echo "make: npm not found: the admin dashboard will have no charts (scripts/deps.sh run installs npm)" >&2; \
	elif (cd web && npm ci --no-audit --no-fund --silent); then touch $(WEB_DEP); \
	else echo "make: npm could not install web/ dependencies: the admin dashboard will have no charts" >&2; fi

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json 2>/dev/null || true

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

run: deps-run all
	@mkdir -p var
	./$(BUILD)/interviewd serve $(if $(CONFIG),--config $(CONFIG),)

# Everything, twice: the normal build (with browser tests), then ASan+UBSan (without).
test: deps-test all
	@test -f $(WEB_DEP) || { echo "make test: $(WEB_DEP) is missing (npm ci in web/ failed)" >&2; exit 1; }
	cd tests/browser && npm install --no-audit --no-fund --silent
	cd tests/integration/openai_sdk && npm install --no-audit --no-fund --silent
	cd $(BUILD) && ctest --output-on-failure -j 2
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DINTERVIEWD_SANITIZE=ON -DINTERVIEWD_BROWSER_TESTS=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2

# wrk against mockllm, interviewd's /v1 and Portkey's gateway on loopback (about 2 min);
# writes bench/results/gateway-*.txt. See bench/README-gateway.md.
.PHONY: bench-gateway
bench-gateway: all
	bench/gateway_bench.sh

unit-test: all
	cd $(BUILD) && ctest --output-on-failure -R '^unit/'

# Rewrites every C source to .clang-format; `make check-format` (run by .ci/run) only checks.
format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tools/*.c' 'tests/unit/*.c' 'tests/unit/*.h' 'tests/fuzz/*.c' 'bench/*.c')

check-format:
	@scripts/check-format.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

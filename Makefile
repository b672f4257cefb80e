# The three commands of CONTRACT.md. CMake does the building; this file only orders
# the steps and installs what a fresh Debian 12 machine lacks (scripts/deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG     ?=

.PHONY: all run test deps-run deps-test configure clean format unit-test

all: configure
	cmake --build $(BUILD) -j $(JOBS)

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
	cd tests/browser && npm install --no-audit --no-fund --silent
	cd $(BUILD) && ctest --output-on-failure -j 2
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DINTERVIEWD_SANITIZE=ON -DINTERVIEWD_BROWSER_TESTS=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2

unit-test: all
	cd $(BUILD) && ctest --output-on-failure -R '^unit/'

format:
	clang-format -i src/*/*.c src/*/*.h src/main.c tools/*.c tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

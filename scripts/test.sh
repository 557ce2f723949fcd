#!/usr/bin/env bash
# Every test: the release build's suite (unit, end-to-end, fuzz corpus replays), the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer, every libFuzzer target for a bounded time,
# clang-tidy on the product's sources, and a small run of each benchmark script so they keep
# working. The hub's suites run on SQLite and on a private PostgreSQL server started here.
#
#   scripts/test.sh                 everything (FUZZ_SECONDS per target, default 30)
#   scripts/test.sh --quick         release suite only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-30}

step() { printf '\n==== %s\n' "$*"; }

# The hub's storage and API suites run on PostgreSQL as well as SQLite: start a private server
# (scripts/pg-test-server.sh) unless the caller gives one in MAMORI_TEST_POSTGRES_URL (.ci/run does).
if [ -z "${MAMORI_TEST_POSTGRES_URL:-}" ] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  pg_dir=$(mktemp -d /tmp/mamori-pg.XXXXXX)
  MAMORI_TEST_POSTGRES_URL=$(scripts/pg-test-server.sh start "$pg_dir")
  export MAMORI_TEST_POSTGRES_URL
  trap 'scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
fi

step "release build and test suite"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAMORI_WERROR=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j "$jobs"
[ "$quick" = 1 ] && exit 0

step "AddressSanitizer + UndefinedBehaviorSanitizer build and test suite"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DMAMORI_SANITIZE=ON -DMAMORI_WERROR=ON -DMAMORI_BENCH=OFF >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

step "clang-tidy on src/ (warnings are errors; .clang-tidy)"
if ! clang-tidy -p build-asan --quiet $(git ls-files 'src/*.cc') > build-asan/clang-tidy.log 2>&1; then
  grep -v "warnings generated" build-asan/clang-tidy.log
  exit 1
fi

step "libFuzzer targets, ${fuzz_seconds}s each"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DMAMORI_FUZZ=ON -DMAMORI_SANITIZE=ON -DMAMORI_BENCH=OFF >/dev/null
# Only the fuzz targets: the test binaries of this configuration would add nothing.
fuzz_targets=$(basename -s .cc tests/fuzz/*_fuzz.cc)
# shellcheck disable=SC2086
cmake --build build-fuzz --target $fuzz_targets
for target in build-fuzz/tests/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  corpus=tests/fuzz/corpus/$name
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/
  echo "fuzz $name"
  "$target" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$work" 2>&1 | tail -n 2
  rm -rf "$work"
done

step "benchmark scripts, small inputs"
bench/select/run.sh --small
bench/detect/run.sh --small
bench/hub/run.sh --small
bench/dns/run.sh --small

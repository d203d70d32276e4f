#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. unit tests, fuzz-corpus replay and the integration tests (the daemon
#      itself in the lab) under ASan+UBSan (build-asan/)
#   2. unit tests and the integration tests that run several threads under
#      ThreadSanitizer (build-tsan/)
#   3. a bounded libFuzzer pass over every fuzz target (build-fuzz/, clang)
#   4. the Release build's unit, corpus-replay and integration tests (build/)
# Options: --quick skips 1 to 3. FUZZ_SECONDS (default 20) bounds each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
tsan_failed=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
jobs=$(nproc)

if ((!quick)); then
  echo "== sanitizer build (ASan+UBSan): unit and integration tests"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTLSGATE_SANITIZE=ON -DTLSGATE_WERROR=ON -DTLSGATE_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs"
  ctest --test-dir build-asan -L integration --output-on-failure --timeout 900

  # A race found does not hide what the later passes find: reported at the end.
  bash scripts/tsan.sh || tsan_failed=1

  echo "== libFuzzer pass"
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi

echo "== release build: unit and integration tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTLSGATE_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure --timeout 900
if ((tsan_failed)); then
  echo "test.sh: the ThreadSanitizer pass failed (see its output above)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a
# bounded time (first argument, seconds; default 20), seeded from its corpus
# and tests/data. New crashes are left as crash-* files and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTLSGATE_FUZZ=ON -DTLSGATE_TESTS=OFF -DTLSGATE_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)"

shopt -s nullglob
for bin in build-fuzz/tests/fuzz/*_fuzz; do
  name=$(basename "$bin")
  corpus=tests/fuzz/corpus/$name
  work=$(mktemp -d)
  mkdir -p "$corpus"
  echo "fuzz: $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="tests/fuzz/crash-$name-" "$work" "$corpus" tests/data 2>&1 | tail -n 3
  rm -rf "$work"
done

#!/usr/bin/env bash
# Builds with ThreadSanitizer (build-tsan/) and runs the unit tests and the
# integration tests whose daemon runs several threads that share state: workers
# (workers:=2), the flow-log writer, the metrics server, the control socket and
# the QUIC guard's NFQUEUE thread. Any report fails the run (they are kept in
# build-tsan/tsan-reports/).
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests whose daemon runs two workers (daemonops, intercept, policy, tunnel) or the QUIC
# guard's thread (quic). Not privileges_test: it checks that every thread dropped its
# capabilities, and TSan's own background thread cannot (it blocks every signal).
integration='^integration\.(daemonops|intercept|policy|quic|tunnel)_test$'

echo "== ThreadSanitizer build: unit tests and the multi-threaded integration tests"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DTLSGATE_TSAN=ON -DTLSGATE_WERROR=ON \
  -DTLSGATE_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$(nproc)"

reports=$PWD/build-tsan/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"  # the daemon may have dropped to an unprivileged user
# The daemon's stderr goes to each test's work directory: log_path keeps every
# report where this script can find it, whoever started the process.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp log_path=$reports/tsan"
status=0
ctest --test-dir build-tsan -L unit --output-on-failure -j "$(nproc)" || status=1
ctest --test-dir build-tsan -R "$integration" --output-on-failure --timeout 900 || status=1
if compgen -G "$reports/tsan.*" >/dev/null; then
  echo "tsan.sh: ThreadSanitizer reports:" >&2
  cat "$reports"/tsan.* >&2
  status=1
fi
exit "$status"

#!/usr/bin/env bash
# Captures c-icap's real answers into tests/data/icap/ (the parser's fixtures): starts the
# scanner of scripts/lib/scanner.sh on loopback (root namespace, port 13440 or $ICAP_PORT),
# runs scripts/capture_icap_answers.py against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/scanner.sh
source scripts/lib/scanner.sh
dir=$(mktemp -d)
trap 'scanner_down; rm -rf "$dir"' EXIT
scanner_up "$dir" 127.0.0.1 "${ICAP_PORT:-13440}"
python3 scripts/capture_icap_answers.py 127.0.0.1 "${ICAP_PORT:-13440}" "$SCANNER_EICAR" "$SCANNER_SIGNED" tests/data/icap

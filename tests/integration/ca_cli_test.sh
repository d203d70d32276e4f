#!/usr/bin/env bash
# `tlsgate ca init` / `ca export` end to end, in a temporary directory (no network, no lab).
set -euo pipefail
: "${TLSGATE_BIN:?set TLSGATE_BIN to the tlsgate binary}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
state="$tmp/state"
fail() { echo "FAIL: $*" >&2; exit 1; }
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256; }

# init: creates the state dir, a CA certificate and a 0600 key that match.
out=$("$TLSGATE_BIN" ca init --state-dir "$state") || fail "ca init exited $?"
grep -q "$state/ca.crt" <<<"$out" || fail "init does not say where the certificate is: $out"
[[ $(stat -c %a "$state/ca.key") == 600 ]] || fail "key mode is $(stat -c %a "$state/ca.key")"
[[ $(stat -c %a "$state") == 700 ]] || fail "state dir mode is $(stat -c %a "$state")"
openssl x509 -in "$state/ca.crt" -noout -text | grep -q "CA:TRUE" || fail "not a CA certificate"
openssl x509 -in "$state/ca.crt" -noout -text | grep -q "id-ecPublicKey" || fail "default key is not EC"
[[ $(openssl x509 -in "$state/ca.crt" -noout -pubkey) == $(openssl pkey -in "$state/ca.key" -pubout) ]] ||
  fail "key does not match the certificate"
before=$(fingerprint "$state/ca.crt")
key_before=$(sha256sum <"$state/ca.key")

# A second init refuses, exit non-zero, and touches nothing.
if err=$("$TLSGATE_BIN" ca init --state-dir "$state" 2>&1); then fail "second init succeeded"; fi
grep -q -- "--force" <<<"$err" || fail "refusal does not mention --force: $err"
[[ $(fingerprint "$state/ca.crt") == "$before" && $(sha256sum <"$state/ca.key") == "$key_before" ]] ||
  fail "refused init changed the files"

# --force replaces it (here with an RSA key).
"$TLSGATE_BIN" ca init --state-dir "$state" --key-type rsa2048 --force >/dev/null || fail "init --force failed"
[[ $(fingerprint "$state/ca.crt") != "$before" ]] || fail "--force did not replace the CA"
openssl x509 -in "$state/ca.crt" -noout -text | grep -q "rsaEncryption" || fail "--key-type rsa2048 ignored"
[[ $(stat -c %a "$state/ca.key") == 600 ]] || fail "replaced key mode is $(stat -c %a "$state/ca.key")"

# export: PEM and DER are the same certificate.
"$TLSGATE_BIN" ca export --state-dir "$state" >"$tmp/export.pem" || fail "export pem failed"
"$TLSGATE_BIN" ca export --state-dir "$state" --format der >"$tmp/export.der" || fail "export der failed"
[[ $(fingerprint "$tmp/export.pem") == $(fingerprint "$state/ca.crt") ]] || fail "exported PEM differs"
[[ $(openssl x509 -inform der -in "$tmp/export.der" -noout -fingerprint -sha256) == $(fingerprint "$state/ca.crt") ]] ||
  fail "exported DER differs"
"$TLSGATE_BIN" ca export --cert "$tmp/export.pem" --format pem | cmp -s - "$tmp/export.pem" ||
  fail "export --cert differs"

# Errors: clear message, non-zero exit.
if err=$("$TLSGATE_BIN" ca export --state-dir "$tmp/none" 2>&1); then fail "export of a missing CA succeeded"; fi
grep -q "ca init" <<<"$err" || fail "missing-CA error gives no hint: $err"
if "$TLSGATE_BIN" ca init --state-dir "$tmp/x" --key-type dsa >/dev/null 2>&1; then fail "bad key type accepted"; fi
[[ ! -e "$tmp/x/ca.key" ]] || fail "bad key type still created a key"

echo "ca_cli_test: OK"

#!/usr/bin/env bash
# Onboarding (docs/policy.md, "Onboarding clients to the gateway CA"): a policy
# rule onboards port 80 and the portal listens on a wildcard address. A client
# whose CA state is unknown gets a 302 to the portal (its URL names the
# gateway's LAN address) for a plain-HTTP request, the page loads from that
# Location, and an http line says onboard. After an intercepted HTTPS request
# of its own succeeds (gateway CA trusted), its port-80 requests reach nginx.
# A second client that rejects the forged certificate (curl without the
# gateway CA) stays redirected and shows as failing in tlsgate_clients_ca.
# Without an onboard rule, portal_redirect_failing_clients redirects only a
# client that rejected the forged certificate. An onboard rule without
# portal_listen fails `tlsgate run --test`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-1}
lab_up
work=$(mktemp -d)
trap 'rm -rf "$work"; lab_cleanup' EXIT
log="$work/flows.jsonl"
metrics=127.0.0.1:19104
portal="http://$GW_LAN_IP4:8080/"
cat >"$work/policy.json" <<'JSON'
{"default": "intercept", "rules": [{"name": "new devices", "port": 80, "action": "onboard"}]}
JSON

# Without portal_listen the policy cannot be used.
test_config policy_file="$work/policy.json" >"$work/no-portal.json"
out=$("$TLSGATE_BIN" run --test --config "$work/no-portal.json" 2>&1) && fail "run --test accepted onboard without portal_listen" ||
  check "run --test: onboard without portal_listen is an error that says so" \
    grep -q 'rules\[0\]: "onboard" sends clients to the CA onboarding page, but the config has no portal_listen' <<<"$out"

test_config policy_file="$work/policy.json" upstream_ca_file="$PUBLIC_CA_CERT" portal_listen="0.0.0.0:8080" \
  metrics_listen="$metrics" learned_bypass:=false >"$work/config.json"
rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
check "the portal listens on 0.0.0.0:8080" gw_listening 8080
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# plain SOURCE: a port-80 request from SOURCE; prints "STATUS LOCATION BODY".
plain() {
  in_client curl -sS -m 5 --interface "$1" --resolve "default.example.test:80:$SERVER_IP4" -o "$work/body" \
    -w '%{http_code} %{redirect_url} ' http://default.example.test/echo
  tr -d '\n' <"$work/body"
}
clients_ca() { metric "tlsgate_clients_ca{state=\"$1\"}"; }
clients_ca_is() { [[ $(clients_ca "$1") == "$2" ]]; }

# --- A client the gateway knows nothing about is sent to the portal.
check_eq "$(clients_ca working) $(clients_ca failing)" "0 0" "no client has shown its CA state yet"
answer=$(plain "$CLIENT_IP4")
check "unknown client: 302 to $portal (the gateway's address on the client's side)" \
  grep -q "^302 $portal " <<<"$answer"
check "the 302 carries a link to the portal" grep -q "href=\"$portal\"" <<<"$answer"
title=$(in_client curl -sS -m 5 "$portal" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p')
check_eq "$title" "Install the tlsgate gateway CA" "the portal page loads from the Location"
wait_events 1 http '.action == "onboard"'
ev=$(events http '.action == "onboard"' | head -n 1)
check_eq "$(jq -r '[.client.ip, .status, .reason, .rule, .scheme, .authority, .path] | join(" ")' <<<"$ev")" \
  "$CLIENT_IP4 302 policy new devices http default.example.test /echo" "an http line says onboard, with the rule"
check_eq "$(metric tlsgate_onboard_redirects_total)" 1 "tlsgate_onboard_redirects_total counts the redirect"
check "nginx never saw the onboarded request" bash -c "! grep -q 'GET /echo' '$LAB_DIR/nginx/access.log'"

# --- A client without the gateway CA rejects the forged certificate: failing.
check "a client without the gateway CA rejects the forged certificate" \
  bash -c "! ip netns exec '$NS_CLIENT' curl -sS -m 5 --interface '$CLIENT_IP4_B' --cacert '$PUBLIC_CA_CERT' \
    -o /dev/null https://www.example.test/small 2>/dev/null"
check "tlsgate_clients_ca{state=\"failing\"} becomes 1" wait_until 5 "a failing client" clients_ca_is failing 1
check "the failing client is still sent to the portal" grep -q "^302 $portal " <<<"$(plain "$CLIENT_IP4_B")"

# --- The first client installs the CA: an intercepted exchange works, then port 80 goes through.
check_eq "$(in_client curl -sS -m 5 --interface "$CLIENT_IP4" --cacert "$trust" -o /dev/null -w '%{http_code}' \
  https://www.example.test/small)" 200 "with the gateway CA trusted, an intercepted HTTPS request succeeds"
check "tlsgate_clients_ca{state=\"working\"} becomes 1" wait_until 5 "a working client" clients_ca_is working 1
check_eq "$(plain "$CLIENT_IP4")" "200  GET /echo" "the client whose CA works reaches nginx on port 80"
check "nginx saw that request" grep -q 'GET /echo' "$LAB_DIR/nginx/access.log"
check_eq "$(clients_ca working) $(clients_ca failing)" "1 1" "one client works, one fails"
check "the failing client is still sent to the portal" grep -q "^302 $portal " <<<"$(plain "$CLIENT_IP4_B")"
check_eq "$(metric tlsgate_onboard_redirects_total)" 3 "three redirects in all"
settle
stop_tlsgate

# --- No onboard rule, portal_redirect_failing_clients: only a client whose CA fails goes to the portal.
echo '{"default": "intercept", "rules": []}' >"$work/policy.json"
test_config policy_file="$work/policy.json" upstream_ca_file="$PUBLIC_CA_CERT" portal_listen="$GW_LAN_IP4:8080" \
  portal_redirect_failing_clients:=true metrics_listen="$metrics" learned_bypass:=false >"$work/config.json"
start_tlsgate "$work/config.json"
check_eq "$(plain "$CLIENT_IP4_B")" "200  GET /echo" "failing clients only: a client not known to fail reaches nginx"
in_client curl -sS -m 5 --interface "$CLIENT_IP4_B" --cacert "$PUBLIC_CA_CERT" -o /dev/null \
  https://www.example.test/small 2>/dev/null || true
check "the client rejected the forged certificate: failing" wait_until 5 "a failing client" clients_ca_is failing 1
check "failing clients only: now it is sent to the portal" grep -q "^302 $portal " <<<"$(plain "$CLIENT_IP4_B")"
check_eq "$(events http '.action == "onboard" and .reason == "ca_failing"' | jq -r .client.ip)" "$CLIENT_IP4_B" \
  "an http line says onboard, reason ca_failing"
settle
stop_tlsgate
validate_log "$log"
finish

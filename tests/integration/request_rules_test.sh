#!/usr/bin/env bash
# Request rules (docs/policy.md, "Request rules") in the shared-address lab of shared_vhosts.sh.
# Policy: a path rule blocks /secret/ (and /secret) on www and on api; api is otherwise tunnelled.
#  - www over HTTP/1.1 and h2 (curl through the gateway): "/" is served, /secret/ gets the block
#    page (403, the rule's name, the operator's line, Cache-Control: no-store) on the same
#    connection; encodings of the path ("//secret/", "/%73ecret/", "/./secret") are blocked too.
#  - port 80: /secret/ is blocked before any upstream connection; "/" is served.
#  - api, tunnelled by its SNI, is intercepted because a path rule applies to it: "/" is served
#    (by the tunnel rule, as `allow`), /secret/ is blocked.
#  - nginx's access logs prove that no blocked request arrived; every log line is validated.
#  - `tlsgate policy check --path` and `policy lint` agree with the daemon.
set -euo pipefail
source "$(dirname "$0")/shared_vhosts.sh"

for v in www api; do
  mkdir -p "$work/site/$v/secret"
  marker[$v-secret]="tlsgate-$v-secret-$RANDOM$RANDOM"
  printf '<p>%s</p>\n' "${marker[$v-secret]}" >"$work/site/$v/secret/index.html"
done
direct_secret() {
  in_client curl -sS -m 5 --cacert "$PUBLIC_CA_CERT" "https://$1.example.test/secret/?case=lab-$1-secret" |
    grep -q "${marker[$1-secret]}" && served "$1" "lab-$1-secret"
}
check "lab: nginx serves www's /secret/ (so a 403 through the gateway is the gateway's)" direct_secret www
check "lab: nginx serves api's /secret/" direct_secret api

cat >"$policy" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "no secret path", "host": ["www.example.test", "api.example.test"], "path": ["/secret/*", "/secret"],
     "action": "block"},
    {"name": "api is private", "host": "api.example.test", "action": "tunnel"}
  ]
}
JSON
operator_line="Questions? Ask the help desk ($RANDOM)."
start_gateway block_page_text="$operator_line"

# served_not_secret VHOST CASE: the request reached VHOST, and no request for its /secret/ did
# since the lab checks (the lab's own /secret/ request is case=lab-VHOST-secret).
no_secret_served() { ! grep -v 'case=lab-' "$work/nginx/$1.log" | grep -q ' /secret\| //secret\| /%73ecret\| /\./secret'; }

# --- HTTP/1.1: "/" then /secret/ on one connection
line=$(fetch www-h1 --http1.1 --cacert "$gateway_ca" "https://www.example.test/?case=www-h1-root" \
  --next "${w[@]}" --http1.1 --cacert "$gateway_ca" "https://www.example.test/secret/?case=www-h1-secret")
check_eq "$(field '.action + " " + .policy.rule' "$line")" "intercept default" "h1: the flow is intercepted (default)"
check_eq "$(transfers www-h1)" "200/1 403/0" "h1: 200 for /, then 403 for /secret/ on the same connection"
check "h1: www's page arrived" has www-h1 "${marker[www]}"
check "h1: the secret page did not" lacks www-h1 "${marker[www-secret]}"
check "h1: the block page names the rule" has www-h1 "no secret path"
check "h1: the block page has the operator's line" has www-h1 "$operator_line"
check "h1: / reached www" served www www-h1-root
check "h1: /secret/ never reached www" not_served www www-h1-secret
ev=$(events http '.path == "/secret/?case=www-h1-secret"' | head -n 1)
check_eq "$(verdict "$ev")" "block policy no secret path 403" "h1: http event block policy 'no secret path' 403"
check_eq "$(field '.action + " " + (.status|tostring)' "$(http_event www-h1-root)")" "allow 200" "h1: / is allow 200"

# --- h2: /secret/ first, then "/" on the same connection
line=$(fetch www-h2 --http2 --cacert "$gateway_ca" "https://www.example.test/secret/?case=www-h2-secret" \
  --next "${w[@]}" --http2 --cacert "$gateway_ca" "https://www.example.test/?case=www-h2-root")
check_eq "$(field '.action + " " + .tls.client.negotiated.alpn' "$line")" "intercept h2" "h2: intercepted, h2"
check_eq "$(transfers www-h2)" "403/1 200/0" "h2: 403 for /secret/, then 200 for / on the same connection"
check "h2: the block page names the rule" has www-h2 "no secret path"
check "h2: www's page arrived" has www-h2 "${marker[www]}"
check "h2: the secret page did not" lacks www-h2 "${marker[www-secret]}"
check "h2: / reached www" served www www-h2-root
check "h2: /secret/ never reached www" not_served www www-h2-secret
ev=$(events http '.path == "/secret/?case=www-h2-secret"' | head -n 1)
check_eq "$(field .http_version "$ev") $(verdict "$ev")" "2 block policy no secret path 403" "h2: http event block 403"

# --- the block page is not cached (both versions)
for proto in 1.1 2; do
  in_client curl -sS -m 10 "--http$proto" --cacert "$gateway_ca" -o /dev/null -D "$work/headers-$proto" \
    "https://www.example.test/secret/?case=no-store-$proto" || true
  check "HTTP/$proto: the block page is sent with Cache-Control: no-store" \
    grep -qi '^cache-control: no-store' "$work/headers-$proto"
done

# --- spellings of the same path
n=0
for target in "//secret/" "/%73ecret/" "/./secret/x" "/public/../secret" "/secret"; do
  n=$((n + 1))
  fetch "spelling-$n" --http1.1 --path-as-is --cacert "$gateway_ca" "https://www.example.test$target?case=spelling-$n" >/dev/null
  check_eq "$(transfers "spelling-$n")" 403/1 "h1: $target is blocked like /secret/"
  check "h1: $target never reached www" not_served www "spelling-$n"
done

# --- port 80: decided before any upstream connection
syns=$(syn80)
fetch plain-secret http://www.example.test/secret/?case=plain-secret >/dev/null
check_eq "$(transfers plain-secret)" 403/1 "port 80: /secret/ is 403"
check "port 80: the block page names the rule" has plain-secret "no secret path"
check_eq "$(syn80)" "$syns" "port 80: the gateway opened no upstream connection for /secret/"
check "port 80: /secret/ never reached www" not_served www plain-secret
ev=$(events http '.path == "/secret/?case=plain-secret"' | head -n 1)
check_eq "$(verdict "$ev") $(field .scheme "$ev")" "block policy no secret path 403 http" "port 80: http event block, scheme http"
fetch plain-root http://www.example.test/?case=plain-root >/dev/null
check_eq "$(transfers plain-root)" 200/1 "port 80: / is 200"
check "port 80: / reached www" served www plain-root

# --- api: tunnelled by its SNI, but a path rule applies to it: intercepted, requests decided
line=$(fetch api-h2 --http2 --cacert "$gateway_ca" "https://api.example.test/?case=api-root" \
  --next "${w[@]}" --http2 --cacert "$gateway_ca" "https://api.example.test/secret/?case=api-secret")
check_eq "$(field '.action + " " + .policy.rule' "$line")" "intercept api is private" \
  "api: intercepted (the path rule applies to it), under its tunnel rule"
check_eq "$(transfers api-h2)" "200/1 403/0" "api: / is 200, /secret/ 403"
check "api: its page arrived" has api-h2 "${marker[api]}"
check "api: / reached api" served api api-root
check "api: /secret/ never reached api" not_served api api-secret
check_eq "$(field '.action + " " + (.status|tostring)' "$(http_event api-root)")" "allow 200" "api: / is allow 200"

check "no /secret/ request reached www through the gateway" no_secret_served www
check "no /secret/ request reached api through the gateway" no_secret_served api
check "nothing reached secret" secret_log_empty

# --- the tools agree
check_eq "$("$TLSGATE_BIN" policy check --policy "$policy" --host www.example.test --path '/secret/a?b=1' | head -n 2 | tr '\n' ' ')" \
  "action: block rule: no secret path (rules[0]) " "policy check --path /secret/a?b=1: block"
check_eq "$("$TLSGATE_BIN" policy check --policy "$policy" --host api.example.test --path / | head -n 1)" \
  "action: allow" "policy check --path / for api: allowed (its flows are intercepted)"
check "policy lint: no findings" "$TLSGATE_BIN" policy lint "$policy"

check "tlsgate still running at the end" kill -0 "$TLSGATE_PID"
stop_tlsgate TERM
validate_log "$log"
finish

#!/usr/bin/env bash
# Every HTTP request answers to the policy, not only the handshake (docs/policy.md, "What a host
# rule guarantees, path by path"), in the shared-address lab of shared_vhosts.sh: one nginx
# serves default (the default server), www, api and secret.example.test on one address, each
# with its own access log; policy: secret blocked, api tunnelled, the rest intercepted.
#  - Domain fronting in intercepted flows (SNI default, Host / :authority secret; HTTP/1.1 and
#    h2): 403 with the block page naming the rule, an http event `block policy`, secret's log
#    stays empty; the allowed request on the same connection loads (`allow`).
#  - A tunnelled host fronted through an intercepted flow: 421, `host_mismatch`, never forwarded.
#  - Plain HTTP on port 80: per request; a blocked first request opens no upstream connection
#    (SYNs counted in the server namespace); keep-alive: the allowed page, then the 403.
#  - 300 header fields (past http_max_header_fields) to the blocked and to the allowed host, and
#    HTTP/1.0 without Host: blocked and logged, never relayed blind.
#  - Headless Chromium: a www page with an image from api (coalescing candidate: www's certificate
#    names api) loads it over api's own tunnelled connection; an image from secret never arrives.
# Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/shared_vhosts.sh"
chromium_pgid=""
# On exit, also when a check fails: a running Chromium's process group, the files, the lab.
trap '[[ -n $chromium_pgid ]] && kill -KILL -- "-$chromium_pgid" 2>/dev/null; rm -rf "$work"; lab_cleanup' EXIT

# browser_page NAME IMG_URL: a www page with one image; a script writes what became of it.
browser_page() {
  cat >"$work/site/www/$1.html" <<HTML
<!doctype html><html><body><p id="m">${marker[www]}</p>
<img src="$2" onload="document.getElementById('r').textContent = 'loaded ' + this.naturalWidth"
     onerror="document.getElementById('r').textContent = 'failed'">
<p id="r">pending</p></body></html>
HTML
}
browser_page api-image "https://api.example.test/img.png?case=browser-api"
browser_page secret-image "https://secret.example.test/img.png?case=browser-secret"

start_gateway

# --- domain fronting over HTTP/1.1: the allowed request, then secret's on the same connection
line=$(fetch front-h1 --http1.1 --cacert "$gateway_ca" "https://default.example.test/?case=front-h1-allowed" \
  --next "${w[@]}" --http1.1 --cacert "$gateway_ca" -H 'Host: secret.example.test' \
  "https://default.example.test/?case=front-h1")
check_eq "$(field '.action + " " + .sni' "$line")" "intercept default.example.test" "fronting h1: the flow is intercepted"
check_eq "$(transfers front-h1)" "200/1 403/0" "fronting h1: 200, then 403 on the same connection"
check "fronting h1: the allowed page arrived" has front-h1 "${marker[default]}"
check "fronting h1: secret's page did not" lacks front-h1 "${marker[secret]}"
check "fronting h1: the block page is HTML" grep -q '^status=403 .*type=text/html' "$work/front-h1.out"
check "fronting h1: the block page names the rule" has front-h1 "secret is blocked"
check "fronting h1: the allowed request reached default" served default front-h1-allowed
check "fronting h1: nothing reached secret" secret_log_empty
ev=$(http_event front-h1)
check "fronting h1: http event block policy 'secret is blocked' 403 ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
ev=$(http_event front-h1-allowed)
check_eq "$(field '.action + " " + (.status|tostring)' "$ev")" "allow 200" "fronting h1: the allowed request's event says allow"

# --- domain fronting over h2 (curl sends the Host header as :authority): secret's stream first,
# then the allowed one on the same connection
line=$(fetch front-h2 --http2 --cacert "$gateway_ca" -H 'Host: secret.example.test' \
  "https://default.example.test/?case=front-h2" \
  --next "${w[@]}" --http2 --cacert "$gateway_ca" "https://default.example.test/?case=front-h2-allowed")
check_eq "$(field '.action + " " + .tls.client.negotiated.alpn' "$line")" "intercept h2" "fronting h2: intercepted, h2"
check_eq "$(transfers front-h2)" "403/1 200/0" "fronting h2: 403, then 200 on the same connection"
check "fronting h2: the allowed page arrived" has front-h2 "${marker[default]}"
check "fronting h2: secret's page did not" lacks front-h2 "${marker[secret]}"
check "fronting h2: the block page is HTML naming the rule" has front-h2 "secret is blocked"
check "fronting h2: the allowed request reached default" served default front-h2-allowed
check "fronting h2: nothing reached secret" secret_log_empty
ev=$(http_event front-h2)
check_eq "$(field .http_version "$ev")" 2 "fronting h2: the blocked request's event is HTTP/2"
check "fronting h2: http event block policy 'secret is blocked' 403 ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
ev=$(http_event front-h2-allowed)
check_eq "$(field '.action + " " + (.status|tostring)' "$ev")" "allow 200" "fronting h2: the allowed request's event says allow"

# --- a tunnelled host fronted through an intercepted flow: 421, never forwarded
for proto in 1.1 2; do
  fetch "misdirected-$proto" "--http$proto" --cacert "$gateway_ca" -H 'Host: api.example.test' \
    "https://default.example.test/?case=misdirected-$proto" >/dev/null
  check_eq "$(transfers "misdirected-$proto")" 421/1 "api fronted over default (HTTP/$proto): 421"
  check "api fronted over default (HTTP/$proto): api's page did not arrive" lacks "misdirected-$proto" "${marker[api]}"
  check "api fronted over default (HTTP/$proto): nothing reached api" not_served api "misdirected-$proto"
  check "api fronted over default (HTTP/$proto): nor default" not_served default "misdirected-$proto"
  ev=$(http_event "misdirected-$proto")
  check_eq "$(field '[.action, .reason, .status] | map(tostring) | join(" ")' "$ev")" "block host_mismatch 421" \
    "api fronted over default (HTTP/$proto): http event block host_mismatch 421"
done

# --- plain HTTP on port 80: decided per request; no upstream before an allowed head
syns=$(syn80)
fetch plain-secret http://secret.example.test/?case=plain-secret >/dev/null
check_eq "$(transfers plain-secret)" 403/1 "port 80, secret: 403"
check "port 80, secret: the block page names the rule" has plain-secret "secret is blocked"
check "port 80, secret: nothing reached secret" secret_log_empty
check_eq "$(syn80)" "$syns" "port 80, secret: the gateway opened no upstream connection"
ev=$(http_event plain-secret)
check "port 80, secret: http event block policy 'secret is blocked' 403 ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
check_eq "$(field .scheme "$ev")" http "port 80, secret: the event's scheme is http"

fetch plain-default http://default.example.test/?case=plain-default >/dev/null
check_eq "$(transfers plain-default)" 200/1 "port 80, default: 200"
check "port 80, default: the page arrived" has plain-default "${marker[default]}"
check "port 80, default: the request reached default" served default plain-default
check_eq "$(field '.action + " " + (.status|tostring)' "$(http_event plain-default)")" "allow 200" \
  "port 80, default: http event allow 200"

syns=$(syn80)
fetch plain-keepalive http://default.example.test/?case=plain-keepalive-allowed \
  --next "${w[@]}" -H 'Host: secret.example.test' http://default.example.test/?case=plain-keepalive >/dev/null
check_eq "$(transfers plain-keepalive)" "200/1 403/0" "port 80 keep-alive: 200, then 403 on the same connection"
check "port 80 keep-alive: the allowed page arrived" has plain-keepalive "${marker[default]}"
check "port 80 keep-alive: the block page names the rule" has plain-keepalive "secret is blocked"
check "port 80 keep-alive: nothing reached secret" secret_log_empty
check_eq "$(syn80)" "$((syns + 1))" "port 80 keep-alive: one upstream connection (for the allowed request)"
ev=$(http_event plain-keepalive)
check "port 80 keep-alive: http event block for secret ($(verdict "$ev"))" blocked_by_secret_rule "$ev"

# --- past http_max_header_fields (256): 300 fields are blocked, whatever the host
fillers=()
for i in $(seq 1 300); do fillers+=(-H "X-Filler-$i: $i"); done
many_fields() {  # NAME HOST URL CURL_ARGS...: a request with 300 header fields; checks what became of it
  local name=$1 host=$2 url=$3 syns
  shift 3
  syns=$(syn80)
  line=$(fetch "$name" "$@" "${fillers[@]}" -H "Host: $host" "$url?case=$name")
  check "$name: not the page (${host%%.*}'s)" lacks "$name" "${marker[${host%%.*}]}"
  check "$name: nothing reached ${host%%.*}" not_served "${host%%.*}" "$name"
  check "$name: logged as inspect_error" logged_inspect_error "$line"
  [[ $url == http:* ]] && check_eq "$(syn80)" "$syns" "$name: the gateway opened no upstream connection"
  return 0
}
many_fields fields-h1-secret secret.example.test https://default.example.test/ --http1.1 --cacert "$gateway_ca"
check_eq "$(transfers fields-h1-secret)" 403/1 "fields-h1-secret: 403"
many_fields fields-h1-default default.example.test https://default.example.test/ --http1.1 --cacert "$gateway_ca"
check_eq "$(transfers fields-h1-default)" 403/1 "fields-h1-default: 403 (not relayed blind)"
many_fields fields-h2-secret secret.example.test https://default.example.test/ --http2 --cacert "$gateway_ca"
many_fields fields-plain-secret secret.example.test "http://$SERVER_IP4/"
check_eq "$(transfers fields-plain-secret)" 403/1 "fields-plain-secret: 403"
many_fields fields-plain-default default.example.test "http://$SERVER_IP4/"
check_eq "$(transfers fields-plain-default)" 403/1 "fields-plain-default: 403 (not relayed blind)"
check "300 fields: nothing reached secret" secret_log_empty

# --- HTTP/1.0 without Host on port 80, where host rules matter: blocked as no_host
syns=$(syn80)
fetch no-host --http1.0 -H 'Host:' "http://$SERVER_IP4/?case=no-host" >/dev/null
check "no Host: the default page did not arrive" lacks no-host "${marker[default]}"
check "no Host: nothing reached default" not_served default no-host
check_eq "$(syn80)" "$syns" "no Host: the gateway opened no upstream connection"
check_eq "$(field '.action + " " + .reason' "$(http_event no-host)")" "block no_host" "no Host: http event block no_host"

# --- headless Chromium: the gateway CA (intercepted www) and the lab's public CA (tunnelled api)
home="$work/home"
mkdir -p "$home/.pki/nssdb"
certutil -d "sql:$home/.pki/nssdb" -N --empty-password
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n tlsgate -i "$gateway_ca"
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n lab-public -i "$PUBLIC_CA_CERT"
# chromium_load NAME URL: one headless run in the client namespace, its own process group,
# killed as a group after 60 s; the DOM after the load event in $work/dom-NAME.html.
chromium_load() {
  local pid
  setsid ip netns exec "$NS_CLIENT" env HOME="$home" chromium --headless=new --no-sandbox --disable-gpu \
    --no-first-run --no-default-browser-check --disable-background-networking --disable-sync \
    --disable-component-update --user-data-dir="$work/chromium-profile-$1" --dump-dom "$2" \
    >"$work/dom-$1.html" 2>"$work/chromium-$1.err" &
  pid=$!
  chromium_pgid=$pid  # setsid in a non-interactive shell does not fork: the PID leads the group
  wait_until --every 0.1 60 "chromium ($1) to finish" process_gone "$pid" || true
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill -KILL -- "-$pid" 2>/dev/null || true  # children that outlived their parent
  chromium_pgid=""
}
log_lines() { [[ -f $log ]] && wc -l <"$log" || echo 0; }
image_result() { sed -n 's/.*<p id="r">\([^<]*\)<.*/\1/p' "$work/dom-$1.html"; }
page_arrived() {  # NAME: the www page is in the DOM; if not, say what Chromium said
  grep -q "${marker[www]}" "$work/dom-$1.html" && return 0
  sed 's/^/#   chromium: /' "$work/chromium-$1.err" | tail -n 20
  return 1
}

settle
: >"$work/nginx/api.log"  # from here on, api's requests are the browser's
before=$(log_lines)
chromium_load api-image https://www.example.test/api-image.html
settle
new=$(tail -n +"$((before + 1))" "$log")
check "browser, api image: the www page arrived" page_arrived api-image
check_eq "$(image_result api-image)" "loaded 7" "browser, api image: the image loaded"
coalesced=$(jq -c 'select(.event == "http" and (.authority // "" | startswith("api.example.test")))' <<<"$new")
echo "# chromium sent $(grep -c . <<<"$coalesced" || true) request(s) for api over intercepted connections (coalesced)"
check_eq "$(jq -r 'select([.action, .reason, .status] != ["block", "host_mismatch", 421]) | .flow_id' <<<"$coalesced" | wc -l)" \
  0 "browser, api image: every api request inside an intercepted flow was answered 421 host_mismatch"
check "browser, api image: api's nginx served the image" served api browser-api
check_eq "$(grep -vc '^sni=api.example.test ' "$work/nginx/api.log" || true)" 0 \
  "browser, api image: every request api served came over a connection whose SNI was api (none fronted through www)"
tunnels=$(jq -c 'select(.event == "flow" and .sni == "api.example.test")' <<<"$new")
check "browser, api image: api's own flow(s) exist" test -n "$tunnels"
check_eq "$(jq -r '[.action, .host, .policy.rule] | join(" ")' <<<"$tunnels" | sort -u)" \
  "tunnel api.example.test api is private" "browser, api image: each api flow is a tunnel by 'api is private'"

before=$(log_lines)
chromium_load secret-image https://www.example.test/secret-image.html
settle
new=$(tail -n +"$((before + 1))" "$log")
check "browser, secret image: the www page arrived" page_arrived secret-image
check_eq "$(image_result secret-image)" failed "browser, secret image: the image did not load"
check "browser, secret image: nothing reached secret" secret_log_empty
coalesced=$(jq -c 'select(.event == "http" and (.authority // "" | startswith("secret.example.test")))' <<<"$new")
echo "# chromium sent $(grep -c . <<<"$coalesced" || true) request(s) for secret over intercepted connections (coalesced)"
check_eq "$(jq -r 'select([.action, .reason, .rule] != ["block", "policy", "secret is blocked"]) | .flow_id' <<<"$coalesced" | wc -l)" \
  0 "browser, secret image: every secret request inside an intercepted flow was blocked by its rule"
check_eq "$(jq -r 'select(.event == "flow" and .sni == "secret.example.test" and .action != "block") | .flow_id' <<<"$new" | wc -l)" \
  0 "browser, secret image: secret's own flows (if any) were blocked"

check "secret's access log is empty at the end" secret_log_empty
check "tlsgate still running at the end" kill -0 "$TLSGATE_PID"
stop_tlsgate TERM
validate_log "$log"
finish

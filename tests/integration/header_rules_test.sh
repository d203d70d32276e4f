#!/usr/bin/env bash
# Header rules (set_request_header / remove_request_header) in the shared-address lab of
# shared_vhosts.sh, whose nginx logs the YouTube-Restrict and X-Forwarded-For each request
# arrived with. Policy: secret blocked, api tunnelled, www intercepted with "safe search" (set
# YouTube-Restrict: Strict, remove X-Forwarded-For), the rest intercepted untouched.
#  - curl over HTTP/1.1 and h2 (intercepted TLS), HTTP/1 on port 80 and h2c on 8080: the client's
#    own YouTube-Restrict: Off and X-Forwarded-For never arrive, Strict does; the http event lists
#    the rules (header_rules); default, which no header rule names, gets the client's headers.
#  - Headless Chromium loads a www page with 50 images over one h2 connection: the page's
#    request is re-encoded by the gateway's HPACK encoder, so every later stream must decode at
#    nginx from the gateway's table; all 50 images arrive (nginx's log, with Strict) and the page's
#    load event fires.
# Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/shared_vhosts.sh"
chromium_pgid=""
trap '[[ -n $chromium_pgid ]] && kill -KILL -- "-$chromium_pgid" 2>/dev/null; rm -rf "$work"; lab_cleanup' EXIT

cat >"$policy" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "secret is blocked", "host": ["secret.example.test"], "action": "block"},
    {"name": "api is private", "host": ["api.example.test"], "action": "tunnel"},
    {"name": "safe search", "host": ["www.example.test"], "action": "intercept",
     "set_request_header": {"YouTube-Restrict": "Strict"}, "remove_request_header": ["X-Forwarded-For"]}
  ]
}
JSON
start_gateway

# arrived VHOST CASE: "yt=... xff=..." of VHOST's log line for ?case=CASE
arrived() { grep -F "case=$2 " "$work/nginx/$1.log" | head -n 1 | sed -n 's/.* \(yt=.*\)$/\1/p'; }
rules_of() { field '(.header_rules // []) | sort | join(", ")' "$(http_event "$1")"; }
client_headers=(-H 'YouTube-Restrict: Off' -H 'X-Forwarded-For: 192.0.2.66')
edited_as_asked() {  # NAME VHOST: the request arrived edited and its event says so
  check_eq "$(arrived "$2" "$1")" "yt=Strict xff=-" "$1: YouTube-Restrict is Strict, X-Forwarded-For removed"
  check_eq "$(rules_of "$1")" "remove X-Forwarded-For, set YouTube-Restrict" "$1: the http event lists both rules"
}

for proto in 1.1 2; do
  name="tls-$proto"
  line=$(fetch "$name" "--http$proto" --cacert "$gateway_ca" "${client_headers[@]}" \
    "https://www.example.test/?case=$name")
  check_eq "$(field '.action + " " + .tls.client.negotiated.alpn' "$line")" \
    "intercept $([[ $proto == 2 ]] && echo h2 || echo http/1.1)" "$name: intercepted"
  check_eq "$(transfers "$name")" 200/1 "$name: 200"
  check "$name: www's page arrived" has "$name" "${marker[www]}"
  edited_as_asked "$name" www
  check_eq "$(field .http_version "$(http_event "$name")")" "$proto" "$name: the event's HTTP version"
done

fetch plain-80 "${client_headers[@]}" "http://www.example.test/?case=plain-80" >/dev/null
check_eq "$(transfers plain-80)" 200/1 "plain-80: 200"
edited_as_asked plain-80 www
fetch h2c-8080 --http2-prior-knowledge "${client_headers[@]}" "http://www.example.test:8080/?case=h2c-8080" >/dev/null
check_eq "$(transfers h2c-8080)" 200/1 "h2c-8080: 200"
edited_as_asked h2c-8080 www

# No header rule names default: what the client sent arrives, and the event has no header_rules.
fetch untouched --http2 --cacert "$gateway_ca" "${client_headers[@]}" "https://default.example.test/?case=untouched" >/dev/null
check_eq "$(arrived default untouched)" "yt=Off xff=192.0.2.66" "untouched: default got the client's headers"
check_eq "$(field 'has("header_rules")' "$(http_event untouched)")" false "untouched: no header_rules on its event"

# --- headless Chromium: one www page, 50 images on the same h2 connection
cp "$work/site/api/img.png" "$work/site/www/img.png"
{
  echo '<!doctype html><html><head><script>'
  echo 'window.addEventListener("load", () => { const n = Array.from(document.images).filter(i => i.naturalWidth === 7).length;'
  echo '  document.getElementById("r").textContent = "load event, " + n + " images"; });'
  echo "</script></head><body><p id=\"m\">${marker[www]}</p>"
  for i in $(seq 1 50); do echo "<img src=\"/img.png?case=img-$i\">"; done
  echo '<p id="r">pending</p></body></html>'
} >"$work/site/www/images.html"
home="$work/home"
mkdir -p "$home/.pki/nssdb"
certutil -d "sql:$home/.pki/nssdb" -N --empty-password
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n tlsgate -i "$gateway_ca"
settle
before=$(wc -l <"$log")
setsid ip netns exec "$NS_CLIENT" env HOME="$home" chromium --headless=new --no-sandbox --disable-gpu \
  --no-first-run --no-default-browser-check --disable-background-networking --disable-sync \
  --disable-component-update --user-data-dir="$work/chromium-profile" --dump-dom \
  "https://www.example.test/images.html?case=page" >"$work/dom.html" 2>"$work/chromium.err" &
chromium_pgid=$!  # setsid in a non-interactive shell does not fork: the PID leads the group
wait_until --every 0.1 60 "chromium to finish" process_gone "$chromium_pgid" || true
kill -KILL -- "-$chromium_pgid" 2>/dev/null || true
wait "$chromium_pgid" 2>/dev/null || true
kill -KILL -- "-$chromium_pgid" 2>/dev/null || true  # children that outlived their parent
chromium_pgid=""
settle
page_result() { sed -n 's/.*<p id="r">\([^<]*\)<.*/\1/p' "$work/dom.html"; }
if ! grep -q "${marker[www]}" "$work/dom.html"; then sed 's/^/#   chromium: /' "$work/chromium.err" | tail -n 20; fi
check_eq "$(page_result)" "load event, 50 images" "browser: the load event fired with all 50 images decoded"
images=$(grep -c 'case=img-[0-9]* ' "$work/nginx/www.log" || true)
check_eq "$(grep -o 'case=img-[0-9]* ' "$work/nginx/www.log" | sort -u | wc -l)" 50 "browser: nginx served 50 distinct images"
check_eq "$(grep 'case=img-[0-9]* ' "$work/nginx/www.log" | grep -vc 'proto=HTTP/2.0 .* yt=Strict xff=-$' || true)" 0 \
  "browser: each of the $images image requests came over h2 with YouTube-Restrict: Strict"
check_eq "$(arrived www page)" "yt=Strict xff=-" "browser: the page's request arrived edited"
new=$(tail -n +"$((before + 1))" "$log")
check_eq "$(jq -r 'select(.event == "http" and (.path | startswith("/img.png?case=img-"))) | select(.action != "allow" or .http_version != "2" or (.header_rules | index("set YouTube-Restrict")) == null) | .path' <<<"$new" | wc -l)" \
  0 "browser: every image's http event is an allowed h2 request listing the rule"
check_eq "$(jq -r 'select(.event == "http" and (.path | startswith("/img.png?case=img-"))) | .flow_id' <<<"$new" | sort -u | wc -l)" \
  1 "browser: the 50 images came over one connection"
check_eq "$(jq -r 'select(.event == "flow" and .inspect_error != null) | .inspect_error' <<<"$new" | wc -l)" 0 \
  "browser: no flow had an inspect_error"

check "secret's access log is empty at the end" secret_log_empty
check "tlsgate still running at the end" kill -0 "$TLSGATE_PID"
stop_tlsgate TERM
validate_log "$log"
finish

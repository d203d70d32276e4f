#!/usr/bin/env bash
# The request gate on the paths request_policy_test does not take, in the shared-address lab of
# shared_vhosts.sh (secret blocked, api tunnelled, the rest intercepted), over TLS (SNI default,
# intercepted) and on plain-HTTP ports; the raw clients are http1_script.py.
#  - WebSocket: an allowed upgrade gets its 101 and echoes frames both ways; an upgrade naming
#    secret is answered 403; after a refused upgrade (426, or an Upgrade the vhost ignores) the
#    next request on the connection is still decided, sent after the answer or in the same write.
#  - h2 on HTTP ports: prior knowledge on 8080 (secret's stream 403, the allowed one 200; Host
#    differing from :authority refused), prior knowledge on 80 (nginx speaks no h2c there: secret is still never
#    reached), and curl's HTTP/1.1 Upgrade: h2c on 80 (nginx ignores it; the next request is decided).
#  - Pipelining: an allowed and a blocked request in one write.
#  - Request smuggling shapes: Content-Length with Transfer-Encoding, differing Content-Lengths,
#    broken chunk framing (refused, inspect_error, nothing forwarded past the break); a request
#    head inside a well-framed body (body: forwarded); a request after a chunked body (decided).
#  - The upstream is offered the client's own ALPN list (nginx's $ssl_alpn_protocol).
# Secret's access log stays empty throughout; every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/shared_vhosts.sh"

in_server "$PYTHON" "$SOURCE_DIR/tests/integration/ws_echo.py" 127.0.0.1 9001 &
ws_echo_pid=$!
trap '{ stop_process "$ws_echo_pid" TERM; } 2>/dev/null; rm -rf "$work"; lab_cleanup' EXIT
start_gateway

# script NAME [--tls SNI --ca FILE] [--alpn LIST] PORT STEP...: http1_script.py from the client to
# the server address; its output in $work/NAME.out; prints the flow line.
script() {
  local name=$1
  shift
  flow_of saving "$work/$name.out" in_client "$PYTHON" "$SOURCE_DIR/tests/integration/http1_script.py" "$@"
}
tls=(--tls default.example.test --ca "$gateway_ca")
# on_port WHERE: the connection's arguments: "tls" (443, intercepted) or "plain" (80)
on_port() { if [[ $1 == tls ]]; then echo "${tls[@]}" "$SERVER_IP4" 443; else echo "$SERVER_IP4" 80; fi; }
# statuses NAME: the status codes the client got, in order, then "closed"/"open" if `rest` ran
statuses() {
  sed -n 's/^response: HTTP\/1\.[01] \([0-9]*\).*/\1/p; s/^\(closed\|open\|ws echo ok\)$/\1/p; s/^\(unparsed\|error\):.*/\1/p' \
    "$work/$1.out" | tr '\n' ' ' | sed 's/ $//'
}
# GET PATH HOST [FIELD...]: a request head as a `send:` step's text
req() {
  local path=$1 host=$2 f out
  shift 2
  out="GET $path HTTP/1.1\\r\\nHost: $host\\r\\n"
  for f in "$@"; do out+="$f\\r\\n"; done
  echo "$out\\r\\n"
}
ws_fields=("Upgrade: websocket" "Connection: Upgrade" "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "Sec-WebSocket-Version: 13")
event_of() { events http ".path | endswith(\"case=$1\")" | head -n 1 | grep . || echo "{}"; }
status_in_log() { grep -F "case=$2 " "$work/nginx/$1.log" | sed -n 's/.* status=\([0-9]*\) .*/\1/p' | head -n 1; }
no_block_events() { [[ -z $(events http ".flow_id == $(field .flow_id "$1")") || -z $(events http ".flow_id == $(field .flow_id "$1") and .action == \"block\"") ]]; }

# --- WebSocket, over TLS and on port 80
for where in tls plain; do
  # shellcheck disable=SC2046
  line=$(script "ws-$where" $(on_port $where) "send:$(req "/ws?case=ws-$where" default.example.test "${ws_fields[@]}")" \
    response ws-echo)
  check_eq "$(statuses "ws-$where")" "101 ws echo ok" "WebSocket ($where): 101, then frames echoed both ways"
  check_eq "$(status_in_log default "ws-$where")" 101 "WebSocket ($where): default's nginx logged the 101"
  check_eq "$(field '.http.websocket' "$line")" true "WebSocket ($where): the flow is logged as a WebSocket"
  check_eq "$(field '.status' "$(event_of "ws-$where")")" 101 "WebSocket ($where): the upgrade's http event (101)"

  # shellcheck disable=SC2046
  line=$(script "ws-secret-$where" $(on_port $where) \
    "send:$(req "/ws?case=ws-secret-$where" secret.example.test "${ws_fields[@]}")" response rest)
  check_eq "$(statuses "ws-secret-$where")" "403 closed" "WebSocket to secret ($where): 403, then closed"
  check "WebSocket to secret ($where): the block page names the rule" has "ws-secret-$where" "secret is blocked"
  check "WebSocket to secret ($where): nothing reached secret" secret_log_empty
  ev=$(event_of "ws-secret-$where")
  check "WebSocket to secret ($where): http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"

  # A refused upgrade (426; an Upgrade the static vhost ignores: 200), then secret, sent after
  # the answer or in the same write: still decided.
  for refusal in 426:/refuse-upgrade 200:/; do
    code=${refusal%%:*} path=${refusal#*:}
    first=$(req "$path?case=refused-$code-$where" default.example.test "${ws_fields[@]}")
    second=$(req "/?case=refused-$code-$where-secret" secret.example.test)
    # shellcheck disable=SC2046
    script "refused-$code-$where" $(on_port $where) "send:$first" response "send:$second" rest >/dev/null
    check_eq "$(statuses "refused-$code-$where")" "$code 403 closed" \
      "refused upgrade ($code, $where): $code, then secret's request 403 on the same connection"
    ev=$(event_of "refused-$code-$where-secret")
    check "refused upgrade ($code, $where): http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
    # shellcheck disable=SC2046
    script "refused-$code-$where-pipelined" $(on_port $where) "send:$first${second/case=/case=pipelined-}" rest >/dev/null
    check_eq "$(statuses "refused-$code-$where-pipelined")" "$code 403 closed" \
      "refused upgrade ($code, $where), secret's request in the same write: $code, then 403"
    check "refused upgrade ($code, $where): nothing reached secret" secret_log_empty
  done
done

# --- h2 on HTTP ports
# 8080 (nginx: h2c with prior knowledge). One stream per connection: curl 7.88 cannot reuse a
# prior-knowledge connection (its second transfer fails with "Error in the HTTP2 framing layer"
# straight to nginx too); the TLS h2 path of request_policy_test mixes streams on one connection.
fetch h2c-8080-secret --http2-prior-knowledge http://secret.example.test:8080/?case=h2c-8080-secret >/dev/null
check_eq "$(transfers h2c-8080-secret)" 403/1 "h2c on 8080, secret: 403 on the stream"
check "h2c on 8080, secret: the block page names the rule" has h2c-8080-secret "secret is blocked"
check "h2c on 8080, secret: nothing reached secret" secret_log_empty
ev=$(event_of h2c-8080-secret)
check "h2c on 8080, secret: http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
check_eq "$(field '.http_version + " " + .scheme' "$ev")" "2 http" "h2c on 8080, secret: the event is HTTP/2, scheme http"
fetch h2c-8080 --http2-prior-knowledge http://default.example.test:8080/?case=h2c-8080 >/dev/null
check_eq "$(transfers h2c-8080)" 200/1 "h2c on 8080, default: 200"
check "h2c on 8080, default: the page arrived" has h2c-8080 "${marker[default]}"
check_eq "$(status_in_log default h2c-8080)" 200 "h2c on 8080, default: default's nginx served it over h2"
check_eq "$(field '.action + " " + .http_version' "$(event_of h2c-8080)")" "allow 2" "h2c on 8080, default: http event allow, HTTP/2"
# :authority default with a Host field naming secret (RFC 9113 §8.3.1: malformed): refused
line=$(flow_of in_client nghttp -n -H 'host: secret.example.test' http://default.example.test:8080/?case=h2c-host-differs)
check "h2c, Host differs from :authority: logged as inspect_error" logged_inspect_error "$line"
check "h2c, Host differs from :authority: nothing reached default" not_served default h2c-host-differs
check "h2c, Host differs from :authority: nothing reached secret" secret_log_empty
check_eq "$(events http ".flow_id == $(field .flow_id "$line")" | jq -r '.action + " " + .http_version')" "block 2" \
  "h2c, Host differs from :authority: the http event says block, HTTP/2"
# 80 (nginx speaks HTTP/1 only there): whatever comes back, secret is never reached
syns=$(syn80)
fetch h2c-80-secret --http2-prior-knowledge http://secret.example.test/?case=h2c-80-secret >/dev/null
check_eq "$(syn80)" "$syns" "h2c on 80, secret: the gateway opened no upstream connection before the head was decided"
check "h2c on 80, secret: secret's page did not arrive" lacks h2c-80-secret "${marker[secret]}"
check "h2c on 80, secret: nothing reached secret" secret_log_empty
ev=$(event_of h2c-80-secret)
check "h2c on 80, secret: http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
echo "# h2c on 80, secret: curl got: $(transfers h2c-80-secret) $(grep -v '^status=' "$work/h2c-80-secret.out" | head -c 200 | tr '\n' ' ')"
# curl --http2 on 80: HTTP/1.1 with Upgrade: h2c, which nginx 1.22 ignores there (200, HTTP/1.1)
fetch h2c-upgrade --http2 http://default.example.test/?case=h2c-upgrade \
  --next "${w[@]}" --http2 -H 'Host: secret.example.test' http://default.example.test/?case=h2c-upgrade-secret >/dev/null
check_eq "$(transfers h2c-upgrade)" "200/1 403/0" "Upgrade: h2c on 80: 200 (not upgraded), then secret 403 on the same connection"
check "Upgrade: h2c on 80: the allowed page arrived" has h2c-upgrade "${marker[default]}"
check_eq "$(field .http_version "$(event_of h2c-upgrade)")" 1.1 "Upgrade: h2c on 80: the allowed exchange stayed HTTP/1.1"
ev=$(event_of h2c-upgrade-secret)
check "Upgrade: h2c on 80: http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
check "Upgrade: h2c on 80: nothing reached secret" secret_log_empty

# --- pipelining: an allowed and a blocked request in one write; then the other way round.
# A known limit (docs/policy.md): a refused request ends the connection at once, so an allowed
# request pipelined before it in the same read gets no answer (browsers do not pipeline).
for where in plain tls; do
  # shellcheck disable=SC2046
  script "pipe-$where" $(on_port $where) \
    "send:$(req "/?case=pipe-$where" default.example.test)$(req "/?case=pipe-$where-secret" secret.example.test)" rest >/dev/null
  check_eq "$(statuses "pipe-$where")" "403 closed" "pipelined ($where): secret's 403 ends the connection"
  check "pipelined ($where): no page but the block page" lacks "pipe-$where" "${marker[default]}"
  ev=$(event_of "pipe-$where-secret")
  check "pipelined ($where): http event block policy ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
  # shellcheck disable=SC2046
  script "pipe-rev-$where" $(on_port $where) \
    "send:$(req "/?case=pipe-rev-$where-secret" secret.example.test)$(req "/?case=pipe-rev-$where" default.example.test)" rest >/dev/null
  check_eq "$(statuses "pipe-rev-$where")" "403 closed" "pipelined ($where), secret first: 403, then closed"
  check "pipelined ($where), secret first: the request behind it was not forwarded" not_served default "pipe-rev-$where"
  check "pipelined ($where): nothing reached secret" secret_log_empty
done

# --- request smuggling shapes. Each request is a POST to default's /post whose body hides a
# request for secret; refused ones are answered by the gate alone (inspect_error).
smuggled="GET /?case=SMUGGLED HTTP/1.1\\r\\nHost: secret.example.test\\r\\n\\r\\n"
post() { echo "POST /post?case=$1 HTTP/1.1\\r\\nHost: default.example.test\\r\\n$2\\r\\n"; }
after() { req "/?case=$1-after" default.example.test "Connection: close"; }
# smuggle_case NAME WHERE EXPECTED SEND_TEXT: one write; what came back, what reached whom.
# EXPECTED: refused-head (the head is refused: nothing of it goes upstream), refused-body (the
# body's framing breaks: the bytes before the break may go, nothing after), or the statuses.
smuggle_case() {
  local name=$1 where=$2 want=$3 syns line
  syns=$(syn80)
  # shellcheck disable=SC2046
  line=$(script "$name" $(on_port "$where") "send:${4//SMUGGLED/$name-smuggled}" rest)
  check "$name: nothing reached secret" secret_log_empty
  check "$name: the hidden request never reached any vhost" bash -c "! grep -qF 'case=$name-smuggled ' $work/nginx/*.log"
  case $want in
    refused-*)
      check_eq "$(statuses "$name")" "403 closed" "$name: the gate's 403, then closed"
      check "$name: refused as inspect_error" logged_inspect_error "$line"
      ;;&
    refused-head)
      check "$name: the refused head never reached default" not_served default "$name"
      [[ $where == plain ]] && check_eq "$(syn80)" "$syns" "$name: the gateway opened no upstream connection"
      ;;
    refused-body) ;;
    *)
      check_eq "$(statuses "$name")" "$want" "$name: the client got $want"
      check "$name: not an inspect_error" test -z "$(field '.inspect_error // empty' "$line")"
      ;;
  esac
  return 0
}
inner_len=$(printf "${smuggled//SMUGGLED/x}" | wc -c)
for where in plain tls; do
  smuggle_case "cl-te-$where" $where refused-head \
    "$(post "cl-te-$where" "Content-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n")0\\r\\n\\r\\n$smuggled"
  smuggle_case "te-cl-$where" $where refused-head \
    "$(post "te-cl-$where" "Transfer-Encoding: chunked\\r\\nContent-Length: 5\\r\\n")0\\r\\n\\r\\n$smuggled"
  smuggle_case "cl-cl-$where" $where refused-head \
    "$(post "cl-cl-$where" "Content-Length: 0\\r\\nContent-Length: $((inner_len + 13))\\r\\n")$smuggled"
  smuggle_case "te-identity-$where" $where refused-head \
    "$(post "te-identity-$where" "Transfer-Encoding: chunked, identity\\r\\n")0\\r\\n\\r\\n$smuggled"
  smuggle_case "chunk-no-crlf-$where" $where refused-body \
    "$(post "chunk-no-crlf-$where" "Transfer-Encoding: chunked\\r\\n")3\\r\\nabc$smuggled"
  smuggle_case "chunk-bare-lf-$where" $where refused-body \
    "$(post "chunk-bare-lf-$where" "Transfer-Encoding: chunked\\r\\n")3\\nabc\\n0\\n\\n$smuggled"
  smuggle_case "chunk-huge-$where" $where refused-body \
    "$(post "chunk-huge-$where" "Transfer-Encoding: chunked\\r\\n")ffffffffffffffffffff\\r\\n$smuggled"
  # Well framed: a head inside a body is body; a request after the body is a request (decided).
  inner=${smuggled//SMUGGLED/cl-body-$where-smuggled}
  smuggle_case "cl-body-$where" $where "200 200 closed" \
    "$(post "cl-body-$where" "Content-Length: $(printf "$inner" | wc -c)\\r\\n")$smuggled$(after "cl-body-$where")"
  smuggle_case "chunk-body-$where" $where "200 200 closed" \
    "$(post "chunk-body-$where" "Transfer-Encoding: chunked\\r\\n")$(printf '%x' "$(printf "${smuggled//SMUGGLED/chunk-body-$where-smuggled}" | wc -c)")\\r\\n$smuggled\\r\\n0\\r\\n\\r\\n$(after "chunk-body-$where")"
  check "well-framed bodies ($where): the POSTs and the requests after them reached default" \
    bash -c "grep -qF 'case=cl-body-$where-after ' $work/nginx/default.log && grep -qF 'case=chunk-body-$where-after ' $work/nginx/default.log"
  smuggle_case "chunk-then-secret-$where" $where "403 closed" \
    "$(post "chunk-then-secret-$where" "Transfer-Encoding: chunked\\r\\n")3\\r\\nabc\\r\\n0\\r\\n\\r\\n$(req "/?case=chunk-then-secret-$where-next" secret.example.test)"
  ev=$(event_of "chunk-then-secret-$where-next")
  check "chunk-then-secret-$where: the request after the body was blocked ($(verdict "$ev"))" blocked_by_secret_rule "$ev"
done

# --- the upstream is offered the client's own ALPN list
alpn_case() {  # NAME WANT_ALPN WANT_PROTOCOL CLIENT...: the flow's upstream ALPN and what nginx saw
  local name=$1 alpn=$2 proto=$3 line
  shift 3
  line=$(flow_of "$@")
  check_eq "$(field '.tls.upstream.alpn // "none"' "$line")" "$alpn" "ALPN $name: the upstream negotiated $alpn"
  check "ALPN $name: nginx saw $proto over ALPN '$alpn'" \
    grep -qF "case=$name HTTP/${proto#HTTP/}\" proto=$proto alpn=${alpn/none/-}" "$work/nginx/default.log"
}
alpn_case only-h1 http/1.1 HTTP/1.1 in_client curl -sS -m 5 --http1.1 --cacert "$gateway_ca" "https://default.example.test/?case=only-h1"
alpn_case h2-and-h1 h2 HTTP/2.0 in_client curl -sS -m 5 --http2 --cacert "$gateway_ca" "https://default.example.test/?case=h2-and-h1"
alpn_case no-alpn none HTTP/1.1 script no-alpn "${tls[@]}" --alpn "" "$SERVER_IP4" 443 \
  "send:$(req "/?case=no-alpn" default.example.test "Connection: close")" rest

check "secret's access log is empty at the end" secret_log_empty
check "tlsgate still running at the end" kill -0 "$TLSGATE_PID"
stop_tlsgate TERM
validate_log "$log"
finish

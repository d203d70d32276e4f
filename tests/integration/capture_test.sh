#!/usr/bin/env bash
# Decrypted capture in the namespace lab: intercepted HTTP/1.1 and h2 (a large
# download, an upload) and plain HTTP written to a pcap file; tshark sees every
# request and response with its status, host and body length, and no TCP
# analysis warnings or errors. A PCAP-over-IP reader on the unix socket gets the
# same bytes; another uid is refused there (SO_PEERCRED), and a TCP reader
# without the token gets nothing; a stalled reader is dropped without slowing a
# download; a small rotate_mb makes
# new files (files_kept prunes them). Then flow_log_format eve for the same
# requests: the EVE lines validate against docs/eve.schema.json and carry the
# same facts as the native lines.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-16}
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
poip_port=57012
poip_socket="$work/pcap.sock"
token=lab-token-0123456789abcdef
metrics=127.0.0.1:19102
write_config() {  # $1 log file, $2 flow_log_format, $3 rotate_mb, $4 pcap directory
  test_config flow_log="$1" flow_log_format="$2" upstream_ca_file="$PUBLIC_CA_CERT" \
    pcap.enabled:=true pcap.directory="$4" pcap.rotate_mb:="$3" pcap.files_kept:=3 pcap.plain_http:=true \
    pcap.pcap_over_ip_socket="$poip_socket" pcap.pcap_over_ip_listen="127.0.0.1:$poip_port" \
    pcap.pcap_over_ip_allow_remote:=true pcap.pcap_over_ip_token="$token" pcap.reader_buffer_mb:=4 metrics_listen="$metrics" \
    >"$work/config.json"
}
cleanup_readers() { for p in ${READERS:-}; do kill "$p" 2>/dev/null || true; done; }
READERS=""
trap 'cleanup_readers; rm -rf "$work"; lab_cleanup' EXIT

chmod 755 "$work"  # a reader of another uid reaches the socket; only SO_PEERCRED stops it
# A TCP listener without allow_remote and a token is a config error, loopback included.
test_config pcap.pcap_over_ip_listen="127.0.0.1:$poip_port" >"$work/open.json"
check "pcap_over_ip_listen without allow_remote and a token: config check fails" \
  bash -c '! "$0" config check "$1" >/dev/null 2>&1' "$TLSGATE_BIN" "$work/open.json"
check "config check names the key and what it needs" \
  bash -c '"$0" config check "$1" 2>&1 | grep -q "pcap_over_ip_listen.*needs pcap_over_ip_allow_remote"' \
  "$TLSGATE_BIN" "$work/open.json"
# A reader: connects (unix socket path or TCP port), sends the token line if given, then
# copies what it receives to OUT for SECONDS or until the gateway closes.
cat >"$work/reader.py" <<'PY'
import socket, sys, time
target, token, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if target.startswith("/"):
    s = socket.socket(socket.AF_UNIX); s.connect(target)
else:
    s = socket.create_connection(("127.0.0.1", int(target)))
if token:
    s.sendall(token.encode() + b"\n")
end = time.monotonic() + seconds
with open(out, "wb", buffering=0) as f:
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data = s.recv(1 << 20)
        except (TimeoutError, socket.timeout, ConnectionResetError):
            break
        if not data:
            break
        f.write(data)
PY
reader() { in_gw "$PYTHON" "$work/reader.py" "$@"; }
write_config "$log" tlsgate 100 "$work/pcap"
rules_install --mode redirect --ports 443,8443,80 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"
large_bytes=$((LAB_LARGE_MB * 1024 * 1024))
# Small enough to be sent whole before nginx answers its 405 (a larger body races the early reply and close).
head -c 30000 /dev/urandom >"$work/upload.bin"

check_eq "$(stat -c '%a %U' "$poip_socket")" "600 root" "PCAP-over-IP socket is 0600, owned by the daemon's user"
# PCAP-over-IP readers that keep up, connected before any flow: on the unix socket, and
# over TCP with the token.
reader "$poip_socket" "" 60 "$work/poip.pcap" &
READERS="$READERS $!"
reader "$poip_port" "$token" 60 "$work/tcp.pcap" &
READERS="$READERS $!"
# Refused readers: another uid on the socket (opened up to it on purpose: only SO_PEERCRED
# stops it), TCP with a wrong token, TCP without one (held past the 5 s it is given).
chmod 666 "$poip_socket"
install -m 666 /dev/null "$work/other-uid.out"
in_gw setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" "$work/reader.py" "$poip_socket" "" 1 \
  "$work/other-uid.out" 2>/dev/null || true
chmod 600 "$poip_socket"
reader "$poip_port" "${token%?}X" 1 "$work/wrong-token.out" || true
reader "$poip_port" "" 8 "$work/no-token.out" &
READERS="$READERS $!"
sleep 0.3

requests() {
  in_client curl -sS --http1.1 --cacert "$trust" https://www.example.test/small -o /dev/null
  in_client curl -sS --http2 --cacert "$trust" https://www.example.test/small -o /dev/null
  in_client curl -sS --http2 --cacert "$trust" https://www.example.test/large -o /dev/null
  in_client curl -sS --http1.1 --cacert "$trust" -H 'Expect:' --data-binary @"$work/upload.bin" \
    https://www.example.test/small -o /dev/null || true
  in_client curl -sS http://www.example.test/small -o /dev/null
}
# Bounded waits for the capture writer (it drains its queue in the background) and for
# socat behind it: under load both lag the flows by more than a fixed sleep.
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
size_holds() { local size; size=$(size_of "$1"); sleep 0.5; [[ $(size_of "$1") == "$size" ]]; }
same_size() { [[ $(size_of "$1") == "$(size_of "$2")" ]]; }

requests
settle
file=$(ls "$work"/pcap/*.pcap)
wait_until --every 0 10 "the capture file's size to hold for 0.5 s" size_holds "$file" || true
check_eq "$(stat -c %a "$file")" 600 "pcap file is created 0600"

# What tshark sees: h1 and h2 requests and responses, by stream.
http_view() {
  tshark -r "$1" -Y 'http.request or http.response or http2.type == 1' -T fields -E separator=' ' \
    -e http.request.method -e http.host -e http.request.uri -e http.response.code -e http.content_length \
    -e http2.headers.method -e http2.headers.authority -e http2.headers.path -e http2.headers.status 2>/dev/null |
    tr -s ' ' | sed 's/^ //; s/ $//' | sort
}
view=$(http_view "$file")
check "h1: GET www.example.test /small" grep -qx "GET www.example.test /small" <<<"$view"
check "h1: 200 with 1024 body bytes" grep -qx "200 1024" <<<"$view"
check "h2: GET www.example.test /small and /large" \
  bash -c 'grep -qx "GET www.example.test /small" <<<"$1" && grep -qx "GET www.example.test /large" <<<"$1"' _ "$view"
check_eq "$(grep -c '^200$' <<<"$view" || true)" 2 "h2: two responses with status 200"
check "upload: POST with its Content-Length" grep -q "^POST www.example.test /small" <<<"$view"
check_eq "$(tshark -r "$file" -Y 'http.request.method == "POST"' -T fields -e http.content_length 2>/dev/null)" 30000 \
  "upload: request body length 30000"
post_status=$(jq -r 'select(.event=="http" and .method=="POST") | .status' "$log")
check "upload: response status as in the flow log ($post_status)" grep -qx "$post_status.*" <<<"$view"
# The /large body: DATA frame lengths of its stream add up to the file size.
large_sum=$(tshark -r "$file" -Y 'http2.type == 0' -T fields -e tcp.stream -e http2.streamid -e http2.length 2>/dev/null |
  awk '{n = split($2, ids, ","); split($3, lens, ","); for (i = 1; i <= n; i++) if (ids[i] == 1) s[$1] += lens[i]} END {m = 0; for (k in s) if (s[k] > m) m = s[k]; print m}')
check_eq "$large_sum" "$large_bytes" "h2: /large body length in DATA frames"
plain=$(tshark -r "$file" -Y 'http.response' -T fields -e tcp.dstport -e http.response.code 2>/dev/null | sort -u | wc -l)
check "plain HTTP flow captured too" test "$plain" -ge 1
experts=$(tshark -r "$file" -q -z expert,warn 2>/dev/null | grep -E '^(Errors|Warnings) \(' || true)
check_eq "$experts" "" "no TCP/HTTP expert warnings or errors (reassembly clean)"
check_eq "$(tshark -r "$file" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' 2>/dev/null | wc -l)" 0 \
  "no TCP analysis flags (unseen segments, lost segments, retransmissions)"
check_eq "$(tshark -r "$file" -Y 'tcp.checksum.status == 2 || ip.checksum.status == 2' -o tcp.check_checksum:TRUE \
  -o ip.check_checksum:TRUE 2>/dev/null | wc -l)" 0 "IP and TCP checksums are correct"

# PCAP-over-IP: the reader that kept up holds the same packets as the file.
wait_until --every 0.1 10 "the PCAP-over-IP reader to catch up with the file" same_size "$file" "$work/poip.pcap" || true
check "PCAP-over-IP reader got the same bytes as the file" cmp -s "$file" "$work/poip.pcap"
check_eq "$(http_view "$work/poip.pcap")" "$view" "PCAP-over-IP: tshark sees the same exchanges"
wait_until --every 0.1 10 "the PCAP-over-IP reader over TCP to catch up with the file" same_size "$file" "$work/tcp.pcap" || true
check "PCAP-over-IP over TCP with the token: the same bytes" cmp -s "$file" "$work/tcp.pcap"
check_eq "$(size_of "$work/other-uid.out")" 0 "PCAP-over-IP: another uid on the unix socket gets nothing"
check "PCAP-over-IP: the other uid is named on stderr" grep -q "uid 65534 is not the socket's owner" "$TLSGATE_STDERR"
check_eq "$(size_of "$work/no-token.out")" 0 "PCAP-over-IP: a TCP reader without the token gets nothing"
check_eq "$(size_of "$work/wrong-token.out")" 0 "PCAP-over-IP: a TCP reader with a wrong token gets nothing"
check "PCAP-over-IP: the wrong token is refused" grep -q "reader refused: wrong token" "$TLSGATE_STDERR"
for _ in $(seq 1 70); do grep -q "no token within" "$TLSGATE_STDERR" && break; sleep 0.1; done
check "PCAP-over-IP: the reader without a token is closed after 5 s" grep -q "reader refused: no token within 5s" \
  "$TLSGATE_STDERR"
check_eq "$(metric tlsgate_capture_readers_refused_total)" 3 "metrics: the three refused readers counted"

# /metrics: every record written is counted (the file is its 24-byte pcap header and them), none dropped.
check_eq "$(metric tlsgate_capture_bytes_written_total)" $(($(stat -c %s "$file") - 24)) \
  "metrics: capture bytes written = the file's records"
metrics_text=$(scrape /metrics)
for name in chunks_dropped bytes_dropped readers_dropped; do
  check "metrics: tlsgate_capture_${name}_total is 0" grep -qx "tlsgate_capture_${name}_total 0" <<<"$metrics_text"
done

# A stalled reader (connects, never reads) is dropped and does not slow a download.
time_large() {
  local t0 t1
  t0=$(date +%s%N)
  in_client curl -sS --http1.1 --cacert "$trust" https://www.example.test/large -o /dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
base_ms=$(time_large)
in_gw "$PYTHON" -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect('$poip_socket'); time.sleep(60)" &
READERS="$READERS $!"
sleep 0.3
stalled_ms=$(time_large)
check "download with a stalled reader: ${stalled_ms} ms vs ${base_ms} ms without (limit 3x + 2 s)" \
  test "$stalled_ms" -le $((base_ms * 3 + 2000))
sleep 0.5
check "the stalled reader was dropped" grep -q "PCAP-over-IP reader dropped" "$TLSGATE_STDERR"
check_eq "$(metric tlsgate_capture_readers_dropped_total)" 1 "metrics: the dropped reader counted"
stop_tlsgate
cleanup_readers
READERS=""

# Rotation, and the EVE log for the same requests.
eve="$work/eve.jsonl"
write_config "$eve" eve 1 "$work/pcap2"
start_tlsgate "$work/config.json"
log="$eve"  # lib.sh's helpers count flow lines of $log
requests
sleep 1
n_files=$(ls "$work"/pcap2/*.pcap | wc -l)
check_eq "$n_files" 3 "rotate_mb 1: new files, the oldest pruned to files_kept 3"
check "rotation: the newest file is a pcap tshark reads" tshark -r "$(ls "$work"/pcap2/*.pcap | tail -n 1)" -c 1
stop_tlsgate
if "$PYTHON" "$SOURCE_DIR/tests/integration/validate_log.py" "$SOURCE_DIR/docs/eve.schema.json" "$eve"; then
  pass "every EVE line matches docs/eve.schema.json"
else
  fail "EVE lines match docs/eve.schema.json"
fi
# The first five flows of each run are the same requests.
native_http=$(jq -r 'select(.event=="http" and .flow_id <= 5) | [.method, .authority, .path, .status, .response.body_bytes] | @tsv' "$work/flows.jsonl" | sort)
eve_http=$(jq -r 'select(.event_type=="http" and .flow_id <= 5) | [.http.http_method, .http.hostname, .http.url, .http.status, .http.length] | @tsv' "$eve" | sort)
check_eq "$eve_http" "$native_http" "EVE http events: same method, host, url, status and length as native"
native_flow=$(jq -r 'select(.event=="flow" and .flow_id <= 5) | [.action, .proto, (.sni // "-"), .server.port, .policy.rule] | @tsv' "$work/flows.jsonl" | sort)
eve_flow=$(jq -r 'select(.event_type=="flow" and .flow_id <= 5) | [.tlsgate.action, .tlsgate.proto, (.tls.sni // "-"), .dest_port, .tlsgate.policy.rule] | @tsv' "$eve" | sort)
check_eq "$eve_flow" "$native_flow" "EVE flow events: same action, protocol, SNI, port and rule as native"
check_eq "$(jq -r 'select(.event_type=="flow" and .app_proto=="tls") | .tls.ja4' "$eve" | head -n 1)" \
  "$(jq -r 'select(.event=="flow" and .proto=="tls") | .tls.client.ja4' "$work/flows.jsonl" | head -n 1)" "EVE tls.ja4 = native ja4"
finish

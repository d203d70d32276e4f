#!/usr/bin/env bash
# The ICAP client against a real c-icap + ClamAV (scripts/lib/scanner.sh) in the lab's server
# namespace, driven through `tlsgate icap-scan`: the OPTIONS the server sends, EICAR and the
# custom signature infected (RESPMOD and REQMOD), a clean 5 MiB body clean and sent once,
# kept-alive connections, Max-Connections, an Options-TTL refresh, a hung server and a stopped
# one giving an error in bounded time.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/scripts/lib/scanner.sh"

export LAB_LARGE_MB=1
lab_up
work=$(mktemp -d)
trap 'scanner_down; rm -rf "$work"; lab_cleanup' EXIT

# Values unlike c-icap's defaults (1024, none, 3600), so the client is seen reading them.
SCANNER_PREVIEW=4096 SCANNER_MAX_CONNECTIONS=3 SCANNER_OPTIONS_TTL=1
scanner_up "$work/scanner" 127.0.0.1 1344 "$NS_SERVER" || exit 1

head -c $((5 << 20)) /dev/urandom >"$work/clean-5m.bin"
printf 'a small clean body\n' >"$work/small.txt"

# icap-scan OUT ARGS...: run it in the server namespace; JSON lines in OUT, exit status in $rc.
scan() {
  local out=$1
  shift
  in_server "$TLSGATE_BIN" icap-scan --service "$SCANNER_SERVICE" "$@" >"$out" 2>"$out.err"
  rc=$?
}
line() { grep -F "\"file\":\"$2\"" "$1" | head -n 1; }  # the scan line of FILE in OUT
options_line() { grep '"event":"options"' "$1"; }

# OPTIONS, as the server sends them.
scan "$work/options" --options
check_eq "$rc" 0 "icap-scan --options exits 0"
o=$(options_line "$work/options")
check_eq "$(field '.preview' "$o")" 4096 "OPTIONS: Preview read from the server"
check_eq "$(field '.max_connections' "$o")" 3 "OPTIONS: Max-Connections read from the server"
check_eq "$(field '.options_ttl_s' "$o")" 1 "OPTIONS: Options-TTL read from the server"
check_eq "$(field '.methods | sort | join(",")' "$o")" "REQMOD,RESPMOD" "OPTIONS: Methods"
check_eq "$(field '.allow_204' "$o")" true "OPTIONS: Allow: 204"

# Downloads (RESPMOD), one after the other over one kept-alive connection.
scan "$work/respmod" "$SCANNER_EICAR" "$SCANNER_SIGNED" "$work/clean-5m.bin" "$work/small.txt"
check_eq "$rc" 1 "icap-scan exits 1 when something is infected"
l=$(line "$work/respmod" "$SCANNER_EICAR")
check_eq "$(field '.result' "$l")" infected "EICAR download: infected"
check_eq "$(field '.threat' "$l")" "$SCANNER_EICAR_THREAT" "EICAR download: the threat name"
check_eq "$(field '.replacement_status' "$l")" "HTTP/1.0 403 Forbidden" "EICAR download: c-icap's block page kept"
check "EICAR download: the block page has a body" test "$(field '.replacement_body_bytes' "$l")" -gt 0
l=$(line "$work/respmod" "$SCANNER_SIGNED")
check_eq "$(field '.result' "$l")" infected "custom signature download: infected"
check_eq "$(field '.threat' "$l")" "$SCANNER_SIGNED_THREAT" "custom signature download: the threat name"
check_eq "$(field '.body_bytes_sent' "$l")" 65536 "custom signature download: the rest sent after 100 Continue"
l=$(line "$work/respmod" "$work/clean-5m.bin")
check_eq "$(field '.result' "$l")" clean "clean 5 MiB download: clean"
check_eq "$(field '.icap_status' "$l")" 204 "clean 5 MiB download: 204 No Content"
check_eq "$(field '.body_bytes_sent' "$l")" $((5 << 20)) "clean 5 MiB download: body sent once (preview + rest)"
l=$(line "$work/respmod" "$work/small.txt")
check_eq "$(field '.result' "$l"),$(field '.icap_status' "$l")" clean,204 "small download: clean, answered within its preview"
check_eq "$(field '.connections_opened' "$l")" 1 "four scans over one kept-alive connection"

# An upload (REQMOD).
scan "$work/reqmod" --reqmod "$SCANNER_EICAR" "$work/small.txt"
l=$(line "$work/reqmod" "$SCANNER_EICAR")
check_eq "$(field '.result' "$l")" infected "EICAR upload (REQMOD): infected"
check_eq "$(field '.threat' "$l")" "$SCANNER_EICAR_THREAT" "EICAR upload (REQMOD): the threat name"
check_eq "$(field '.result' "$(line "$work/reqmod" "$work/small.txt")")" clean "clean upload (REQMOD): clean"

# Eight scans at once: never more connections than the server's Max-Connections (3), though
# the client would allow 8.
files=()
for _ in 1 2 3 4 5 6; do files+=("$work/clean-5m.bin"); done
scan "$work/parallel" --parallel --max-connections 8 "${files[@]}" "$SCANNER_EICAR" "$SCANNER_SIGNED"
check_eq "$(grep -c '"result":"clean"' "$work/parallel")" 6 "parallel: six clean"
check_eq "$(grep -c '"result":"infected"' "$work/parallel")" 2 "parallel: two infected"
check_eq "$(jq -s 'map(.connections_opened // 0) | max' "$work/parallel")" 3 "parallel: at most Max-Connections (3) connections"

# Options-TTL (1 s): the second scan, 1.5 s later, fetched OPTIONS again.
scan "$work/ttl" --interval-ms 1500 "$work/small.txt" "$SCANNER_SIGNED"
check_eq "$(field '.options_fetched' "$(line "$work/ttl" "$work/small.txt")")" 1 "Options-TTL: the first scan uses the OPTIONS of the start"
check_eq "$(field '.options_fetched' "$(line "$work/ttl" "$SCANNER_SIGNED")")" 2 "Options-TTL: fetched again once it expired"
check_eq "$(field '.result' "$(line "$work/ttl" "$SCANNER_SIGNED")")" infected "Options-TTL: the scan after the refresh still works"

# A hung server (c-icap and its children stopped; the kernel still accepts): an error at the timeout.
icap_pids=$(ps -o pid= --ppid "$SCANNER_ICAP_PID" | tr -s ' \n' ' ')
# shellcheck disable=SC2086
kill -STOP "$SCANNER_ICAP_PID" $icap_pids
scan "$work/hung" --timeout-ms 1000 "$work/small.txt"
# shellcheck disable=SC2086
kill -CONT "$SCANNER_ICAP_PID" $icap_pids
l=$(line "$work/hung" "$work/small.txt")
check_eq "$rc,$(field '.result' "$l")" 2,error "hung server: error, exit 2"
check "hung server: says it timed out ($(field '.error' "$l"))" grep -q "no verdict from the ICAP server 127.0.0.1:1344 within 1000 ms" <<<"$l"
check "hung server: gave up within 1.5 s ($(field '.ms' "$l") ms)" test "$(field '.ms' "$l")" -lt 1500

# A stopped server: an error at once, with the reason.
scanner_stop_icap
scan "$work/stopped" "$SCANNER_EICAR"
l=$(line "$work/stopped" "$SCANNER_EICAR")
check_eq "$rc,$(field '.result' "$l")" 2,error "stopped server: error, exit 2"
check_eq "$(field '.error' "$l")" "cannot connect to the ICAP server 127.0.0.1:1344: Connection refused" "stopped server: a clear reason"
check "stopped server: error within 200 ms ($(field '.ms' "$l") ms)" test "$(field '.ms' "$l")" -lt 200

finish

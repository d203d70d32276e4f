# shellcheck shell=bash
# A content scanner for tests and docs/scanning.md, sourced: Debian's clamd with a signature
# database made here (no freshclam, no download) and c-icap with its virus_scan module on
# that clamd, offering the service `avscan`. Everything lives in one directory; both daemons
# run in the foreground as this shell's children, started and stopped by PID.
#
#   scanner_up DIR ADDRESS PORT [NETNS]   write the config and signatures into DIR (created),
#                                   start clamd (unix socket DIR/clamd.sock) and c-icap listening
#                                   on ADDRESS:PORT (inside NETNS when given); wait until both
#                                   answer. Sets SCANNER_SERVICE (icap://ADDRESS:PORT/avscan),
#                                   SCANNER_EICAR (the EICAR test file), SCANNER_SIGNED (a generated
#                                   file the custom database names), SCANNER_CLAMD_PID, SCANNER_ICAP_PID
#   scanner_stop_icap               stop c-icap only (clamd keeps running)
#   scanner_start_icap              start c-icap again after scanner_stop_icap
#   scanner_down                    stop both; safe to call twice or after a failed scanner_up
#
# What the service's OPTIONS answer says (c-icap's own defaults: 1024, none, 3600):
SCANNER_PREVIEW=${SCANNER_PREVIEW:-1024}
SCANNER_MAX_CONNECTIONS=${SCANNER_MAX_CONNECTIONS:-16}
SCANNER_OPTIONS_TTL=${SCANNER_OPTIONS_TTL:-3600}
# Threat names as clamd reports them (a local database adds ".UNOFFICIAL"):
SCANNER_EICAR_THREAT=Tlsgate.Test.Eicar.UNOFFICIAL
SCANNER_SIGNED_THREAT=Tlsgate.Test.Generated.UNOFFICIAL
SCANNER_CLAMD_PID=""
SCANNER_ICAP_PID=""

# Both halves of the EICAR test string: joined only in the test's own files, so no file of the
# repository holds it whole (and no scanner on a developer's machine quarantines one).
scanner_eicar() { printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'; }

# The signatures: EICAR as a body signature (.ndb: any offset), the generated file by its
# MD5 and size (.hdb, made with sigtool like a real hash signature).
scanner_signatures() {
  local dir=$1
  mkdir -p "$dir/db"
  scanner_eicar >"$dir/eicar.com"
  printf 'Tlsgate.Test.Eicar:0:*:%s\n' "$(od -An -tx1 -v "$dir/eicar.com" | tr -d ' \n')" >"$dir/db/tlsgate.ndb"
  python3 -c 'import random, sys; r = random.Random(3507); sys.stdout.buffer.write(r.randbytes(65536))' >"$dir/signed.bin"
  (cd "$dir" && sigtool --md5 signed.bin) | sed 's/:signed\.bin$/:Tlsgate.Test.Generated/' >"$dir/db/tlsgate.hdb"
}

scanner_configs() {
  local dir=$1 address=$2 port=$3
  cat >"$dir/clamd.conf" <<EOF
LocalSocket $dir/clamd.sock
Foreground yes
DatabaseDirectory $dir/db
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
TemporaryDirectory $dir/tmp
EOF
  # c-icap keeps bodies past MaxMemObject in TmpDir, where clamd reads them (both run as this
  # user). MaxObjectSize is above the tests' 5 MiB body: bigger objects pass unscanned.
  cat >"$dir/c-icap.conf" <<EOF
PidFile $dir/c-icap.pid
CommandsSocket $dir/c-icap.ctl
Port $address:$port
Timeout 30
KeepAliveTimeout 60
MaxKeepAliveRequests 100
StartServers 1
MaxServers 1
MinSpareThreads 2
MaxSpareThreads 8
ThreadsPerChild 8
TmpDir $dir/tmp
MaxMemObject 131072
DebugLevel 1
ModulesDir /usr/lib/x86_64-linux-gnu/c_icap
ServicesDir /usr/lib/x86_64-linux-gnu/c_icap
TemplateDir /usr/share/c_icap/templates/
TemplateDefaultLanguage en
LoadMagicFile /etc/c-icap/c-icap.magic
ServerLog $dir/c-icap-server.log
AccessLog $dir/c-icap-access.log
Module common clamd_mod.so
clamd_mod.ClamdSocket $dir/clamd.sock
Service antivirus_module virus_scan.so
ServiceAlias avscan virus_scan?allow204=on&sizelimit=off&mode=simple
virus_scan.DefaultEngine clamd
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GRAPHICS STREAM DOCUMENT
virus_scan.SendPercentData 0
virus_scan.MaxObjectSize 16M
virus_scan.PreviewSize $SCANNER_PREVIEW
virus_scan.MaxConnections $SCANNER_MAX_CONNECTIONS
virus_scan.OptionsTTL $SCANNER_OPTIONS_TTL
EOF
}

scanner_in_ns() { if [[ -n $SCANNER_NETNS ]]; then ip netns exec "$SCANNER_NETNS" "$@"; else "$@"; fi; }

scanner_wait() {  # SECONDS WHAT CMD...: bounded poll; says what did not happen
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  echo "scanner: timed out after $seconds s waiting for $what" >&2
  return 1
}
scanner_clamd_ready() { [[ -S $SCANNER_DIR/clamd.sock ]] && kill -0 "$SCANNER_CLAMD_PID" 2>/dev/null; }
scanner_icap_ready() {
  kill -0 "$SCANNER_ICAP_PID" 2>/dev/null && scanner_in_ns ss -Hltn "sport = :$SCANNER_PORT" | grep -q LISTEN
}

scanner_up() {
  SCANNER_DIR=$1 SCANNER_PORT=$3 SCANNER_NETNS=${4:-}
  local address=$2
  mkdir -p "$SCANNER_DIR/tmp"
  scanner_signatures "$SCANNER_DIR"
  scanner_configs "$SCANNER_DIR" "$address" "$SCANNER_PORT"
  SCANNER_EICAR=$SCANNER_DIR/eicar.com
  SCANNER_SIGNED=$SCANNER_DIR/signed.bin
  [[ $address == *:* ]] && address="[$address]"
  SCANNER_SERVICE=icap://$address:$SCANNER_PORT/avscan
  clamd --config-file="$SCANNER_DIR/clamd.conf" >/dev/null 2>&1 &
  SCANNER_CLAMD_PID=$!
  scanner_wait 60 "clamd's socket (log: $SCANNER_DIR/clamd.log)" scanner_clamd_ready || return 1
  scanner_start_icap
}

scanner_start_icap() {
  # `ip netns exec` execs c-icap, so $! is c-icap's own PID.
  if [[ -n $SCANNER_NETNS ]]; then
    ip netns exec "$SCANNER_NETNS" c-icap -N -f "$SCANNER_DIR/c-icap.conf" >>"$SCANNER_DIR/c-icap.out" 2>&1 &
  else
    c-icap -N -f "$SCANNER_DIR/c-icap.conf" >>"$SCANNER_DIR/c-icap.out" 2>&1 &
  fi
  SCANNER_ICAP_PID=$!
  scanner_wait 30 "c-icap on port $SCANNER_PORT (log: $SCANNER_DIR/c-icap-server.log)" scanner_icap_ready
}

scanner_stop_pid() {  # PID: TERM, then KILL after 10 s
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

scanner_stop_icap() {
  scanner_stop_pid "$SCANNER_ICAP_PID"
  SCANNER_ICAP_PID=""
}

scanner_down() {
  scanner_stop_icap
  scanner_stop_pid "$SCANNER_CLAMD_PID"
  SCANNER_CLAMD_PID=""
}

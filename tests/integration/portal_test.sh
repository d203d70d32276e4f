#!/usr/bin/env bash
# The CA onboarding portal (portal_listen) as a LAN client meets it: headless
# Chromium in the client namespace opens http://10.10.1.1:8080/ (screenshot
# and DOM in build/test-output/portal/): the title, the three download links,
# the fingerprint, the QR code. The downloads parse (openssl for PEM and DER,
# python3 plistlib for the .mobileconfig) and hold the same certificate and
# key as `tlsgate ca export`. Then a client installs the downloaded PEM into
# its NSS db, the way the page tells Linux Chromium users, and loads an
# intercepted HTTPS page without a certificate error.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-1}
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
out_dir=${TEST_OUT_DIR:-$(dirname "$TLSGATE_BIN")/test-output/portal}
mkdir -p "$out_dir"
chromium_pgid=""
trap '[[ -n $chromium_pgid ]] && kill -KILL -- "-$chromium_pgid" 2>/dev/null; rm -rf "$work"; lab_cleanup' EXIT
portal="http://$GW_LAN_IP4:8080"
test_config state_dir="$state" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  portal_listen="$GW_LAN_IP4:8080" learned_bypass:=false control_socket:=null >"$work/config.json"
rules_install --mode redirect --ports 443,8443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
check "the portal listens on $GW_LAN_IP4:8080" gw_listening 8080
"$TLSGATE_BIN" ca export --state-dir "$state" >"$work/exported.pem"

# chromium N URL [ARGS...]: one headless run in the client namespace with $work/home-N as HOME,
# in its own process group, killed after 60 s.
chromium() {
  local n=$1 url=$2 pid
  shift 2
  mkdir -p "$work/home-$n"
  setsid ip netns exec "$NS_CLIENT" env HOME="$work/home-$n" chromium --headless=new --no-sandbox --disable-gpu \
    --no-first-run --no-default-browser-check --disable-background-networking --disable-sync \
    --disable-component-update --user-data-dir="$work/profile-$n" "$@" "$url" \
    >"$work/chromium-$n.out" 2>"$work/chromium-$n.err" &
  pid=$!
  chromium_pgid=$pid
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill -KILL -- "-$pid" 2>/dev/null || true
  chromium_pgid=""
}

# --- The page in a browser.
chromium 1 "$portal/" --screenshot="$out_dir/portal.png" --window-size=1000,1400
check "chromium: screenshot of the portal page ($out_dir/portal.png)" test -s "$out_dir/portal.png"
chromium 2 "$portal/" --dump-dom
cp "$work/chromium-2.out" "$out_dir/portal.html"
dom=$(cat "$work/chromium-2.out")
check_eq "$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' <<<"$dom")" "Install the tlsgate gateway CA" "chromium: the page's title"
for link in /tlsgate-ca.pem /tlsgate-ca.cer /tlsgate-ca.mobileconfig; do
  check "chromium: the page links $link" grep -q "href=\"$link\"" <<<"$dom"
done
fingerprint=$(openssl x509 -in "$work/exported.pem" -noout -fingerprint -sha256 | cut -d= -f2)
check "the page shows the CA's SHA-256 fingerprint ($fingerprint)" grep -q "$fingerprint" <<<"$dom"
check "the page has the QR code of its URL" grep -q "<svg.*QR code" <<<"$dom"
check "the page names its URL under the QR code" grep -q "$portal/" <<<"$dom"
for os in Windows macOS iOS Android Linux Firefox Chromium; do
  check "the page has steps for $os" grep -q "<h2>$os" <<<"$dom"
done

# --- The downloads, as the client gets them.
dl() { in_client curl -sS -m 5 -o "$work/$1" -w '%{http_code} %{content_type}' "$portal/$1"; }
check_eq "$(dl tlsgate-ca.pem)" "200 application/x-pem-file" "GET /tlsgate-ca.pem"
check_eq "$(dl tlsgate-ca.cer)" "200 application/pkix-cert" "GET /tlsgate-ca.cer"
check_eq "$(dl tlsgate-ca.mobileconfig)" "200 application/x-apple-aspen-config" "GET /tlsgate-ca.mobileconfig"
check_eq "$(in_client curl -sS -m 5 -o /dev/null -w '%{http_code}' "$portal/nothing")" 404 "other paths: 404"
pubkey() { openssl x509 -noout -pubkey "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
want_key=$(pubkey -in "$work/exported.pem")
want_der=$(openssl x509 -in "$work/exported.pem" -outform DER | sha256sum | cut -d' ' -f1)
check_eq "$(pubkey -in "$work/tlsgate-ca.pem")" "$want_key" "PEM download: parses, the same key as tlsgate ca export"
check "PEM download: the same certificate as tlsgate ca export" cmp -s "$work/tlsgate-ca.pem" "$work/exported.pem"
check_eq "$(pubkey -inform DER -in "$work/tlsgate-ca.cer")" "$want_key" "DER download: parses, the same key"
check_eq "$(sha256sum <"$work/tlsgate-ca.cer" | cut -d' ' -f1)" "$want_der" "DER download: the same certificate"
plist=$("$PYTHON" - "$work/tlsgate-ca.mobileconfig" <<'EOF'
import hashlib, plistlib, sys
with open(sys.argv[1], "rb") as f:
    profile = plistlib.load(f)
(payload,) = profile["PayloadContent"]
assert profile["PayloadType"] == "Configuration", profile["PayloadType"]
assert payload["PayloadType"] == "com.apple.security.root", payload["PayloadType"]
print(hashlib.sha256(payload["PayloadContent"]).hexdigest())
EOF
) || plist="unparsable"
check_eq "$plist" "$want_der" ".mobileconfig: plistlib reads it; its root payload is the CA's DER"

# --- A client installs the downloaded CA into its NSS db and browses through the gateway.
marker="tlsgate-portal-page-$RANDOM$RANDOM"
printf '<!doctype html><html><head><title>lab</title></head><body><p id="m">%s</p></body></html>\n' "$marker" \
  >"$LAB_DIR/www/index.html"
mkdir -p "$work/home-3/.pki/nssdb"
certutil -d "sql:$work/home-3/.pki/nssdb" -N --empty-password
certutil -d "sql:$work/home-3/.pki/nssdb" -A -t "C,," -n tlsgate -i "$work/tlsgate-ca.pem"
settle
before=$(flow_count)
chromium 3 https://www.example.test/ --dump-dom
check "chromium with the downloaded CA: the intercepted page loaded" grep -q "$marker" "$work/chromium-3.out"
new_flows=$(flow_lines | tail -n +"$((before + 1))" | jq -c 'select(.sni == "www.example.test")')
check "chromium with the downloaded CA: the page's flows were intercepted" \
  test -n "$new_flows" -a "$(jq -r .action <<<"$new_flows" | sort -u)" = intercept
stop_tlsgate
finish

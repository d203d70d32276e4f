#!/usr/bin/python3
"""Helpers for scripts/bench.sh (Debian's /usr/bin/python3, standard library only).

  bench_tools.py cpu PID            CPU seconds (utime+stime, threads and children) of PID's process tree
  bench_tools.py sys PID            the kernel's part of that (stime only)
  bench_tools.py rss PID            resident kB (VmRSS) of PID's process tree
  bench_tools.py cpus               busy and total jiffies of cpu0 and cpu1 (/proc/stat), for `util`
  bench_tools.py util BEFORE AFTER  "cpu0_busy=F cpu1_busy=F" between two `cpus` snapshots
  bench_tools.py newconn HOST PORT CAFILE SECONDS PROCS
        new TLS connections, one request each (GET /small, Connection: close), no session reuse;
        prints "conns=N errors=E resumed=R seconds=S"
  bench_tools.py report RESULTS DOC STARTED SECONDS IDLE_N LARGE_MB
        writes the Markdown tables of bench.sh's BENCH lines into DOC (keeps its "## Profile" section)
  bench_tools.py idle HOST PORT CAFILE N READY_FILE HOLD_SECONDS
        opens N TLS connections, one keep-alive request each, then holds them idle; writes
        "ok=N errors=E" to READY_FILE once all are open, and exits after HOLD_SECONDS or on SIGTERM
"""
import os
import platform
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

from lab_tls import context

CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree(root):
    """PIDs of root and all its live descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root, kernel_only=False):
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after "comm": utime stime cutime cstime are fields 14-17 of stat(5).
        fields = [int(x) for x in stat[stat.rindex(")") + 2:].split()[11:15]]
        total += fields[1] + fields[3] if kernel_only else sum(fields)
    return total / CLK_TCK


def rss_kb(root):
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def cpus():
    out = []
    with open("/proc/stat") as f:
        for line in f:
            name, *vals = line.split()
            if name in ("cpu0", "cpu1"):
                v = [int(x) for x in vals]
                idle = v[3] + v[4]  # idle + iowait
                out += [sum(v) - idle, sum(v)]
    return " ".join(map(str, out))


def util(before, after):
    b, a = [int(x) for x in before.split()], [int(x) for x in after.split()]
    parts = []
    for i in range(len(a) // 2):
        total = a[2 * i + 1] - b[2 * i + 1]
        parts.append(f"cpu{i}_busy={(a[2 * i] - b[2 * i]) / total if total else 0:.2f}")
    return " ".join(parts)


def request(tls, host, close):
    conn = "close" if close else "keep-alive"
    tls.sendall(f"GET /small HTTP/1.1\r\nHost: {host}\r\nConnection: {conn}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response header")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = tls.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        body += chunk


def newconn(host, port, cafile, seconds, procs, resume=False):
    """resume: each process offers the session (TLS 1.3 ticket) of its previous connection."""
    ctx = context(cafile)
    end = time.monotonic() + seconds
    pids = []
    rfds = []
    for _ in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            conns = errors = resumed = 0
            session = None
            while time.monotonic() < end:
                try:
                    with socket.create_connection((host, port), timeout=5) as raw:
                        with ctx.wrap_socket(raw, server_hostname=host, session=session) as tls:
                            request(tls, host, close=True)
                            resumed += tls.session_reused
                            if resume:
                                session = tls.session  # the ticket arrived before the response
                    conns += 1
                except (OSError, ConnectionError, StopIteration):
                    errors += 1
                    time.sleep(0.01)
            os.write(w, f"{conns} {errors} {resumed}\n".encode())
            os._exit(0)
        os.close(w)
        pids.append(pid)
        rfds.append(r)
    totals = [0, 0, 0]
    for pid, r in zip(pids, rfds):
        with os.fdopen(r) as f:
            parts = f.read().split()
        os.waitpid(pid, 0)
        if len(parts) == 3:
            totals = [a + int(b) for a, b in zip(totals, parts)]
    print(f"conns={totals[0]} errors={totals[1]} resumed={totals[2]} seconds={seconds}")


def idle(host, port, cafile, count, ready_file, hold, threads=8):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx = context(cafile)
    held, errors = [], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + max(60, count * 0.03)  # 10,000 connections: 300 s at most

    # A few threads open them side by side (OpenSSL releases the GIL in handshakes and I/O).
    def open_some(n):
        for _ in range(n):
            tls = None
            if time.monotonic() <= deadline:
                try:
                    raw = socket.create_connection((host, port), timeout=10)
                    tls = ctx.wrap_socket(raw, server_hostname=host)
                    request(tls, host, close=False)
                except (OSError, ConnectionError, StopIteration):
                    tls = None
            with lock:
                if tls:
                    held.append(tls)
                else:
                    errors[0] += 1

    workers = [threading.Thread(target=open_some, args=(count // threads + (i < count % threads),))
               for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    errors = errors[0]
    with open(ready_file + ".tmp", "w") as f:
        f.write(f"ok={len(held)} errors={errors}\n")
    os.rename(ready_file + ".tmp", ready_file)
    time.sleep(hold)


PEERS = ["tlsgate", "sslsplit", "mitmproxy", "squid", "none"]
ROWS = [
    ("new_conn_rate", "new TLS connections/s, one 1 KiB request each (full handshakes)"),
    ("cpu_per_new_conn", "gateway CPU ms per new connection"),
    ("keepalive_h1_rate", "keep-alive HTTP/1.1 requests/s (1 KiB)"),
    ("cpu_per_10k_req_h1", "gateway CPU s per 10,000 HTTP/1.1 requests"),
    ("keepalive_h2_rate", "keep-alive h2 requests/s (1 KiB)"),
    ("cpu_per_10k_req_h2", "gateway CPU s per 10,000 h2 requests"),
    ("latency_p50", "latency p50, keep-alive 1 KiB request (ms)"),
    ("latency_p99", "latency p99, keep-alive 1 KiB request (ms)"),
    ("bulk_intercept", "bulk download, intercepted (MB/s)"),
    ("cpu_per_gib_intercept", "gateway CPU s per GiB intercepted"),
    ("bulk_tunnel", "bulk download, tunnelled (MB/s)"),
    ("cpu_per_gib_tunnel", "gateway CPU s per GiB tunnelled"),
    ("idle_mem_per_conn", "gateway memory per idle intercepted connection (KiB)"),
    ("idle_rss_total", "gateway RSS holding the idle intercepted connections (MiB)"),
    ("new_conn_rate_resumed", "new TLS connections/s, client resumes its session (ticket)"),
    ("cpu_per_resumed_conn", "gateway CPU ms per new connection, client resumes its session"),
    ("new_conn_rate_upstream_cache", "new TLS connections/s, tlsgate's default upstream session cache"),
    ("cpu_per_new_conn_upstream_cache", "gateway CPU ms per new connection, tlsgate's default upstream session cache"),
]
# (metric, against, limit, kind, text): kind le = tlsgate/peer <= limit, ge = tlsgate/peer >= limit
TARGETS = [
    ("cpu_per_new_conn", "sslsplit", 0.5, "le", "CPU per new connection <= 0.5 of SSLsplit (issue 16)"),
    ("cpu_per_10k_req_h1", "sslsplit", 0.6, "le", "CPU per keep-alive request <= 0.6 of SSLsplit (issue 16)"),
    ("idle_mem_per_conn", "sslsplit", 0.5, "le", "memory per idle intercepted connection <= 0.5 of SSLsplit (issue 16)"),
    ("cpu_per_gib_intercept", "sslsplit", 0.25, "le", "CPU per GiB intercepted <= 0.25 of SSLsplit (issue 16)"),
    ("keepalive_h2_rate", "mitmproxy", 20, "ge", "h2 requests/s >= 20x mitmproxy (issue 7)"),
    ("bulk_tunnel", "none", 0.95, "ge", "tunnelled throughput >= 0.95x plain forwarding (issue 7)"),
]


def parse_results(path):
    data = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("BENCH "):
                continue
            kv = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
            data[(kv["peer"], kv["metric"])] = kv
    return data


def num(data, peer, metric):
    try:
        return float(data[(peer, metric)]["value"])
    except (KeyError, ValueError):
        return None


def fmt(v):
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not installed"


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return f"{model}, {os.cpu_count()} cores, {mem_kb / 1048576:.0f} GiB RAM, Linux {platform.release()}"


def compute(results, seconds):
    """The figures of bench.sh's results file: every BENCH line by (peer, metric), the peers that ran
    (in PEERS order), the load averages, and the rows the tables derive from them."""
    data = parse_results(results)
    peers = [p for p in PEERS if any(k[0] == p for k in data)]
    with open(results) as f:
        lines = f.read().splitlines()
    busy_rows = [(metric, text) for metric, text in ROWS if not metric.startswith("cpu_")
                 and any("cpu0_busy" in data.get((p, metric), {}) for p in peers)]
    newconn = []
    for p in peers:
        kv = data.get((p, "new_conn_rate"), {})
        conns = round(float(kv.get("value", 0)) * float(seconds)) if kv else 0
        newconn.append((p, conns, kv))
    return {
        "data": data,
        "peers": peers,
        "loads": [line[2:].strip() for line in lines if line.startswith("# loadavg")],
        "raw": [line for line in lines if line.startswith("BENCH ")],
        "busy_rows": busy_rows,
        "busy_values": [float(data[(p, m)][k]) for m, _ in busy_rows for p in peers
                        for k in ("cpu0_busy", "cpu1_busy") if k in data.get((p, m), {})],
        "errors": sorted([(p, m, kv) for (p, m), kv in data.items() if "error" in kv and not m.startswith("cpu_per")],
                         key=lambda e: (PEERS.index(e[0]), e[1])),
        "newconn": newconn,
    }


def judge(fig):
    """Each target of TARGETS as (text, ratio or None, limit, kind, met), and for the latencies
    (metric, lowest intercepting peer, its value) where tlsgate and another gateway were measured."""
    data, peers = fig["data"], fig["peers"]
    targets = []
    for metric, against, limit, kind, text in TARGETS:
        mine, theirs = num(data, "tlsgate", metric), num(data, against, metric)
        if mine is None or not theirs:
            targets.append((text, None, limit, kind, False))
            continue
        ratio = mine / theirs
        targets.append((text, ratio, limit, kind, ratio <= limit if kind == "le" else ratio >= limit))
    lowest = []
    gateways = [p for p in peers if p != "none"]
    for metric in ("latency_p50", "latency_p99"):
        vals = {p: num(data, p, metric) for p in gateways if num(data, p, metric) is not None}
        if "tlsgate" in vals and len(vals) > 1:
            best = min(vals, key=vals.get)
            lowest.append((metric, best, vals[best]))
    return {"targets": targets, "lowest_latency": lowest}


def table(w, header, rows):
    """A Markdown table: header cells, then rows of cells; a blank line after it."""
    w("| " + " | ".join(header) + " |")
    w("|---|" + "---|" * (len(header) - 1))
    for cells in rows:
        w("| " + " | ".join(cells) + " |")
    w("")


def render_intro(w, fig, started, seconds, idle_n, large_mb):
    w("# Benchmarks\n")
    w("Produced by `scripts/bench.sh` (issue 7); rerun with `sudo bash scripts/bench.sh`. "
      "Numbers are from one run on one small machine: compare the columns with each other, "
      "not with other machines.\n")
    w(f"- run: {started}, {seconds} s per metric, {idle_n} idle connections, {large_mb} MiB bulk file")
    w(f"- machine: {machine()}")
    w("- pinning: every gateway (and its threads and helpers) on CPU 0 with `taskset -c 0`; nginx "
      "(`taskset -pc 1` on its processes) and all load generators on CPU 1. `none` has no gateway process: "
      "the forwarding is the kernel's (softirq), so it has no CPU figure.")
    w("- other load: the machine is shared with other sessions (builds); the bench runs at nice -10 to keep "
      "them out of its numbers as far as possible, and the busy shares below show how far that worked. "
      f"Load averages (1, 5, 15 min): {'; '.join(fig['loads']) or 'n/a'}")
    w("- lab: `scripts/lab.sh` namespaces (client - gateway - server over veth), nginx 1 worker, "
      "TLS 1.3, the server certificate and all gateway CAs EC P-256")
    vers = {
        "tlsgate": "this tree, Release, `workers: 1`",
        "sslsplit": version(["sslsplit", "-V"]),
        "mitmproxy": version(["mitmdump", "--version"]),
        "squid": version(["squid", "-v"]),
        "none": "kernel forwarding, no rules",
    }
    w("- peers: " + "; ".join(f"{p}: {vers[p]}" for p in fig["peers"]))
    w("")


def render_results(w, fig):
    data, peers = fig["data"], fig["peers"]
    w("## Results\n")
    table(w, ["metric"] + peers,
          [[text] + ["n/a (see below)" if "error" in data.get((p, metric), {}) else fmt(num(data, p, metric))
                     for p in peers] for metric, text in ROWS])


def render_comparison(w, fig, verdicts):
    """Ratios to every other peer, the targets, and the cached-upstream aside (tlsgate and others only)."""
    data = fig["data"]
    others = [p for p in fig["peers"] if p != "tlsgate"]
    w("## Ratios: tlsgate / peer\n")
    w("Above 1 means tlsgate's number is larger (better for rates, worse for CPU, memory and latency).\n")
    rows = []
    for metric, text in ROWS:
        mine = num(data, "tlsgate", metric)
        rows.append([text] + [f"{mine / num(data, p, metric):.2f}" if mine is not None and num(data, p, metric)
                              else "n/a" for p in others])
    table(w, ["metric"] + [f"vs {p}" for p in others], rows)
    w("## Targets (issues 16 and 7)\n")
    rows = []
    for text, ratio, limit, kind, met in verdicts["targets"]:
        if ratio is None:
            rows.append([text, "n/a", "not measured"])
        else:
            rows.append([text, f"{ratio:.3g} (limit {'<=' if kind == 'le' else '>='} {limit:.3g})",
                         "yes" if met else "**no**"])
    for metric, best, value in verdicts["lowest_latency"]:
        rows.append([f"{metric.replace('_', ' ')} lowest of the intercepting peers",
                     f"lowest: {best} ({fmt(value)} ms)", "yes" if best == "tlsgate" else "**no**"])
    table(w, ["target", "tlsgate / peer", "met"], rows)
    cached, theirs = num(data, "tlsgate", "cpu_per_new_conn_upstream_cache"), num(data, "sslsplit", "cpu_per_new_conn")
    if cached is not None and theirs:
        kv = data.get(("tlsgate", "new_conn_rate_upstream_cache"), {})
        w(f"Outside the targets' conditions: with its default upstream session cache tlsgate took {fmt(cached)} ms "
          f"per new connection, {cached / theirs:.2f} of SSLsplit's figure above (nginx saw "
          f"{kv.get('server_resumed', 'n/a')} of {kv.get('server_requests', 'n/a')} upstream handshakes resumed; "
          "SSLsplit, mitmproxy and squid ran with their own defaults in the new-connection row, and nginx saw none "
          "of theirs resumed).\n")


def render_busy(w, fig):
    data, peers = fig["data"], fig["peers"]
    w("## CPU busy during each metric\n")
    if fig["busy_values"] and min(fig["busy_values"]) >= 0.98:
        w("Both CPUs were fully busy during every metric (`cpu0_busy`, `cpu1_busy` in the raw lines): the "
          "other load on the machine took whatever the bench left, so the busy share cannot show which side "
          "limited a rate. The gateway's CPU per unit of work is measured from its own process tree and does "
          "not depend on that.\n")
        return
    w("Share of each CPU busy (user, system, softirq) over the metric, CPU 0 / CPU 1. CPU 0 runs the "
      "gateway; CPU 1 runs nginx and the load generator, and also the kernel's receive work for packets "
      "the processes on it send through the veth pairs. A rate limited by CPU 1 says little about the "
      "gateway; its CPU per unit of work still does.\n")
    rows = []
    for metric, text in fig["busy_rows"]:
        cells = []
        for p in peers:
            kv = data.get((p, metric), {})
            cells.append(f"{kv['cpu0_busy']} / {kv['cpu1_busy']}" if "cpu0_busy" in kv else "n/a")
        rows.append([text] + cells)
    table(w, ["metric"] + peers, rows)


def render_errors(w, fig):
    if not fig["errors"]:
        return
    w("## What did not work\n")
    rows = []
    for p, m, kv in fig["errors"]:
        text = kv["error"].replace("_", " ")
        if kv["error"] == "no_h2_negotiated":
            text = ("h2load: \"No protocol negotiated\": the peer offers the client no h2 in ALPN (HTTP/1.1 "
                    f"only); h2load fell back to pipelined HTTP/1.1, {fmt(float(kv['h1_fallback_req_s']))} req/s, "
                    "not counted as h2")
        rows.append([p, m, text])
    table(w, ["peer", "metric", "error"], rows)


def render_newconn(w, fig):
    w("## New-connection check: no session resumption\n")
    w("The client is `scripts/bench_tools.py newconn`: 4 processes of /usr/bin/python3 `ssl`, each connection "
      "a fresh socket and handshake (no `session=` passed, so no ticket or ID offered) that verifies the "
      "certificate and sends one `GET /small` with `Connection: close`. wrk and h2load resume sessions, so "
      "they are not used here. nginx logs `$ssl_session_reused` per request: for `none` it sees the client "
      "itself, for a gateway it sees the gateway's upstream leg. tlsgate runs with "
      "`upstream_session_cache_entries: 0`, so both its legs are full handshakes; the other peers run "
      "with their defaults, and any upstream resumption they do shows below.\n")
    table(w, ["peer", "connections", "client resumed", "requests at nginx", "resumed at nginx"],
          [[p, str(conns), kv.get("client_resumed", "n/a"), kv.get("server_requests", "n/a"),
            kv.get("server_resumed", "n/a")] for p, conns, kv in fig["newconn"]])


def render_method(w, fig, idle_n):
    w("## Method\n")
    w("- CPU: utime+stime of the gateway's process tree (all threads, live children and reaped children, "
      "from /proc/PID/stat) read before and after each metric; `gw_cpu_s` in the raw lines, and its kernel "
      "part (stime: system calls and the TCP work they do, including the receiving side's on veth) `gw_sys_s`.")
    w("- keep-alive: `wrk -t1 -c16` (HTTP/1.1) and `h2load -c8 -m10 -t1` (h2) on `/small`; the CPU per "
      "10,000 requests comes from the same runs.")
    w("- latency: `wrk -t1 -c1 --latency`, one keep-alive connection, p50 and p99.")
    w("- bulk: `curl --http1.1` downloads of `/large` in a loop for the metric's time; intercepted on "
      "port 443, tunnelled on 8443 (tlsgate: a policy rule `port 8443 -> tunnel`; sslsplit: its `tcp` "
      "listener; mitmproxy: `ignore_hosts ':8443$'`; squid: `ssl_bump splice` on the 8443 listener).")
    w(f"- idle memory: `bench_tools.py idle` opens {idle_n} TLS connections from 8 threads, one keep-alive "
      "request each, then holds them; (VmRSS of the gateway tree after - before) / connections, and the tree's "
      "whole VmRSS while holding them. Measured after the load metrics, so caches are warm. The count is "
      "10,000 unless the machine's hard file limit leaves no room for that: a gateway holds two sockets per "
      "connection (this container's limit is 20,000, so 8,000 here). nginx (the upstream) allows 30,000 "
      "connections and keeps idle ones 600 s; tlsgate runs with `max_flows_per_client: 100000` (the default "
      "1,024 would refuse the single bench client's later connections).")
    w("- tlsgate's default upstream session cache (`upcache`, last): tlsgate is restarted without "
      "`upstream_session_cache_entries: 0` and the new-connection load runs again; nginx's log says how many "
      "upstream handshakes it resumed.")
    w("- resumed connections: the same client as new connections, but each process offers the session "
      "(TLS 1.3 ticket) its previous connection received, so the client leg resumes; tlsgate's upstream leg "
      "stays a full handshake (`upstream_session_cache_entries: 0`).")
    w("- peers: sslsplit `-P ssl ... tcp ...` with an EC P-256 leaf key (`-K`), like tlsgate's; mitmdump "
      "`--mode transparent` with `stream_large_bodies=1m`, upstream verified against the lab CA; squid-openssl "
      "`https_port ... intercept ssl-bump`, `ssl_bump peek step1` then `bump`, cert helper "
      "`security_file_certgen`, no cache. tlsgate writes its flow log (one JSON line per flow plus HTTP "
      "events) to a file during all runs; the others log nothing.")
    w("- raw lines: `build-bench/bench-results.txt`:\n")
    w("```")
    for line in fig["raw"]:
        w(line)
    w("```\n")


def render(fig, verdicts, started, seconds, idle_n, large_mb):
    """docs/benchmarks.md's text, without its "## Profile" section, as a list of lines."""
    out = []
    w = out.append
    render_intro(w, fig, started, seconds, idle_n, large_mb)
    render_results(w, fig)
    if "tlsgate" in fig["peers"] and len(fig["peers"]) > 1:
        render_comparison(w, fig, verdicts)
    render_busy(w, fig)
    render_errors(w, fig)
    render_newconn(w, fig)
    render_method(w, fig, idle_n)
    return out


def report(results, doc, started, seconds, idle_n, large_mb):
    """Writes the tables of bench.sh's results into doc, keeping the doc's "## Profile" section."""
    profile = "## Profile\n\n(left for the lead)\n"
    if os.path.exists(doc):
        with open(doc) as f:
            old = f.read()
        if "\n## Profile\n" in old:
            profile = old[old.index("\n## Profile\n") + 1:]
    fig = compute(results, seconds)
    out = render(fig, judge(fig), started, seconds, idle_n, large_mb)
    out.append(profile.rstrip("\n"))
    with open(doc, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cpu":
        print(f"{cpu_seconds(int(args[0])):.2f}")
    elif cmd == "sys":
        print(f"{cpu_seconds(int(args[0]), kernel_only=True):.2f}")
    elif cmd == "rss":
        print(rss_kb(int(args[0])))
    elif cmd == "cpus":
        print(cpus())
    elif cmd == "util":
        print(util(args[0], args[1]))
    elif cmd == "newconn":
        newconn(args[0], int(args[1]), args[2], float(args[3]), int(args[4]), args[5:6] == ["resume"])
    elif cmd == "report":
        report(args[0], args[1], args[2], args[3], args[4], args[5])
    elif cmd == "idle":
        idle(args[0], int(args[1]), args[2], int(args[3]), args[4], float(args[5]))
    else:
        sys.exit(f"bench_tools.py: unknown command {cmd}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Abusive and steady clients for scripts/soak.sh (issue 13). Run inside the lab's client namespace.

  soak_clients.py steady   HOST CAFILE SOURCE INTERVAL_S SECONDS OUT STOP_FILE
        one HTTPS GET /small per INTERVAL_S on a new connection (Connection: close), until SECONDS or
        STOP_FILE exists; one line per request in OUT: "t_unix latency_ms status" (status 0 = failed)
  soak_clients.py idle     HOST CAFILE SOURCES N HOLD_S READY STOP_FILE
        N intercepted TLS connections (handshake with the gateway's forged certificate verified),
        then they sit until HOLD_S or STOP_FILE; READY gets the counts once all are open
  soak_clients.py slowloris HOST SOURCES N HOLD_S READY STOP_FILE
        N TCP connections to HOST:443 that send one byte of a TLS record (0x16) and wait
  soak_clients.py abuse    HOST CAFILE SOURCE N
        N each of: garbage, truncated ClientHello, reset after a partial hello, reset after a
        handshake; plus one request with 10,000 tiny headers and one with a 1 MiB header block
  soak_clients.py report   WORK_DIR PARAMS_JSON [JSON_OUT]
        soak.sh's figures, table and thresholds from its work directory (exit 1: a threshold failed)
  soak_clients.py flood    HOST SOURCE N HOLD_S
        N plain connections at once from one address (past max_flows_per_client); counts those the
        gateway closed at once

SOURCES is a comma-separated list of local addresses, used round robin. Every mode prints one JSON
object of counts on stdout; `made` is the number of TCP connections that were established (each
should become one flow line, or one refusal in a `limit` line). Everything is bounded in count and time.
"""
import asyncio
import json
import os
import random
import resource
import signal
import socket
import ssl
import struct
import sys
import time

from lab_tls import context

PORT = 443


def raise_nofile():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def client_hello(host):
    """The bytes of a real ClientHello (Python's own), captured with a memory BIO."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=host)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def stopped(stop_file, deadline):
    return time.monotonic() >= deadline or os.path.exists(stop_file)


def write_ready(path, counts):
    with open(path + ".tmp", "w") as f:
        json.dump(counts, f)
    os.rename(path + ".tmp", path)


async def connect(host, source, counts):
    """A non-blocking TCP connection from source; counts['made'] when established."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.wait_for(loop.sock_connect(sock, (host, PORT)), 15)
    except (OSError, asyncio.TimeoutError):
        sock.close()
        counts["connect_failed"] += 1
        return None
    counts["made"] += 1
    return sock


STOP = None  # an asyncio.Event set by watch_stop()


async def watch_stop(stop_file, deadline):
    """One poll of the stop file for all connections (not one timer per connection)."""
    while not stopped(stop_file, deadline):
        await asyncio.sleep(0.5)
    STOP.set()


async def hold(reader, writer, stop_file, deadline, counts):
    """Waits until the stop; counts a close by the gateway before it."""
    stop = asyncio.ensure_future(STOP.wait())
    while True:
        read = asyncio.ensure_future(reader.read(4096))
        await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not read.done():
            read.cancel()
            break
        try:
            data = read.result()
        except (OSError, ssl.SSLError):
            data = b""
        if not data:
            counts["closed_by_gateway"] += 1
            break
    stop.cancel()
    writer.close()


async def idle_one(host, ctx, source, sem, stop_file, deadline, counts):
    async with sem:
        sock = await connect(host, source, counts)
        if sock is None:
            return
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(sock=sock, ssl=ctx, server_hostname=host), 20)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as e:
            counts["handshake_failed"] += 1
            counts.setdefault("first_error", str(e)[:200])
            sock.close()
            return
        counts["ok"] += 1
    await hold(reader, writer, stop_file, deadline, counts)


async def slow_one(host, source, sem, stop_file, deadline, counts):
    async with sem:
        sock = await connect(host, source, counts)
        if sock is None:
            return
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(b"\x16")  # the first byte of a TLS handshake record, and nothing more
        counts["ok"] += 1
    await hold(reader, writer, stop_file, deadline, counts)


async def many(kind, host, sources, n, hold_s, ready, stop_file, cafile=None):
    raise_nofile()
    counts = {"mode": kind, "requested": n, "made": 0, "ok": 0, "connect_failed": 0,
              "handshake_failed": 0, "closed_by_gateway": 0}
    deadline = time.monotonic() + hold_s
    global STOP
    STOP = asyncio.Event()
    watcher = asyncio.create_task(watch_stop(stop_file, deadline))
    sem = asyncio.Semaphore(100)  # handshakes in flight at once
    tasks = []
    ctx = context(cafile) if cafile else None
    for i in range(n):
        src = sources[i % len(sources)]
        if kind == "idle":
            tasks.append(asyncio.create_task(idle_one(host, ctx, src, sem, stop_file, deadline, counts)))
        else:
            tasks.append(asyncio.create_task(slow_one(host, src, sem, stop_file, deadline, counts)))
    # Ready once every connection was attempted (held or failed).
    while counts["made"] + counts["connect_failed"] < n and not stopped(stop_file, deadline):
        await asyncio.sleep(0.2)
    while (counts["ok"] + counts["handshake_failed"] < counts["made"]) and not stopped(stop_file, deadline):
        await asyncio.sleep(0.2)
    counts["open_at_ready"] = counts["ok"] - counts["closed_by_gateway"]
    write_ready(ready, counts)
    await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()
    return counts


def steady(host, cafile, source, interval, seconds, out, stop_file):
    ctx = context(cafile)
    deadline = time.monotonic() + seconds
    counts = {"mode": "steady", "made": 0, "requests": 0, "ok": 0, "failed": 0}
    limit = int(seconds / interval) + 2
    with open(out, "w") as f:
        while counts["requests"] < limit and not stopped(stop_file, deadline):
            t0 = time.monotonic()
            status = 0
            try:
                raw = socket.create_connection((host, PORT), timeout=10, source_address=(source, 0))
                counts["made"] += 1
                with ctx.wrap_socket(raw, server_hostname=host) as tls:
                    tls.sendall(f"GET /small HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                    data = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in data:
                        status = int(data[9:12])
                        body = data.split(b"\r\n\r\n", 1)[1]
                        if status == 200 and len(body) != 1024:
                            status = -1  # a short body is not served
            except (OSError, ssl.SSLError, ValueError):
                status = 0
            ms = (time.monotonic() - t0) * 1000
            counts["requests"] += 1
            counts["ok" if status == 200 else "failed"] += 1
            f.write(f"{time.time():.3f} {ms:.3f} {status}\n")
            f.flush()
            time.sleep(max(0.0, interval - (time.monotonic() - t0)))
    return counts


def abuse(host, cafile, source, n):
    ctx = context(cafile)
    hello = client_hello(host)
    counts = {"mode": "abuse", "made": 0, "connect_failed": 0}
    kinds = {"garbage": 0, "truncated_hello": 0, "reset_partial_hello": 0, "reset_after_handshake": 0,
             "headers_10k": 0, "header_block_1mib": 0}

    def conn():
        try:
            s = socket.create_connection((host, PORT), timeout=10, source_address=(source, 0))
        except OSError:
            counts["connect_failed"] += 1
            return None
        counts["made"] += 1
        return s

    def reset(s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()

    for _ in range(n):
        s = conn()
        if s:  # not TLS at all on a TLS port
            try:
                s.sendall(random.randbytes(random.randint(1, 2048)))
                s.settimeout(2)
                s.recv(4096)
            except OSError:
                pass
            s.close()
            kinds["garbage"] += 1
        s = conn()
        if s:  # a ClientHello cut short, then a clean close
            try:
                s.sendall(hello[:random.randint(1, len(hello) - 1)])
            except OSError:
                pass
            s.shutdown(socket.SHUT_WR)
            s.close()
            kinds["truncated_hello"] += 1
        s = conn()
        if s:  # part of a hello, then RST
            try:
                s.sendall(hello[:random.randint(5, len(hello) - 1)])
            except OSError:
                pass
            reset(s)
            kinds["reset_partial_hello"] += 1
        s = conn()
        if s:  # a full handshake with the forged certificate, then RST
            try:
                tls = ctx.wrap_socket(s, server_hostname=host)
                reset(tls)
            except (OSError, ssl.SSLError):
                s.close()
            kinds["reset_after_handshake"] += 1

    def big_request(headers):
        s = conn()
        if not s:
            return "connect_failed"
        try:
            with ctx.wrap_socket(s, server_hostname=host) as tls:
                tls.settimeout(20)
                tls.sendall(f"GET /small HTTP/1.1\r\nHost: {host}\r\n".encode() + headers +
                            b"Connection: close\r\n\r\n")
                data = tls.recv(4096)
                return data.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
        except (OSError, ssl.SSLError) as e:
            return type(e).__name__

    kinds["headers_10k"] = big_request(b"".join(b"x%d: y\r\n" % i for i in range(10000)))
    kinds["header_block_1mib"] = big_request(b"x-big: " + b"a" * (1 << 20) + b"\r\n")
    counts.update(kinds)
    return counts


async def flood(host, source, n, hold_s):
    raise_nofile()
    counts = {"mode": "flood", "made": 0, "connect_failed": 0, "closed_at_once": 0}
    hello = client_hello(host)
    deadline = time.monotonic() + hold_s

    async def one():
        sock = await connect(host, source, counts)
        if sock is None:
            return
        reader, writer = await asyncio.open_connection(sock=sock)
        try:
            writer.write(hello[:10])  # a hello that never completes: held until the peek timeout
            data = await asyncio.wait_for(reader.read(1), max(0.1, deadline - time.monotonic()))
            if not data:
                counts["closed_at_once"] += 1
        except ConnectionResetError:
            counts["closed_at_once"] += 1
        except (OSError, asyncio.TimeoutError):
            pass
        writer.close()

    await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    return counts


def percentile(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]


def load_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip() or "{}")
    except (OSError, ValueError):
        return {}


def report(work, params, json_out):
    """Figures and thresholds of a soak run (scripts/soak.sh); exit 1 when a threshold fails."""
    p = json.loads(params)

    def latencies(name):
        rows = []
        try:
            with open(os.path.join(work, name)) as f:
                rows = [line.split() for line in f if line.strip()]
        except OSError:
            pass
        return [float(r[1]) for r in rows], [int(r[2]) for r in rows]

    base_ms, base_st = latencies("baseline.txt")
    ms, st = latencies("steady.txt")
    clients = {k: load_json(os.path.join(work, k + ".json"))
               for k in ("baseline", "steady", "idle", "slow", "abuse", "flood")}
    made = sum(c.get("made", 0) for c in clients.values())
    # A connect the client gave up on (timeout under load) may still have been
    # accepted by the gateway later: such a flow has a line the client did not count.
    gave_up = sum(c.get("connect_failed", 0) for c in clients.values())
    flows = limit_lines = refused = 0
    limit_ts, reasons = [], {}
    with open(os.path.join(work, "flows.jsonl"), errors="replace") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "flow":
                flows += 1
                reasons[e.get("reason")] = reasons.get(e.get("reason"), 0) + 1
            elif e.get("event") == "limit":
                limit_lines += 1
                refused += int(e.get("refused", 0))
                limit_ts.append(e.get("ts", ""))
    samples = []
    with open(os.path.join(work, "samples.txt")) as f:
        samples = [tuple(int(x) for x in line.split()) for line in f if len(line.split()) == 2]
    rss_peak = max([s[0] for s in samples] + [p["rss_before"]])
    fds_peak = max([s[1] for s in samples] + [p["fds_before"]])
    span = 0.0
    if len(limit_ts) > 1:
        from datetime import datetime
        t = [datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp() for x in limit_ts]
        span = max(t) - min(t)
    idle = clients["idle"]
    fig = {
        "date": p["date"], "loadavg": p["loadavg"],
        "load": {"idle": p["idle"], "slowloris": p["slowloris"], "abuse_each": p["abuse"], "flood": p["flood"],
                 "duration_s": p["duration"], "open_s": float(p["open_s"]),
                 "gateway_tcp_connections_held": p["held_conns"]},
        "limits": {"supported": True, "max_flows": p["max_flows"], "max_flows_per_client": p["max_per_client"],
                   "nofile_started": p["nofile_start"], "nofile_running": p["nofile_now"]},
        "steady": {"baseline_requests": len(base_st), "baseline_ok": base_st.count(200),
                   "baseline_p50_ms": percentile(base_ms, 50), "baseline_p99_ms": percentile(base_ms, 99),
                   "requests": len(st), "ok": st.count(200),
                   "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None},
        "rss_kib": {"before": p["rss_before"], "peak": rss_peak, "after": p["rss_after"]},
        "sanitized": p.get("sanitized", False),
        "fds": {"before": p["fds_before"], "peak": fds_peak, "after": p["fds_after"]},
        "connections": {"made": made, "gave_up": gave_up, "flow_lines": flows, "refused_in_limit_lines": refused,
                        "limit_lines": limit_lines, "limit_span_s": round(span, 1),
                        "flows_total_metric": p["flows_metric"], "log_lines_dropped": p["log_dropped"],
                        "by_client": {k: c for k, c in clients.items()}, "flow_reasons": reasons},
        "gateway_alive": bool(p["gw_alive"]),
    }
    s = fig["steady"]
    if s["baseline_p99_ms"] and s["p99_ms"]:
        s["p99_ratio"] = round(s["p99_ms"] / s["baseline_p99_ms"], 2)
    checks = [
        ("steady client fully served (every request 200)",
         len(st) > 0 and st.count(200) == len(st) and base_st.count(200) == len(base_st),
         f"{st.count(200)}/{len(st)} during, {base_st.count(200)}/{len(base_st)} baseline"),
        ("idle connections all held",
         idle.get("open_at_ready", 0) >= p["idle"],
         f"{idle.get('open_at_ready', 0)}/{p['idle']} held"),
        ("RSS after within 20 MB of before",
         p["rss_after"] - p["rss_before"] <= 20 * 1024 or p.get("sanitized", False),
         f"{p['rss_before'] / 1024:.1f} -> {p['rss_after'] / 1024:.1f} MiB (peak {rss_peak / 1024:.1f})"
         + (" (not enforced: ASan build, freed memory stays in its quarantine)" if p.get("sanitized") else "")),
        ("no FD left over",
         p["fds_after"] - p["fds_before"] <= p["fd_tol"],
         f"{p['fds_before']} -> {p['fds_after']} (peak {fds_peak}, tolerance {p['fd_tol']})"),
        ("one flow line per accepted connection",
         made <= flows + refused <= made + gave_up and p["log_dropped"] in (0, None),
         f"{flows} flow lines + {refused} refused vs {made} made (+ up to {gave_up} the clients gave up on); "
         f"{'unknown (no metrics endpoint)' if p['log_dropped'] is None else p['log_dropped']} log lines dropped"),
        ("refusals summarised (~1 limit line per second)",
         limit_lines <= span + 2,
         f"{limit_lines} limit lines over {span:.1f}s"),
        ("gateway still running", bool(p["gw_alive"]), ""),
    ]
    fig["thresholds"] = [{"check": c, "ok": ok, "detail": d} for c, ok, d in checks]
    fig["ok"] = all(ok for _, ok, _ in checks)

    def f(v, unit=""):
        return "n/a" if v is None else f"{v:.1f}{unit}" if isinstance(v, float) else f"{v}{unit}"
    print(f"\n== soak {p['date']} (loadavg {p['loadavg']}): {p['idle']} idle, {p['slowloris']} slowloris, "
          f"{p['abuse']} x 4 abuse kinds + 2 header floods, flood {p['flood']}, held {p['duration']}s "
          f"(all open after {p['open_s']}s, gateway held {p['held_conns']} TCP connections)")
    print(f"limits: max_flows {p['max_flows']}, max_flows_per_client {p['max_per_client']}"
          f"; RLIMIT_NOFILE started {p['nofile_start']}, running {p['nofile_now']}")
    print(f"{'figure':34} {'before/baseline':>16} {'during/peak':>14} {'after':>10}")
    print(f"{'steady requests ok/made':34} {str(base_st.count(200)) + '/' + str(len(base_st)):>16} "
          f"{str(st.count(200)) + '/' + str(len(st)):>14}")
    print(f"{'steady p50 (ms)':34} {f(s['baseline_p50_ms']):>16} {f(s['p50_ms']):>14}")
    print(f"{'steady p99 (ms)':34} {f(s['baseline_p99_ms']):>16} {f(s['p99_ms']):>14}   ratio {s.get('p99_ratio', 'n/a')}")
    print(f"{'gateway RSS (MiB)':34} {p['rss_before'] / 1024:>16.1f} {rss_peak / 1024:>14.1f} {p['rss_after'] / 1024:>10.1f}")
    print(f"{'gateway open FDs':34} {p['fds_before']:>16} {fds_peak:>14} {p['fds_after']:>10}")
    print(f"connections made {made}; flow lines {flows}; refused (limit lines) {refused} in {limit_lines} lines")
    print("flow reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda x: -x[1])))
    for c, ok, d in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {c}: {d}")
    if json_out:
        with open(json_out, "w") as out:
            json.dump(fig, out, indent=2)
    sys.exit(0 if fig["ok"] else 1)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "steady":
        r = steady(a[0], a[1], a[2], float(a[3]), float(a[4]), a[5], a[6])
    elif mode == "idle":
        r = asyncio.run(many("idle", a[0], a[2].split(","), int(a[3]), float(a[4]), a[5], a[6], cafile=a[1]))
    elif mode == "slowloris":
        r = asyncio.run(many("slowloris", a[0], a[1].split(","), int(a[2]), float(a[3]), a[4], a[5]))
    elif mode == "abuse":
        r = abuse(a[0], a[1], a[2], int(a[3]))
    elif mode == "flood":
        r = asyncio.run(flood(a[0], a[1], int(a[2]), float(a[3])))
    elif mode == "report":
        report(a[0], a[1], a[2] if len(a) > 2 else "")
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(r))


if __name__ == "__main__":
    main()

"""The TLS client side the lab's Python clients share (scripts/bench_tools.py, scripts/soak_clients.py)."""
import ssl


def context(cafile):
    """A client context that verifies against cafile and offers only HTTP/1.1 in ALPN: the clients
    speak HTTP/1.1 (h2 is measured with h2load)."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx

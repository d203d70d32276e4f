#pragma once
// The relay through user space: bytes move client -> upstream and back, one
// bounded buffer per direction that holds data (borrowed from a per-thread
// pool only while bytes are in flight, so idle flows hold none). Reading one
// side waits while writing the other: backpressure. A close_notify or EOF one
// way is passed on as (close_notify +) TCP half-close; the other way goes on.
// Runs over TLS streams (an intercepted flow) or plain sockets (an HTTP port
// whose requests are decided one by one).
//
// With a request gate, the client's bytes go through it before they move: a
// request head waits for its decision, the gate's own answers reach the client
// between the server's frames, and a refused HTTP/1 request ends the relay
// with the gate's reply written to the client last. With a response scanner,
// the server's bytes wait for it (see server_scanner.hpp), and its own frames for the
// server go out from the client direction, between the client's frames; with a request
// scanner, the client's bytes after the gate wait for it (request_scanner.hpp).
#include <functional>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/flow/relay/plain_stream.hpp"
#include "gateway/flow/relay/relay.hpp"
#include "gateway/http/request_gate.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/tls/tls_stream.hpp"

namespace tlsgate {

struct FlowWatch;
class RequestScanner;
class ServerScanner;

// What a gated relay shares with its two directions. Single thread.
struct GateLink {
  GateLink(http::RequestGate& g, std::function<void(const std::string&)> on_parse_failure)
      : gate(g), parse_failed(std::move(on_parse_failure)) {}
  http::RequestGate& gate;
  std::function<void(const std::string&)> parse_failed;  // the gate's error, once
  std::string closing_reply;  // the gate ended the connection: written to the client after the relay
  bool closed = false;
  bool wake_server_side = false;  // the gate has bytes of its own for the client
  bool wake_client_side = false;  // the gate holds client bytes that may move now
};

// `scanner`: the server's bytes go through content scanning first (the flow's rule scans);
// it must also be (in front of) the tap, to see the requests. `uploads`: the client's bytes, as
// the gate lets them through, go through content scanning of request bodies before they move.
awaitable<RelayEnd> bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate = nullptr, ServerScanner* scanner = nullptr,
                           RequestScanner* uploads = nullptr);
awaitable<RelayEnd> bridge(PlainStream& client, PlainStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate, ServerScanner* scanner = nullptr,
                           RequestScanner* uploads = nullptr);

}  // namespace tlsgate

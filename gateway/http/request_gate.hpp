#pragma once
// The request gate: sits in an HTTP relay and holds each request head until
// the caller has decided it, so no byte of a request reaches the upstream
// before its head was allowed. Pure: bytes in, bytes out; the decision is the
// caller's (a callback that reads the policy), the framing is the gate's. An
// allowed head may go up with header rules' edits applied (RequestAnswer).
//
// - HTTP/1.x: request bodies are framed (Content-Length, chunked) to find the
//   next head; a blocked request is answered with the caller's page and the
//   connection closes. Responses are framed too, to find the answer to an
//   Upgrade request: the client's bytes after it are held until then (101:
//   what follows is relayed unparsed, or through an h2 gate for h2c; any other
//   answer: parsed as requests).
// - HTTP/2: the client's header blocks are HPACK-decoded; a blocked stream's
//   HEADERS never go upstream, the client gets a response of the gate's own on
//   that stream, put between the server's frames. Once a header block was
//   dropped or edited the gate re-encodes every later client block with an
//   encoder of its own, so the upstream's HPACK state stays right.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/http/exchange.hpp"

namespace tlsgate::http {

// A request head as the client sent it, before any byte of it was forwarded.
struct RequestHead {
  std::string version;                   // "1.0", "1.1", "2"
  std::string method;
  std::string scheme;                    // h2 :scheme; HTTP/1: the gate's scheme
  // Host / :authority as sent (not normalised); nullopt: none (the caller
  // decides what a request without a host gets). Two Host fields: a parse error.
  std::optional<std::string> authority;
  std::string path;                      // request target / :path
  std::uint32_t stream_id = 0;           // h2; 0 for HTTP/1
  std::optional<std::string> upgrade;    // HTTP/1 Upgrade header, h2 :protocol (extended CONNECT)
};

enum class RequestAction {
  forward,      // relay the request
  block,        // answer 403 with `page`, never forward
  misdirected,  // answer 421 Misdirected Request with `page`, never forward
  redirect,     // answer 302 to `location` (`page` as its body), never forward
};

// A change to a forwarded request's header fields (a policy's header rule). `set`: every field
// of that name (compared case-insensitively) is replaced by one with `value`, or one is appended;
// `remove`: every field of that name is dropped (`value` unused). The gate never edits framing
// or hop-by-hop fields (header_edit.hpp: the policy refuses such a rule; a gate skips it).
struct HeaderEdit {
  enum class Kind { set, remove } kind = Kind::set;
  std::string name;
  std::string value;
  bool operator==(const HeaderEdit&) const = default;
};

struct RequestAnswer {
  RequestAction action = RequestAction::forward;
  std::string page;      // text/html body of the gate's response (block, misdirected, redirect)
  std::string location;  // redirect only
  std::vector<HeaderEdit> header_edits{};  // forward only: applied in order before the head moves
};

// Called once per request head, synchronously, before anything of it moves.
using DecideRequest = std::function<RequestAnswer(const RequestHead&)>;

struct GateSettings {
  HttpLimits limits;            // max_header_bytes, max_header_fields bound a held head
  std::string scheme = "https";  // HTTP/1 requests' scheme
  // What follows a request the gate cannot parse (past the caps, malformed,
  // h2 that breaks the framing): false (the
  // default, where a host rule could matter): nothing more is forwarded and the
  // client gets a 403 (HTTP/1) or a GOAWAY (h2), then the connection closes;
  // true: the held bytes and everything after go on unparsed.
  bool relay_unparsed_on_error = false;
  // An HTTP port, whose upstream is opened only for an allowed request: h2
  // holds everything before the first allowed request head, and a refused
  // first request is answered by the gate alone (its own SETTINGS, the answer,
  // GOAWAY) and ends the connection.
  bool first_request_opens_upstream = false;
};

// What a chunk from the client turned into.
struct ClientStep {
  // from_client_borrowing() only: the first `input_prefix` bytes of the chunk given go upstream
  // first, uncopied (then `to_server`). from_client() always leaves it 0.
  std::size_t input_prefix = 0;
  std::string to_server;  // forward upstream now, in order
  // The gate's own bytes for the client: with `close`, written after the relay
  // stopped; otherwise they wait in the gate for take_to_client() / from_server().
  std::string to_client;
  bool close = false;                // end the connection (after to_server and to_client)
  std::optional<std::string> error;  // set once: the parse failure (the flow's inspect_error)
};

// A chunk from the server, passed to the client unchanged: write
// bytes[0, split), then `inject`, then bytes[split, end). `inject` holds the
// gate's own frames for the client (h2 answers to blocked streams), put at a
// frame boundary outside any header block.
struct ServerStep {
  std::size_t split = 0;
  std::string inject;
  // HTTP/1: the server answered an Upgrade request, so client bytes held behind
  // it can move (unparsed after a 101, as requests otherwise): the caller calls
  // from_client() with no bytes, from the client direction, to get them.
  bool resume_client = false;
};

class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // Bytes may be split anywhere. Every request head in them goes through
  // `decide` first. With no bytes: processes what is held behind an answered
  // Upgrade request (see ServerStep::resume_client).
  virtual ClientStep from_client(std::span<const std::uint8_t> bytes) = 0;
  // The same, except that bytes forwarded unchanged from the front of `bytes` may be named by
  // ClientStep::input_prefix instead of copied into to_server (the relay's hot path: a request
  // or body chunk passed whole costs no copy). The caller writes them before `bytes` changes.
  virtual ClientStep from_client_borrowing(std::span<const std::uint8_t> bytes) { return from_client(bytes); }
  virtual ServerStep from_server(std::span<const std::uint8_t> bytes) = 0;
  // The gate's own frames for the client that may go now: the server's bytes so
  // far end on a frame boundary outside a header block; empty otherwise (they
  // then come with a later from_server()).
  virtual std::string take_to_client() = 0;
  // The gate holds bytes of its own for the client (the relay wakes the
  // direction that writes to the client, which then calls take_to_client()).
  virtual bool holds_to_client() const { return false; }
  // HTTP/1: requests were forwarded whose responses have not all come yet. A
  // refusal that ends the connection lets them reach the client first.
  virtual bool awaiting_responses() const { return false; }
  // The version the client speaks: "1.1" (also until the gate knows) or "2".
  virtual std::string_view version() const { return "1.1"; }
};

// HTTP/1.0 and 1.1.
std::unique_ptr<RequestGate> make_http1_request_gate(GateSettings settings, DecideRequest decide);
// HTTP/2 with the client preface first (ALPN h2, or h2c with prior knowledge).
std::unique_ptr<RequestGate> make_h2_request_gate(GateSettings settings, DecideRequest decide);
// Plain-HTTP ports: the client's first bytes pick HTTP/1 or h2 (prior knowledge).
std::unique_ptr<RequestGate> make_cleartext_request_gate(GateSettings settings, DecideRequest decide);

}  // namespace tlsgate::http

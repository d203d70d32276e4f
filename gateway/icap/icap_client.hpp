#pragma once
// The ICAP client of one service on one io_context (one per worker thread, so
// no locks): a bounded pool of persistent connections, the service's OPTIONS
// (fetched at start and again when their Options-TTL ran out), and scan().
//
// A scan sends the preview the server asked for (with `Allow: 204`), and the
// rest of the body only after a 100 Continue; a 204 means clean, and the body
// is never sent twice because the caller keeps it. Network outcomes are
// values: scan() never throws for what a server or the network does.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/icap/icap_options.hpp"
#include "gateway/icap/icap_request.hpp"
#include "gateway/icap/icap_response.hpp"
#include "gateway/icap/scan_verdict.hpp"
#include "gateway/icap/service_uri.hpp"

namespace tlsgate::icap {

struct ClientLimits {
  // Connections of this client (per worker thread). The service's
  // Max-Connections lowers it: divided among the `service_share` clients the
  // process has for the service (one per worker thread), at least one each.
  unsigned max_connections = 4;
  unsigned service_share = 1;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds scan_timeout{30000};  // one whole scan, waiting for a connection included
  std::size_t max_preview_bytes = 64 * 1024;      // caps the Preview the server asks for
  IcapLimits response;                            // bounds of the answers read
};

struct ScanRequest {
  ScanKind kind = ScanKind::respmod;
  // HTTP heads as they went over the wire, each ending in "\r\n\r\n". RESPMOD
  // needs response_head (request_head is optional); REQMOD uses request_head.
  std::string request_head;
  std::string response_head;
  std::string body;  // the whole (decoded) body; may be empty
};

struct ScanResult {
  Verdict verdict;  // clean / infected (threat, the server's page) / error (detail)
  std::chrono::milliseconds elapsed{0};
  unsigned icap_status = 0;         // the final answer's status; 0 when none came
  std::size_t body_bytes_sent = 0;  // body bytes sent to the server, the preview's included
};

struct OptionsResult {
  std::optional<IcapOptions> options;
  std::string error;  // why there are none
};

class IcapClient {
 public:
  IcapClient(asio::any_io_executor executor, ServiceUri service, ClientLimits limits = {});
  ~IcapClient();
  IcapClient(const IcapClient&) = delete;
  IcapClient& operator=(const IcapClient&) = delete;

  // Fetches OPTIONS now (call it at start), bounded by limits.scan_timeout;
  // the next scans use them until their Options-TTL ends. The client must
  // outlive every call.
  awaitable<OptionsResult> refresh_options();
  // The options in use, fetched first if there are none or they expired.
  awaitable<OptionsResult> current_options();

  // Scans one body. Bounded by limits.scan_timeout in all; an error verdict
  // says what failed (cannot connect, timeout, a malformed or unexpected
  // answer, a method the service does not offer). The client must outlive it.
  awaitable<ScanResult> scan(ScanRequest request);

  // Closes the kept-alive connections now (at shutdown; else they close
  // with the client).
  void close_idle_connections();

  const ServiceUri& service() const { return service_; }
  std::size_t connections_opened() const { return connections_opened_; }
  std::size_t options_fetched() const { return options_fetched_; }
  std::size_t idle_connections() const { return idle_.size(); }

 private:
  struct Connection;
  class Lease;
  struct Exchange;

  unsigned capacity() const;
  awaitable<Lease> acquire();
  awaitable<OptionsResult> fetch_options();
  awaitable<Exchange> exchange(Connection& connection, const ScanRequest& request, std::optional<std::size_t> preview);
  awaitable<ScanResult> run_scan(ScanRequest request);
  void release(std::unique_ptr<Connection> connection, bool keep);

  asio::any_io_executor executor_;
  ServiceUri service_;
  ClientLimits limits_;
  std::vector<std::unique_ptr<Connection>> idle_;
  unsigned open_ = 0;              // connections in use or idle
  asio::steady_timer slot_freed_;  // never expires: cancel_one() wakes one waiter for a connection
  std::optional<IcapOptions> options_;
  bool fetching_options_ = false;
  asio::steady_timer options_done_;  // never expires: cancel() wakes the scans waiting for OPTIONS
  std::string options_error_;        // why the last fetch gave none
  std::chrono::steady_clock::time_point options_expiry_{};
  std::size_t connections_opened_ = 0;
  std::size_t options_fetched_ = 0;
};

}  // namespace tlsgate::icap

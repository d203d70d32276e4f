#include "gateway/icap/icap_client.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>

#include "gateway/icap/text.hpp"

namespace tlsgate::icap {

using Clock = std::chrono::steady_clock;

struct IcapClient::Connection {
  explicit Connection(asio::any_io_executor executor) : socket(std::move(executor)) {}
  tcp::socket socket;
  std::string buffer;  // bytes read past the last answer (none, with a well-behaved server)
};

// A connection taken from the pool; back to the pool by give_back(), else
// closed when the lease ends (also when its scan is cancelled).
class IcapClient::Lease {
 public:
  Lease() = default;
  Lease(IcapClient* client, std::unique_ptr<Connection> connection, bool reused)
      : client_(client), connection_(std::move(connection)), reused_(reused) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_) client_->release(std::move(connection_), false);
  }
  void give_back() { client_->release(std::move(connection_), true); }

  Connection* connection() const { return connection_.get(); }
  bool reused() const { return reused_; }
  std::string error;  // why there is no connection

 private:
  IcapClient* client_ = nullptr;
  std::unique_ptr<Connection> connection_;
  bool reused_ = false;
};

// One request/answer on a connection.
struct IcapClient::Exchange {
  std::optional<IcapResponse> answer;  // the final answer
  std::string error;
  bool nothing_received = false;  // the connection failed before any answer byte: a stale one
  std::size_t body_bytes_sent = 0;
};

namespace {

std::string what(const boost::system::error_code& ec) { return ec.message(); }

struct Read {
  std::optional<IcapResponse> answer;
  std::string error;
  bool nothing_received = false;
};

// Reads one answer into `buffer`, keeping bytes past it. The buffer is bounded:
// the parser's limits, plus room for chunk framing.
awaitable<Read> read_answer(tcp::socket& socket, std::string& buffer, IcapLimits limits) {
  const std::size_t max_buffer = limits.max_head_bytes + limits.max_http_head_bytes + 2 * limits.max_body_bytes + 65536;
  std::array<char, 16384> chunk{};
  const bool was_empty = buffer.empty();
  for (;;) {
    auto parsed = parse_icap_response(buffer, limits);
    if (parsed.is_complete()) {
      buffer.erase(0, parsed.consumed);
      co_return Read{std::move(parsed.value), {}, false};
    }
    if (parsed.is_error()) {
      co_return Read{std::nullopt,
                     "a malformed ICAP answer (" + std::string(to_string(parsed.error)) + ": " + parsed.detail + ")",
                     false};
    }
    if (buffer.size() > max_buffer) co_return Read{std::nullopt, "an ICAP answer larger than allowed", false};
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
    if (ec) {
      const bool none = was_empty && buffer.empty();
      co_return Read{
          std::nullopt,
          ec == asio::error::eof ? "the ICAP server closed the connection" : "reading the ICAP answer: " + what(ec),
          none};
    }
    buffer.append(chunk.data(), n);
  }
}

// Writes `head`, then `data` as one chunk, then `end`, without copying the data.
awaitable<boost::system::error_code> write_parts(tcp::socket& socket, std::string_view head, std::string_view data,
                                                 std::string_view end) {
  std::string size_line;
  if (!data.empty()) {
    char text[24];
    const int n = std::snprintf(text, sizeof text, "%zx\r\n", data.size());
    size_line.assign(text, static_cast<std::size_t>(n));
  }
  const std::array<asio::const_buffer, 5> parts{
      asio::buffer(head), asio::buffer(size_line), asio::buffer(data),
      asio::buffer(data.empty() ? std::string_view() : std::string_view("\r\n")), asio::buffer(end)};
  auto [ec, n] = co_await asio::async_write(socket, parts, use_tuple);
  co_return ec;
}

ScanResult failed(std::string detail) {
  ScanResult r;
  r.verdict.outcome = ScanOutcome::error;
  r.verdict.detail = std::move(detail);
  return r;
}

}  // namespace

IcapClient::IcapClient(asio::any_io_executor executor, ServiceUri service, ClientLimits limits)
    : executor_(executor), service_(std::move(service)), limits_(limits), slot_freed_(executor), options_done_(executor) {
  slot_freed_.expires_at(Clock::time_point::max());
  options_done_.expires_at(Clock::time_point::max());
}

IcapClient::~IcapClient() = default;

unsigned IcapClient::capacity() const {
  unsigned n = std::max(1u, limits_.max_connections);
  if (options_ && options_->max_connections)
    n = std::min(n, std::max(1u, *options_->max_connections / std::max(1u, limits_.service_share)));
  return n;
}

void IcapClient::release(std::unique_ptr<Connection> connection, bool keep) {
  if (keep && connection->socket.is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    boost::system::error_code ignored;
    connection->socket.close(ignored);
    --open_;
  }
  slot_freed_.cancel_one();
}

void IcapClient::close_idle_connections() {
  auto idle = std::move(idle_);
  idle_.clear();
  for (auto& connection : idle) release(std::move(connection), false);
}

awaitable<IcapClient::Lease> IcapClient::acquire() {
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      co_return Lease(this, std::move(connection), true);
    }
    if (open_ < capacity()) {
      ++open_;
      auto connection = std::make_unique<Connection>(executor_);
      auto connected = co_await with_timeout(connection->socket.async_connect(to_asio(service_.server), use_tuple),
                                             limits_.connect_timeout);
      if (!connected || std::get<0>(*connected)) {
        --open_;
        slot_freed_.cancel_one();
        Lease none;
        none.error = "cannot connect to the ICAP server " + service_.host_header() + ": " +
                     (connected ? what(std::get<0>(*connected))
                                : "no answer within " + std::to_string(limits_.connect_timeout.count()) + " ms");
        co_return none;
      }
      ++connections_opened_;
      co_return Lease(this, std::move(connection), false);
    }
    // Every connection is busy: wait until one is released (or this scan is cancelled).
    co_await slot_freed_.async_wait(use_tuple);
    if (co_await cancelled()) {
      Lease none;
      none.error = "cancelled while waiting for an ICAP connection";
      co_return none;
    }
  }
}

awaitable<OptionsResult> IcapClient::refresh_options() {
  auto result = co_await with_timeout(fetch_options(), limits_.scan_timeout);
  if (!result) {
    co_return OptionsResult{std::nullopt, "no OPTIONS answer from the ICAP server " + service_.host_header() +
                                              " within " + std::to_string(limits_.scan_timeout.count()) + " ms"};
  }
  co_return std::move(*result);
}

awaitable<OptionsResult> IcapClient::fetch_options() {
  Lease lease = co_await acquire();
  if (!lease.connection()) co_return OptionsResult{std::nullopt, lease.error};
  auto& socket = lease.connection()->socket;
  if (const auto ec = co_await write_parts(socket, build_options(service_), {}, {})) {
    co_return OptionsResult{std::nullopt, "sending OPTIONS: " + what(ec)};
  }
  auto read = co_await read_answer(socket, lease.connection()->buffer, limits_.response);
  if (!read.answer) co_return OptionsResult{std::nullopt, "OPTIONS: " + read.error};
  OptionsResult out;
  out.options = read_options(*read.answer, out.error);
  if (!out.options) co_return out;
  options_ = out.options;
  ++options_fetched_;
  options_expiry_ = options_->ttl ? Clock::now() + *options_->ttl : Clock::time_point::max();
  const auto* connection = read.answer->header("Connection");
  if (!(connection && iequals(*connection, "close")) && lease.connection()->buffer.empty()) lease.give_back();
  co_return out;
}

awaitable<OptionsResult> IcapClient::current_options() {
  if (options_ && Clock::now() < options_expiry_) co_return OptionsResult{options_, {}};
  if (fetching_options_) {
    // Scans that start while OPTIONS are on their way wait for that answer: one OPTIONS
    // exchange, and no connection opened before the service's Max-Connections is known.
    co_await options_done_.async_wait(use_tuple);
    if (co_await cancelled()) co_return OptionsResult{std::nullopt, "cancelled while waiting for the ICAP OPTIONS"};
    if (options_ && Clock::now() < options_expiry_) co_return OptionsResult{options_, {}};
    co_return OptionsResult{std::nullopt, options_error_};
  }
  fetching_options_ = true;
  auto result = co_await refresh_options();
  fetching_options_ = false;
  options_error_ = result.error;
  options_done_.cancel();  // wakes every waiter
  co_return result;
}

awaitable<IcapClient::Exchange> IcapClient::exchange(Connection& connection, const ScanRequest& request,
                                                     std::optional<std::size_t> preview) {
  Exchange out;
  const std::string_view body = request.body;
  const bool has_body = !body.empty();
  if (!has_body) preview.reset();
  const std::string head = build_modification(request.kind, service_,
                                              {request.request_head, request.response_head, has_body}, {preview, true});
  // With a preview, the first part carries at most `preview` bytes; else the whole body.
  const std::size_t first = preview ? std::min(*preview, body.size()) : body.size();
  const bool whole = first == body.size();
  const std::string first_end = !has_body ? std::string() : preview ? preview_end(whole) : body_end();
  if (const auto ec = co_await write_parts(connection.socket, head, body.substr(0, first), first_end)) {
    out.error = "sending " + std::string(to_string(request.kind)) + ": " + what(ec);
    out.nothing_received = true;
    co_return out;
  }
  out.body_bytes_sent = first;
  auto read = co_await read_answer(connection.socket, connection.buffer, limits_.response);
  if (read.answer && read.answer->status == 100) {
    if (!preview || whole) {
      out.error = "the ICAP server asked to continue after the whole body";
      co_return out;
    }
    if (const auto ec = co_await write_parts(connection.socket, {}, body.substr(first), body_end())) {
      out.error = "sending the rest of the body: " + what(ec);
      co_return out;
    }
    out.body_bytes_sent = body.size();
    read = co_await read_answer(connection.socket, connection.buffer, limits_.response);
  }
  out.answer = std::move(read.answer);
  out.error = std::move(read.error);
  out.nothing_received = read.nothing_received && out.body_bytes_sent == first;
  co_return out;
}

awaitable<ScanResult> IcapClient::run_scan(ScanRequest request) {
  const auto options = co_await current_options();
  if (!options.options) co_return failed(options.error);
  const std::string_view method = to_string(request.kind);
  if (!options.options->supports(method)) {
    co_return failed("the ICAP service " + service_.uri() + " does not offer " + std::string(method));
  }
  std::optional<std::size_t> preview = options.options->preview;
  if (preview) preview = std::min(*preview, limits_.max_preview_bytes);
  // A kept-alive connection the server has closed since fails before any answer
  // byte: the scan is repeated once, on a new connection.
  for (int attempt = 0;; ++attempt) {
    Lease lease = co_await acquire();
    if (!lease.connection()) co_return failed(lease.error);
    auto done = co_await exchange(*lease.connection(), request, preview);
    if (!done.answer && done.nothing_received && lease.reused() && attempt == 0) continue;
    if (!done.answer) co_return failed(done.error);
    ScanResult result;
    result.verdict = verdict_from(*done.answer);
    result.icap_status = done.answer->status;
    result.body_bytes_sent = done.body_bytes_sent;
    const auto* connection = done.answer->header("Connection");
    if (!(connection && iequals(*connection, "close")) && lease.connection()->buffer.empty()) lease.give_back();
    co_return result;
  }
}

awaitable<ScanResult> IcapClient::scan(ScanRequest request) {
  const auto start = Clock::now();
  auto result = co_await with_timeout(run_scan(std::move(request)), limits_.scan_timeout);
  if (!result) {
    result = failed("no verdict from the ICAP server " + service_.host_header() + " within " +
                    std::to_string(limits_.scan_timeout.count()) + " ms");
  }
  result->elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  co_return std::move(*result);
}

}  // namespace tlsgate::icap

// HTTP/1.x observer (RFC 9112) on Boost.Beast's incremental basic_parser: one parser per direction,
// recreated for each message (keep-alive, pipelining). Bodies are counted, never stored.
#include <algorithm>
#include <memory>
#include <vector>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <optional>

#include "gateway/http/exchange_builder.hpp"
#include "gateway/http/observer.hpp"

namespace tlsgate::http {

namespace {

namespace bhttp = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

// Requests parked for their responses before the observer gives up (bounds pipelining memory).
constexpr std::size_t max_pending_requests = 64;
// Room past the head limit for a chunk-size line or a parked post-Upgrade burst.
constexpr std::size_t buffer_slack_bytes = 4096;

struct Pending {
  std::uint64_t seq = 0;
  HttpExchange exchange;
  BodyRecorder request_body, response_body;
  Clock::time_point start{};
  bool head = false;       // HEAD: the response has no body
  bool websocket = false;  // Upgrade: websocket
  bool response_started = false;
};

// Case-insensitive search for a lowercase token.
bool contains_token(std::string_view value, std::string_view token) {
  if (value.size() < token.size()) return false;
  for (std::size_t i = 0; i + token.size() <= value.size(); ++i) {
    bool same = true;
    for (std::size_t k = 0; same && k < token.size(); ++k) {
      same = (value[i + k] | 0x20) == token[k];
    }
    if (same) return true;
  }
  return false;
}

class Http1Observer;

// Forwards Beast's callbacks to the observer; IsRequest picks the direction.
template <bool IsRequest>
class Parser final : public bhttp::basic_parser<IsRequest> {
 public:
  explicit Parser(Http1Observer& owner, std::size_t max_header_bytes) : owner_(owner) {
    this->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header_bytes, UINT32_MAX)));
    this->body_limit(boost::none);  // bodies are only counted
    this->eager(true);
  }

 private:
  void on_request_impl(bhttp::verb method, string_view method_str, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(bhttp::field, string_view name, string_view value, error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  Http1Observer& owner_;
};

class Http1Observer final : public Observer {
 public:
  Http1Observer(HttpLimits limits, std::string scheme) : limits_(limits), scheme_(std::move(scheme)) {}

  void on_client_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) override {
    if (failed() || closed_) return;
    if (tunnel_) {
      websocket_bytes_ += bytes.size();
      return;
    }
    now_ = now;
    feed_client(bytes);
  }

  void on_server_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) override {
    if (failed() || closed_) return;
    if (tunnel_) {
      websocket_bytes_ += bytes.size();
      return;
    }
    now_ = now;
    feed_server(bytes);
  }

  void on_close(Clock::time_point now) override;

  // Callbacks from the parsers.
  void request_line(bhttp::verb method, string_view method_str, string_view target, int version,
                    error_code& ec);
  void request_field(bhttp::field field, string_view name, string_view value);
  void request_body(string_view body) {
    if (Pending* p = request_target()) p->request_body.add(body, limits_.body_capture_bytes);
  }
  void status_line(int code, int version);
  void response_field(string_view name, string_view value);
  void response_body(string_view body) {
    if (!pending_.empty()) pending_.front()->response_body.add(body, limits_.body_capture_bytes);
  }

 private:
  using Bytes = std::span<const std::uint8_t>;

  Pending* request_target() {
    if (!request_seq_ || pending_.empty() || *request_seq_ < pending_.front()->seq) return nullptr;
    const std::size_t index = *request_seq_ - pending_.front()->seq;
    return index < pending_.size() ? pending_[index].get() : nullptr;
  }

  void feed_client(Bytes bytes);
  void feed_server(Bytes bytes);
  // Runs `parser` over the direction's parked bytes plus `input`; parks what it could not use.
  template <bool IsRequest, class OnDone>
  void drive(std::optional<Parser<IsRequest>>& parser, std::string& parked, Bytes input, const char* side,
             OnDone on_done);
  // A message ended; false when parsing must stop (Upgrade pending, or a 101 switched protocols).
  bool request_done(bool upgrade);
  bool response_done();
  void finish_front(std::optional<std::string> error);
  void enter_tunnel(std::size_t server_bytes_left);

  HttpLimits limits_;
  std::string scheme_;
  Clock::time_point now_{};
  std::optional<Parser<true>> request_parser_;
  std::optional<Parser<false>> response_parser_;
  std::string client_parked_, server_parked_;  // unparsed bytes: an incomplete head or chunk line
  // Oldest first. Each request on the heap and the list a vector: an idle keep-alive
  // connection holds no Pending (std::deque would keep a map and a node, ~1 KiB).
  std::vector<std::unique_ptr<Pending>> pending_;
  std::uint64_t next_seq_ = 0;
  std::optional<std::uint64_t> request_seq_;  // request being parsed (its exchange may be done)
  std::optional<std::uint64_t> upgrade_seq_;  // client parsing paused behind this Upgrade request
  Clock::time_point request_start_{}, response_start_{};
  bool interim_ = false;  // parsing a 1xx other than 101
  bool tunnel_ = false;   // after a 101: bytes are only counted
  bool closed_ = false;
};

template <bool IsRequest>
void Parser<IsRequest>::on_request_impl(bhttp::verb method, string_view method_str, string_view target,
                                        int version, error_code& ec) {
  owner_.request_line(method, method_str, target, version, ec);
}
template <bool IsRequest>
void Parser<IsRequest>::on_response_impl(int code, string_view, int version, error_code&) {
  owner_.status_line(code, version);
}
template <bool IsRequest>
void Parser<IsRequest>::on_field_impl(bhttp::field field, string_view name, string_view value, error_code&) {
  if constexpr (IsRequest) {
    owner_.request_field(field, name, value);
  } else {
    owner_.response_field(name, value);
  }
}
template <bool IsRequest>
std::size_t Parser<IsRequest>::on_body_impl(string_view body, error_code&) {
  if constexpr (IsRequest) {
    owner_.request_body(body);
  } else {
    owner_.response_body(body);
  }
  return body.size();
}

std::string version_text(int version) {
  return std::to_string(version / 10) + "." + std::to_string(version % 10);
}

void Http1Observer::request_line(bhttp::verb method, string_view method_str, string_view target, int version,
                                 error_code& ec) {
  if (pending_.size() >= max_pending_requests) {
    fail("http1: more than " + std::to_string(max_pending_requests) + " requests without a response");
    ec = bhttp::error::bad_method;  // stops the parser; the failure text above is kept
    return;
  }
  Pending& p = *pending_.emplace_back(std::make_unique<Pending>());
  p.seq = next_seq_++;
  request_seq_ = p.seq;
  p.start = request_start_;
  p.head = method == bhttp::verb::head;
  p.exchange.http_version = version_text(version);
  p.exchange.method = json_safe(method_str);
  p.exchange.path = json_safe(target);
  p.exchange.scheme = scheme_;
}

void Http1Observer::request_field(bhttp::field field, string_view name, string_view value) {
  Pending* p = request_target();
  if (p == nullptr) return;
  if (field == bhttp::field::host && p->exchange.authority.empty()) p->exchange.authority = json_safe(value);
  if (field == bhttp::field::upgrade) p->websocket = contains_token(value, "websocket");
  HttpExchange& e = p->exchange;
  if (auto error = add_header(e.request_headers, e.header_bytes, e.request_content_type, name, value, limits_))
    fail("http1 request: " + *error);
}

void Http1Observer::status_line(int code, int version) {
  if (pending_.empty()) {  // a response nobody asked for (e.g. 408 on an idle connection)
    Pending& p = *pending_.emplace_back(std::make_unique<Pending>());
    p.seq = next_seq_++;
    p.start = response_start_;
    p.exchange.http_version = version_text(version);
    p.exchange.scheme = scheme_;
  }
  Pending& p = *pending_.front();
  if (!p.response_started) p.exchange.ms_to_first_byte = ms_between(p.start, response_start_);
  p.response_started = true;
  interim_ = code >= 100 && code < 200 && code != 101;
  if (!interim_) p.exchange.status = code;
}

void Http1Observer::response_field(string_view name, string_view value) {
  if (interim_ || pending_.empty()) return;
  HttpExchange& e = pending_.front()->exchange;
  if (auto error = add_header(e.response_headers, e.header_bytes, e.response_content_type, name, value, limits_))
    fail("http1 response: " + *error);
}

template <bool IsRequest, class OnDone>
void Http1Observer::drive(std::optional<Parser<IsRequest>>& parser, std::string& parked, Bytes input,
                          const char* side, OnDone on_done) {
  // Parse straight from the caller's bytes; copy only what a parser could not use yet.
  std::string_view data(reinterpret_cast<const char*>(input.data()), input.size());
  const bool from_parked = !parked.empty();
  if (from_parked) {
    parked.append(data);
    data = parked;
  }
  std::size_t used = 0;
  bool go_on = true;
  while (go_on && used < data.size() && !failed()) {
    if (!parser) {
      parser.emplace(*this, limits_.max_header_bytes);
      (IsRequest ? request_start_ : response_start_) = now_;
      if constexpr (!IsRequest) {
        if (!pending_.empty() && pending_.front()->head) parser->skip(true);
      }
    }
    error_code ec;
    const std::size_t n = parser->put(boost::asio::const_buffer(data.data() + used, data.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      const bool too_big = ec == bhttp::error::header_limit;
      fail(too_big ? std::string("http1 ") + side + " head exceeds max_header_bytes (" +
                         std::to_string(limits_.max_header_bytes) + ")"
                   : std::string("http1 ") + side + ": " + ec.message());
      return;
    }
    if (parser->is_done()) {
      go_on = on_done(*parser, data.size() - used);
      parser.reset();
    } else if (n == 0) {
      break;
    }
  }
  if (failed()) return;
  if (tunnel_) {  // enter_tunnel() counted what was left
    parked.clear();
    parked.shrink_to_fit();
    return;
  }
  if (from_parked) {
    parked.erase(0, used);
  } else {
    parked.assign(data.substr(used));
  }
  if (parked.size() > limits_.max_header_bytes + buffer_slack_bytes) {
    fail(std::string("http1 ") + side + ": over " + std::to_string(parked.size()) +
         " bytes without a message boundary");
  }
}

void Http1Observer::feed_client(Bytes bytes) {
  if (upgrade_seq_) {  // wait for the response to the Upgrade request before parsing on
    client_parked_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (client_parked_.size() > limits_.max_header_bytes + buffer_slack_bytes) {
      fail("http1 request: too many bytes after an Upgrade request without a response");
    }
    return;
  }
  drive(request_parser_, client_parked_, bytes, "request",
        [this](Parser<true>& parser, std::size_t) { return request_done(parser.upgrade()); });
}

void Http1Observer::feed_server(Bytes bytes) {
  drive(response_parser_, server_parked_, bytes, "response", [this](Parser<false>&, std::size_t left) {
    if (!response_done()) {
      enter_tunnel(left);
      return false;
    }
    return true;
  });
}

bool Http1Observer::request_done(bool upgrade) {
  Pending* p = request_target();
  if (p != nullptr && upgrade) upgrade_seq_ = p->seq;
  request_seq_.reset();
  return !upgrade_seq_;
}

bool Http1Observer::response_done() {
  if (interim_) return true;  // the final response follows for the same request
  const bool switching = pending_.front()->exchange.status == 101;
  const bool websocket = pending_.front()->websocket;
  const std::uint64_t seq = pending_.front()->seq;
  finish_front(std::nullopt);
  if (switching) {
    websocket_ = websocket;
    return false;
  }
  if (upgrade_seq_ == seq) {  // upgrade refused: the parked client bytes are HTTP again
    upgrade_seq_.reset();
    drive(request_parser_, client_parked_, {}, "request",
          [this](Parser<true>& parser, std::size_t) { return request_done(parser.upgrade()); });
  }
  return true;
}

void Http1Observer::finish_front(std::optional<std::string> error) {
  Pending& p = *pending_.front();
  // A request body may still be streaming (early response): it is recorded as far as it came.
  p.exchange.request_body_bytes = p.request_body.bytes;
  p.exchange.request_body_b64 = p.request_body.capture(limits_.body_capture_bytes);
  p.exchange.response_body_bytes = p.response_body.bytes;
  p.exchange.response_body_b64 = p.response_body.capture(limits_.body_capture_bytes);
  if (!error) p.exchange.ms_to_end = ms_between(p.start, now_);
  p.exchange.error = std::move(error);
  complete(std::move(p.exchange));
  pending_.erase(pending_.begin());  // at most max_pending_requests pointers move
}

void Http1Observer::enter_tunnel(std::size_t server_bytes_left) {
  tunnel_ = true;
  websocket_bytes_ += server_bytes_left + client_parked_.size();
  client_parked_.clear();
  client_parked_.shrink_to_fit();
  request_parser_.reset();
  upgrade_seq_.reset();
}

void Http1Observer::on_close(Clock::time_point now) {
  if (failed() || closed_) return;
  closed_ = true;
  now_ = now;
  if (tunnel_) return;
  if (response_parser_ && !pending_.empty()) {  // a body that ends with the connection
    error_code ec;
    response_parser_->put_eof(ec);
    if (!ec && response_parser_->is_done() && !interim_) finish_front(std::nullopt);
  }
  while (!pending_.empty()) {
    finish_front(pending_.front()->response_started ? "connection closed before response end"
                                                   : "connection closed before response");
  }
}

}  // namespace

std::unique_ptr<Observer> make_http1_observer(HttpLimits limits, std::string scheme) {
  return std::make_unique<Http1Observer>(limits, std::move(scheme));
}

}  // namespace tlsgate::http

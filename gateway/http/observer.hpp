#pragma once
// Passive HTTP observers: the relay hands them the decrypted bytes of each direction; they
// never change or delay those bytes. They produce one HttpExchange per finished
// request/response pair. A parse failure stops observing (failed()); the relay goes on.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/http/exchange.hpp"

namespace tlsgate::http {

class Observer {
 public:
  virtual ~Observer() = default;
  // Bytes may be split anywhere. After failure() the calls are ignored.
  virtual void on_client_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) = 0;
  virtual void on_server_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) = 0;
  // The connection ended: finishes close-delimited bodies, and open exchanges with an error.
  virtual void on_close(Clock::time_point now) = 0;

  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }  // parse failure text (flow inspect_error)
  std::vector<HttpExchange> take_exchanges();  // completed since the last call; the caller logs them
  std::uint64_t exchange_count() const { return exchange_count_; }    // total completed
  bool websocket() const { return websocket_; }                       // 101 Upgrade: websocket seen
  std::uint64_t websocket_bytes() const { return websocket_bytes_; }  // after the 101, both ways

 protected:
  void fail(std::string text);
  void complete(HttpExchange&& exchange);
  // For observers that delegate to another (the cleartext detector).
  void adopt_state(Observer& inner);

  std::string failure_;
  std::vector<HttpExchange> exchanges_;
  std::uint64_t exchange_count_ = 0;
  bool websocket_ = false;
  std::uint64_t websocket_bytes_ = 0;
};

// HTTP/1.0 and 1.1 (Boost.Beast's parser): keep-alive, pipelining, chunked, 1xx, HEAD, close-
// delimited responses; after a 101 the bytes are only counted.
std::unique_ptr<Observer> make_http1_observer(HttpLimits limits, std::string scheme);
// HTTP/2 (RFC 9113) with prior knowledge: the client side starts with the connection preface.
std::unique_ptr<Observer> make_h2_observer(HttpLimits limits, std::string scheme);
// For plain-HTTP ports: the client's first bytes decide (h2c preface -> h2, else HTTP/1);
// scheme "http".
std::unique_ptr<Observer> make_cleartext_observer(HttpLimits limits);

}  // namespace tlsgate::http

#include "gateway/http/observer.hpp"

#include <algorithm>

namespace tlsgate::http {

std::vector<HttpExchange> Observer::take_exchanges() {
  std::vector<HttpExchange> out;
  out.swap(exchanges_);
  return out;
}

void Observer::fail(std::string text) {
  if (failure_.empty()) failure_ = text.empty() ? "parse error" : std::move(text);
}

void Observer::complete(HttpExchange&& exchange) {
  exchanges_.push_back(std::move(exchange));
  ++exchange_count_;
}

void Observer::adopt_state(Observer& inner) {
  if (failure_.empty()) failure_ = inner.failure_;
  for (auto& e : inner.exchanges_) exchanges_.push_back(std::move(e));
  inner.exchanges_.clear();
  exchange_count_ = inner.exchange_count_;
  websocket_ = inner.websocket_;
  websocket_bytes_ = inner.websocket_bytes_;
}

}  // namespace tlsgate::http

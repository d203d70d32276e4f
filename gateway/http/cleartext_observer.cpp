// Plain-HTTP ports carry HTTP/1 or prior-knowledge h2c (RFC 9113 §3.3): the client's first 24
// bytes tell which. Until then the few early bytes are held, then replayed into the real observer.
#include <algorithm>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/observer.hpp"

namespace tlsgate::http {

namespace {

class CleartextObserver final : public Observer {
 public:
  explicit CleartextObserver(HttpLimits limits) : limits_(limits) {}

  void on_client_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) override {
    if (inner_) return forward([&] { inner_->on_client_bytes(bytes, now); });
    client_early_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::size_t n = std::min(client_early_.size(), h2::client_preface.size());
    const bool h2c = h2::client_preface.starts_with(std::string_view(client_early_).substr(0, n));
    if (!h2c || n == h2::client_preface.size()) decide(h2c, now);
  }

  void on_server_bytes(std::span<const std::uint8_t> bytes, Clock::time_point now) override {
    if (inner_) return forward([&] { inner_->on_server_bytes(bytes, now); });
    server_early_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // A server speaking first (an error page, a banner) is no h2c server: HTTP/1 it is.
    if (server_early_.size() > limits_.max_header_bytes) decide(false, now);
  }

  void on_close(Clock::time_point now) override {
    if (!inner_) decide(false, now);
    forward([&] { inner_->on_close(now); });
  }

 private:
  template <class Call>
  void forward(Call call) {
    call();
    adopt_state(*inner_);
  }

  void decide(bool h2c, Clock::time_point now) {
    inner_ = h2c ? make_h2_observer(limits_, "http") : make_http1_observer(limits_, "http");
    const auto replay = [](const std::string& s) {
      return std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    forward([&] {
      inner_->on_client_bytes(replay(client_early_), now);
      inner_->on_server_bytes(replay(server_early_), now);
    });
    client_early_ = {};
    server_early_ = {};
  }

  HttpLimits limits_;
  std::unique_ptr<Observer> inner_;
  std::string client_early_, server_early_;  // bytes seen before the decision
};

}  // namespace

std::unique_ptr<Observer> make_cleartext_observer(HttpLimits limits) {
  return std::make_unique<CleartextObserver>(limits);
}

}  // namespace tlsgate::http

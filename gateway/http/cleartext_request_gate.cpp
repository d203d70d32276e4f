// Plain-HTTP ports carry HTTP/1 or prior-knowledge h2c (RFC 9113 §3.3): the client's first
// bytes tell which. While they are still a prefix of the h2 client preface they are held;
// then they go to the gate of that protocol.
#include <algorithm>
#include <string_view>
#include <utility>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {

namespace {

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class CleartextRequestGate final : public RequestGate {
 public:
  CleartextRequestGate(GateSettings settings, DecideRequest decide)
      : settings_(std::move(settings)), decide_(std::move(decide)) {}

  ClientStep from_client(std::span<const std::uint8_t> bytes) override {
    if (inner_ && client_early_.empty()) return inner_->from_client(bytes);
    client_early_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!inner_) {
      const std::size_t n = std::min(client_early_.size(), h2::client_preface.size());
      const bool h2c = h2::client_preface.starts_with(std::string_view(client_early_).substr(0, n));
      if (h2c && n < h2::client_preface.size()) return {};  // still a prefix of the preface
      choose(h2c);
    }
    const std::string early = std::exchange(client_early_, {});
    return inner_->from_client(as_bytes(early));
  }

  ClientStep from_client_borrowing(std::span<const std::uint8_t> bytes) override {
    if (inner_ && client_early_.empty()) return inner_->from_client_borrowing(bytes);
    return from_client(bytes);  // the early bytes are the gate's copy: nothing to borrow
  }

  ServerStep from_server(std::span<const std::uint8_t> bytes) override {
    if (inner_) return inner_->from_server(bytes);
    ServerStep step;
    step.split = bytes.size();
    // A server that speaks first (an error page, a banner) is no h2c server: HTTP/1 it is.
    // Its bytes were relayed already; the gate only frames them.
    server_early_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (server_early_.size() > settings_.limits.max_header_bytes) {
      choose(false);
      step.resume_client = !client_early_.empty();  // from_client({}) hands them over
    }
    return step;
  }

  std::string take_to_client() override { return inner_ ? inner_->take_to_client() : std::string(); }
  bool holds_to_client() const override { return inner_ && inner_->holds_to_client(); }
  bool awaiting_responses() const override { return inner_ && inner_->awaiting_responses(); }
  std::string_view version() const override { return inner_ ? inner_->version() : "1.1"; }

 private:
  // Makes the gate; the server bytes seen before are framed by it (they were relayed).
  void choose(bool h2c) {
    inner_ = h2c ? make_h2_request_gate(settings_, decide_) : make_http1_request_gate(settings_, decide_);
    if (!server_early_.empty()) inner_->from_server(as_bytes(server_early_));
    server_early_ = {};
  }

  GateSettings settings_;
  DecideRequest decide_;
  std::unique_ptr<RequestGate> inner_;
  std::string client_early_, server_early_;  // bytes seen before the choice
};

}  // namespace

std::unique_ptr<RequestGate> make_cleartext_request_gate(GateSettings settings, DecideRequest decide) {
  return std::make_unique<CleartextRequestGate>(std::move(settings), std::move(decide));
}

}  // namespace tlsgate::http

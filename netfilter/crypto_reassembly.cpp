#include "netfilter/crypto_reassembly.hpp"

namespace tlsgate::netfilter {
namespace {

constexpr std::size_t handshake_header_bytes = 4;  // msg_type + uint24 length (RFC 8446 4)

}  // namespace

CryptoReassembly::CryptoReassembly(std::size_t max_bytes) : max_bytes_(max_bytes) {}

CryptoReassembly::State CryptoReassembly::add(const CryptoFrame& frame) {
  if (state_ != State::incomplete) return state_;
  if (frame.data.empty()) return state_;
  if (frame.offset >= max_bytes_ || frame.data.size() > max_bytes_ - frame.offset) {
    state_ = State::too_large;
    return state_;
  }
  const auto offset = static_cast<std::size_t>(frame.offset);
  const std::size_t end = offset + frame.data.size();
  if (end > data_.size()) {
    data_.resize(end);
    have_.resize(end, false);
  }
  for (std::size_t i = offset; i < end; ++i) {
    if (have_[i]) continue;  // keep the first copy of retransmitted or overlapping bytes
    data_[i] = frame.data[i - offset];
    have_[i] = true;
  }
  while (contiguous_ < have_.size() && have_[contiguous_]) ++contiguous_;
  update_state();
  return state_;
}

void CryptoReassembly::update_state() {
  if (contiguous_ < handshake_header_bytes) return;
  const std::size_t body = (std::size_t{data_[1]} << 16) | (std::size_t{data_[2]} << 8) | data_[3];
  const std::size_t message = handshake_header_bytes + body;
  if (message > max_bytes_) {
    state_ = State::too_large;
  } else if (contiguous_ >= message) {
    state_ = State::complete;
  }
}

std::span<const std::uint8_t> CryptoReassembly::client_hello() const {
  if (state_ != State::complete) return {};
  const std::size_t body = (std::size_t{data_[1]} << 16) | (std::size_t{data_[2]} << 8) | data_[3];
  return std::span<const std::uint8_t>(data_).first(handshake_header_bytes + body);
}

}  // namespace tlsgate::netfilter

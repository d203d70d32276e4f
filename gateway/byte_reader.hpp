#pragma once
// The one bounds-checked, big-endian byte reader of the wire parsers (TLS
// ClientHello, QUIC Initial, IP/UDP). Every read returns false instead of
// running past the end and then leaves the position where it was, so a parser
// maps "false" to its own "need more" or "malformed".
#include <cstddef>
#include <cstdint>
#include <span>

namespace tlsgate {

class ByteReader {
 public:
  using Bytes = std::span<const std::uint8_t>;

  explicit ByteReader(Bytes data) : data_(data) {}

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

  bool u8(std::uint8_t& out) { return be(1, out); }
  bool u16(std::uint16_t& out) { return be(2, out); }
  bool u24(std::uint32_t& out) { return be(3, out); }
  bool u32(std::uint32_t& out) { return be(4, out); }

  // The next `n` bytes, without copying.
  bool bytes(std::size_t n, Bytes& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    Bytes ignored;
    return bytes(n, ignored);
  }
  // A vector with a 1- or 2-byte length prefix (RFC 8446 3.4).
  bool vec8(Bytes& out) { return prefixed<std::uint8_t>(out); }
  bool vec16(Bytes& out) { return prefixed<std::uint16_t>(out); }
  // A QUIC variable-length integer (RFC 9000 16).
  bool varint(std::uint64_t& out) {
    if (empty()) return false;
    const std::size_t n = std::size_t{1} << (data_[pos_] >> 6);
    if (remaining() < n) return false;
    out = data_[pos_] & 0x3f;
    for (std::size_t i = 1; i < n; ++i) out = (out << 8) | data_[pos_ + i];
    pos_ += n;
    return true;
  }

 private:
  template <class T>
  bool be(std::size_t n, T& out) {
    if (remaining() < n) return false;
    T value = 0;
    for (std::size_t i = 0; i < n; ++i) value = static_cast<T>((value << 8) | data_[pos_ + i]);
    out = value;
    pos_ += n;
    return true;
  }
  template <class Length>
  bool prefixed(Bytes& out) {
    const std::size_t start = pos_;
    Length n = 0;
    if (be(sizeof(Length), n) && bytes(n, out)) return true;
    pos_ = start;
    return false;
  }

  Bytes data_;
  std::size_t pos_ = 0;
};

}  // namespace tlsgate

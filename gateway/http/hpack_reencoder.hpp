#pragma once
// An HPACK encoder of the gateway's own (nghttp2 deflater, RFC 7541) for header
// blocks it forwards after it dropped or changed one: the upstream's decoder
// table then no longer matches the client's encoder, so the gateway encodes
// from then on.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace tlsgate::http {

struct HeaderField {
  std::string name, value;
  bool never_index = false;  // the client sent it as never-indexed (RFC 7541 §6.2.3): keep it so
  friend bool operator==(const HeaderField&, const HeaderField&) = default;
};

class HpackReencoder {
 public:
  // The table the gateway's encoder uses at most; a decoder always allows it (RFC 7541 §4.2).
  static constexpr std::uint32_t max_table_bytes = 4096;

  // `peer_table_bytes`: the upstream's SETTINGS_HEADER_TABLE_SIZE. The first block starts with
  // dynamic table size updates to 0, then to the size used, so the upstream's decoder empties the
  // entries the client's encoder left there (RFC 7541 §6.3). Throws std::bad_alloc.
  explicit HpackReencoder(std::uint32_t peer_table_bytes);

  // The upstream changed SETTINGS_HEADER_TABLE_SIZE: the next block announces the new size.
  void set_peer_table_bytes(std::uint32_t bytes);

  // Appends the encoded block to `out`; false when nghttp2 refuses (out of memory, too large).
  bool encode(std::span<const HeaderField> fields, std::string& out);

 private:
  struct Deleter {
    void operator()(nghttp2_hd_deflater* p) const { nghttp2_hd_deflate_del(p); }
  };
  std::unique_ptr<nghttp2_hd_deflater, Deleter> deflater_;
};

}  // namespace tlsgate::http

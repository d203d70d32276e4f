#pragma once
// What content scanning needs from HTTP/2 header blocks (RFC 9113 §8.3, RFC 7541): an HPACK
// decoder for one direction, and the HTTP/1.1 heads an ICAP RESPMOD request encapsulates
// (ICAP speaks HTTP/1). Pure.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tlsgate::http::h2 {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// One direction's HPACK decoder state: every header block of that direction goes through it,
// in order, or the state is lost.
class BlockDecoder {
 public:
  BlockDecoder();
  // A complete header block. nullopt: it does not decode, or its fields (RFC 7541 §4.1 sizes)
  // pass `max_bytes`; the decoder state is then unusable.
  std::optional<HeaderFields> decode(std::span<const std::uint8_t> block, std::size_t max_bytes);
  // The peer's SETTINGS_HEADER_TABLE_SIZE for this direction's encoder (capped at 64 KiB).
  void allow_table(std::uint32_t bytes);

 private:
  struct Deleter {
    void operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }
  };
  std::unique_ptr<nghttp2_hd_inflater, Deleter> inflater_;
  std::uint32_t table_bytes_ = 4096;
};

struct RequestFacts {
  std::string head;      // "GET /path HTTP/1.1\r\nHost: authority\r\n\r\n"; "" when a field is unusable
  bool connect = false;  // CONNECT (a tunnel, extended CONNECT included): its DATA is no body
};
RequestFacts request_facts(const HeaderFields& fields);

struct ResponseFacts {
  int status = 0;                               // 0: no valid :status
  std::optional<std::uint64_t> content_length;  // a valid content-length
  std::string content_type;                     // "" when none
  std::string head;  // "HTTP/1.1 200 \r\n" and the regular fields that are safe in an HTTP/1 head
};
ResponseFacts response_facts(const HeaderFields& fields);

}  // namespace tlsgate::http::h2

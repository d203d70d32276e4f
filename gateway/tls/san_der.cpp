#include "gateway/tls/san_der.hpp"

namespace tlsgate::tls {
namespace {

constexpr std::uint8_t sequence_tag = 0x30;
constexpr std::uint8_t context_class = 0x80;
constexpr std::uint8_t class_mask = 0xc0;
constexpr std::uint8_t tag_number_mask = 0x1f;  // 0x1f itself: a multi-byte tag, never a GeneralName

// A DER TLV at the front of `in`: its tag byte and content; `in` moves past it.
struct Tlv {
  std::uint8_t tag = 0;
  std::span<const std::uint8_t> content;
};

std::optional<Tlv> next_tlv(std::span<const std::uint8_t>& in) {
  if (in.size() < 2) return std::nullopt;
  const std::uint8_t tag = in[0];
  std::size_t length = in[1];
  std::size_t header = 2;
  if (length & 0x80) {
    const std::size_t octets = length & 0x7f;
    if (octets == 0 || octets > 4 || in.size() < 2 + octets) return std::nullopt;  // indefinite: not DER
    length = 0;
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | in[2 + i];
    header += octets;
  }
  if (in.size() - header < length) return std::nullopt;
  Tlv tlv{tag, in.subspan(header, length)};
  in = in.subspan(header + length);
  return tlv;
}

}  // namespace

std::optional<std::size_t> walk_san_der(std::span<const std::uint8_t> der,
                                        const std::function<void(const SanEntry&)>& visit) {
  const auto outer = next_tlv(der);
  if (!outer || outer->tag != sequence_tag || !der.empty()) return std::nullopt;
  std::span<const std::uint8_t> rest = outer->content;
  std::size_t count = 0;
  while (!rest.empty()) {
    const auto entry = next_tlv(rest);
    if (!entry || (entry->tag & class_mask) != context_class || (entry->tag & tag_number_mask) == tag_number_mask)
      return std::nullopt;
    ++count;
    if (visit) visit(SanEntry{static_cast<unsigned>(entry->tag & tag_number_mask), (entry->tag & 0x20) != 0, entry->content});
  }
  return count;
}

}  // namespace tlsgate::tls

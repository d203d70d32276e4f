#include "gateway/policy/cidr.hpp"

#include <charconv>

namespace tlsgate::policy {
namespace {

bool prefix_equal(const IpAddress& a, const IpAddress& b, unsigned bits) {
  const unsigned whole = bits / 8;
  for (unsigned i = 0; i < whole; ++i)
    if (a.bytes[i] != b.bytes[i]) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

unsigned max_prefix(const IpAddress& ip) { return ip.is_v4() ? 32 : 128; }

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned prefix = max_prefix(*ip);
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    if (prefix > max_prefix(*ip)) return std::nullopt;
  }
  Cidr c{*ip, prefix};
  // Reject host bits: compare with the network address that has them cleared.
  IpAddress cleared = *ip;
  for (unsigned bit = prefix; bit < max_prefix(*ip); ++bit)
    cleared.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  if (cleared != *ip) return std::nullopt;
  if (!ip->is_v4() && prefix >= 96 && ip->unmapped().is_v4()) c = Cidr{ip->unmapped(), prefix - 96};
  return c;
}

bool Cidr::contains(const IpAddress& ip) const {
  const IpAddress a = ip.unmapped();
  return a.family == network.family && prefix_equal(a, network, prefix);
}

bool Cidr::contains(const Cidr& other) const {
  return other.network.family == network.family && other.prefix >= prefix &&
         prefix_equal(other.network, network, prefix);
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

}  // namespace tlsgate::policy

#include "gateway/log/community_id.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <vector>

namespace tlsgate::log {
namespace {

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

bool ordered(const Endpoint& a, const Endpoint& b) {
  const auto ao = a.ip.octets();
  const auto bo = b.ip.octets();
  if (std::lexicographical_compare(ao.begin(), ao.end(), bo.begin(), bo.end())) return true;
  if (std::equal(ao.begin(), ao.end(), bo.begin(), bo.end())) return a.port <= b.port;
  return false;
}

}  // namespace

std::string community_id(const Endpoint& a_in, const Endpoint& b_in, std::uint8_t ip_proto,
                         std::uint16_t seed) {
  Endpoint a{a_in.ip.unmapped(), a_in.port};
  Endpoint b{b_in.ip.unmapped(), b_in.port};
  // The spec orders the tuple so the smaller (address, port) comes first.
  if (!ordered(a, b)) std::swap(a, b);

  std::vector<std::uint8_t> buf;
  buf.reserve(2 + 32 + 2 + 4);
  put_u16(buf, seed);
  const auto ao = a.ip.octets();
  const auto bo = b.ip.octets();
  buf.insert(buf.end(), ao.begin(), ao.end());
  buf.insert(buf.end(), bo.begin(), bo.end());
  buf.push_back(ip_proto);
  buf.push_back(0);  // padding
  put_u16(buf, a.port);
  put_u16(buf, b.port);

  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(buf.data(), buf.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> b64{};
  const int n = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(digest.size()));
  return "1:" + std::string(reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n));
}

}  // namespace tlsgate::log

#include "gateway/tls/fingerprint.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {
namespace {

constexpr std::uint16_t ext_server_name = 0;
constexpr std::uint16_t ext_alpn = 16;
constexpr std::size_t ja4_hash_chars = 12;

std::vector<std::uint16_t> without_grease(const std::vector<std::uint16_t>& values) {
  std::vector<std::uint16_t> out;
  std::copy_if(values.begin(), values.end(), std::back_inserter(out), [](auto v) { return !is_grease(v); });
  return out;
}

template <class T>
std::string join_decimal(const std::vector<T>& values) {
  std::string out;
  for (const auto v : values) {
    if (!out.empty()) out += '-';
    out += std::to_string(v);
  }
  return out;
}

std::string join_hex(const std::vector<std::uint16_t>& values) {
  std::string out;
  for (const auto v : values) {
    std::array<char, 6> buf{};
    std::snprintf(buf.data(), buf.size(), "%s%04x", out.empty() ? "" : ",", v);
    out += buf.data();
  }
  return out;
}

// MD5 for JA3 (a fingerprint, not a security use), fetched once like sha256_md().
const EVP_MD* md5_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md != nullptr ? md : EVP_md5();
}

std::string digest_hex(const EVP_MD* md, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // Hashing a memory buffer with a built-in digest cannot fail short of memory exhaustion.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, md, nullptr) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

std::string ja4_hash(const std::string& text) {
  return text.empty() ? std::string(ja4_hash_chars, '0')
                      : digest_hex(sha256_md(), text).substr(0, ja4_hash_chars);
}

std::string_view ja4_version(std::uint16_t version) {
  switch (version) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

std::string two_digits(std::size_t count) {
  const auto n = std::min<std::size_t>(count, 99);
  return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// First and last character of the first ALPN value; of its hex form if either is not alphanumeric.
std::string ja4_alpn(const ClientHello& hello) {
  if (hello.alpn.empty() || hello.alpn.front().empty()) return "00";
  const std::string& first = hello.alpn.front();
  const auto head = static_cast<unsigned char>(first.front());
  const auto tail = static_cast<unsigned char>(first.back());
  if (is_alnum(head) && is_alnum(tail)) return {first.front(), first.back()};
  static constexpr char hex[] = "0123456789abcdef";
  return {hex[head >> 4], hex[tail & 0x0f]};
}

}  // namespace

std::string ja3_string(const ClientHello& hello) {
  return std::to_string(hello.legacy_version) + ',' + join_decimal(without_grease(hello.cipher_suites)) +
         ',' + join_decimal(without_grease(hello.extensions)) + ',' +
         join_decimal(without_grease(hello.groups)) + ',' + join_decimal(hello.ec_point_formats);
}

std::string ja3(const ClientHello& hello) { return digest_hex(md5_md(), ja3_string(hello)); }

std::string ja4(const ClientHello& hello, Transport transport) {
  auto ciphers = without_grease(hello.cipher_suites);
  auto extensions = without_grease(hello.extensions);
  const bool has_sni =
      std::find(extensions.begin(), extensions.end(), ext_server_name) != extensions.end();

  std::string a = transport == Transport::quic ? "q" : "t";
  a += ja4_version(hello.max_version());
  a += has_sni ? 'd' : 'i';
  a += two_digits(ciphers.size()) + two_digits(extensions.size()) + ja4_alpn(hello);

  std::sort(ciphers.begin(), ciphers.end());
  std::erase_if(extensions, [](auto e) { return e == ext_server_name || e == ext_alpn; });
  std::sort(extensions.begin(), extensions.end());
  std::string c = join_hex(extensions);
  const auto signatures = without_grease(hello.signature_algorithms);
  if (!signatures.empty()) c += '_' + join_hex(signatures);
  return a + '_' + ja4_hash(join_hex(ciphers)) + '_' + ja4_hash(c);
}

}  // namespace tlsgate::tls

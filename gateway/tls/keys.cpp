#include "gateway/tls/keys.hpp"

#include <openssl/err.h>

#include <cstddef>

namespace tlsgate::tls {

std::optional<KeyType> parse_key_type(std::string_view name) {
  if (name == "ec") return KeyType::ec_p256;
  if (name == "rsa" || name == "rsa2048") return KeyType::rsa2048;
  if (name == "rsa3072") return KeyType::rsa3072;
  return std::nullopt;
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::ec_p256: return "ec";
    case KeyType::rsa2048: return "rsa2048";
    case KeyType::rsa3072: return "rsa3072";
  }
  return "unknown";
}

EvpPkeyPtr generate_key(KeyType type) {
  ERR_clear_error();
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ec_p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeyType::rsa3072: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
  }
  if (key == nullptr) throw OpenSslError("generating a " + std::string(key_type_name(type)) + " key");
  return EvpPkeyPtr(key);
}

}  // namespace tlsgate::tls

#pragma once
// Key types offered for the CA and the forged leaves, and key generation.
#include <optional>
#include <string_view>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

enum class KeyType { ec_p256, rsa2048, rsa3072 };

// "ec", "rsa2048", "rsa3072", and "rsa" (= rsa2048); nullopt for anything else.
std::optional<KeyType> parse_key_type(std::string_view name);

// The canonical name accepted by parse_key_type ("ec", "rsa2048", "rsa3072").
std::string_view key_type_name(KeyType type);

// A fresh key pair; throws OpenSslError if generation fails.
EvpPkeyPtr generate_key(KeyType type);

}  // namespace tlsgate::tls

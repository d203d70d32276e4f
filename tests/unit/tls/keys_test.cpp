#include "gateway/tls/keys.hpp"

#include <gtest/gtest.h>

namespace tlsgate::tls {
namespace {

TEST(KeyType, ParsesNames) {
  EXPECT_EQ(parse_key_type("ec"), KeyType::ec_p256);
  EXPECT_EQ(parse_key_type("rsa"), KeyType::rsa2048);
  EXPECT_EQ(parse_key_type("rsa2048"), KeyType::rsa2048);
  EXPECT_EQ(parse_key_type("rsa3072"), KeyType::rsa3072);
  EXPECT_EQ(parse_key_type("RSA"), std::nullopt);
  EXPECT_EQ(parse_key_type("rsa4096"), std::nullopt);
  EXPECT_EQ(parse_key_type(""), std::nullopt);
  for (auto type : {KeyType::ec_p256, KeyType::rsa2048, KeyType::rsa3072}) {
    EXPECT_EQ(parse_key_type(key_type_name(type)), type);
  }
}

TEST(GenerateKey, MakesTheRequestedKind) {
  struct Case {
    KeyType type;
    const char* algorithm;
    int bits;
  };
  for (const auto& c : {Case{KeyType::ec_p256, "EC", 256}, Case{KeyType::rsa2048, "RSA", 2048},
                        Case{KeyType::rsa3072, "RSA", 3072}}) {
    SCOPED_TRACE(key_type_name(c.type));
    const EvpPkeyPtr key = generate_key(c.type);
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(EVP_PKEY_is_a(key.get(), c.algorithm));
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), c.bits);
  }
  const EvpPkeyPtr a = generate_key(KeyType::ec_p256);
  const EvpPkeyPtr b = generate_key(KeyType::ec_p256);
  EXPECT_NE(EVP_PKEY_eq(a.get(), b.get()), 1) << "two generated keys must differ";
}

TEST(UpRef, SharesOwnership) {
  EvpPkeyPtr key = generate_key(KeyType::ec_p256);
  EvpPkeyPtr second = up_ref(key.get());
  key.reset();
  EXPECT_EQ(EVP_PKEY_get_bits(second.get()), 256);  // still alive (ASan would flag a double free)
}

}  // namespace
}  // namespace tlsgate::tls

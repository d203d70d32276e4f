#include "gateway/tls/fingerprint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace tlsgate::tls {
namespace {

// The example of FoxIO-LLC/ja4 technical_details/JA4.md, in its original ("JA4_ro") order.
ClientHello ja4_spec_example() {
  ClientHello h;
  h.legacy_version = 0x0303;
  h.cipher_suites = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                     0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  h.extensions = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                  0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
  h.signature_algorithms = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  h.supported_versions = {0x0304, 0x0303};
  h.alpn = {"h2", "http/1.1"};
  h.sni = "example.com";
  return h;
}

TEST(Ja4, MatchesTheSpecificationExample) {
  EXPECT_EQ(ja4(ja4_spec_example()), "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(Ja4, IgnoresGrease) {
  auto h = ja4_spec_example();
  h.cipher_suites.insert(h.cipher_suites.begin(), 0x2a2a);
  h.extensions.insert(h.extensions.begin(), 0x8a8a);
  h.extensions.push_back(0xdada);
  h.supported_versions.insert(h.supported_versions.begin(), 0x7a7a);
  h.signature_algorithms.insert(h.signature_algorithms.begin() + 2, 0x5a5a);
  EXPECT_EQ(ja4(h), "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(Ja4, WithoutSignatureAlgorithmsTheSpecHashesOnlyExtensions) {
  auto h = ja4_spec_example();
  h.signature_algorithms.clear();
  EXPECT_EQ(ja4(h), "t13d1516h2_8daaf6152771_6d807ffa2a79");  // JA4.md
}

TEST(Ja4, TransportSniAndVersion) {
  auto h = ja4_spec_example();
  EXPECT_EQ(ja4(h, Transport::quic), "q13d1516h2_8daaf6152771_e5627efa2ab1");
  h.extensions.erase(h.extensions.begin() + 1);  // no server_name: an IP destination, one fewer extension
  h.sni.reset();
  EXPECT_EQ(ja4(h).substr(0, 10), "t13i1515h2");
  h.supported_versions.clear();
  EXPECT_EQ(ja4(h).substr(0, 3), "t12");
  h.legacy_version = 0x0300;
  EXPECT_EQ(ja4(h).substr(0, 3), "ts3");
  h.legacy_version = 0x1234;
  EXPECT_EQ(ja4(h).substr(0, 3), "t00");
}

TEST(Ja4, AlpnCharacters) {
  struct Case {
    std::vector<std::string> alpn;
    const char* expected;
  };
  // The non-alphanumeric cases are the examples of JA4.md.
  const Case cases[] = {
      {{"http/1.1", "h2"}, "h1"}, {{"h2"}, "h2"}, {{"a"}, "aa"}, {{}, "00"},
      {{"\xab"}, "ab"},           {{"\xab\xcd"}, "ad"}, {{"0\xab"}, "3b"}, {{"01\xab\xcd"}, "3d"},
      {{"0\xab\xcd" "1"}, "01"},
  };
  for (const auto& c : cases) {
    auto h = ja4_spec_example();
    h.alpn = c.alpn;
    EXPECT_EQ(ja4(h).substr(8, 2), c.expected) << c.expected;
  }
}

TEST(Ja4, EmptyListsAndLargeCounts) {
  ClientHello h;
  h.legacy_version = 0x0303;
  EXPECT_EQ(ja4(h), "t12i000000_000000000000_000000000000");
  for (std::uint16_t i = 1; i <= 120; ++i) h.cipher_suites.push_back(i);
  EXPECT_EQ(ja4(h).substr(0, 8), "t12i9900");
}

// Chrome 143 as measured by tls.browserleaks.com (ja3_text, ja4, ja4_ro published together).
TEST(Fingerprints, ChromeWithEchAndMlKem) {
  ClientHello h;
  h.legacy_version = 0x0303;
  h.cipher_suites = {0x5a5a, 4865,  4866,  4867,  49195, 49199, 49196, 49200,
                     52393,  52392, 49171, 49172, 156,   157,   47,    53};
  h.extensions = {0x3a3a, 45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27, 0x9a9a};
  h.groups = {0x2a2a, 4588, 29, 23, 24};
  h.ec_point_formats = {0};
  h.signature_algorithms = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  h.supported_versions = {0x1a1a, 0x0304, 0x0303};
  h.alpn = {"h2", "http/1.1"};
  h.sni = "tls-outer.browserleaks.com";
  EXPECT_EQ(ja3_string(h),
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
  EXPECT_EQ(ja3(h), "98487aa16281980e7d1120d399efb6a4");
  EXPECT_EQ(ja4(h), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
}

// The example of salesforce/ja3 README.md.
TEST(Ja3, MatchesTheReadmeExample) {
  ClientHello h;
  h.legacy_version = 769;
  h.cipher_suites = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
  h.extensions = {0, 10, 11};
  h.groups = {23, 24, 25};
  h.ec_point_formats = {0};
  EXPECT_EQ(ja3_string(h), "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  EXPECT_EQ(ja3(h), "ada70206e40642a3e4461f35503241d5");
}

TEST(Ja3, EmptyFieldsStayEmpty) {
  ClientHello h;
  h.legacy_version = 771;
  h.cipher_suites = {47};
  EXPECT_EQ(ja3_string(h), "771,47,,,");
}

std::vector<std::uint8_t> load(const char* name) {
  std::ifstream in(std::filesystem::path(TLSGATE_TEST_DATA_DIR) / "client_hello" / name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Expected values computed from the raw capture bytes by a separate throwaway Python decoder
// (hashlib md5/sha256 over the strings built as JA3 and JA4.md describe).
TEST(Fingerprints, Captures) {
  struct Case {
    const char* file;
    const char* ja3;
    const char* ja4;
  };
  const Case cases[] = {
      {"curl_h2_sni.bin", "0149f47eabf9a20d0893e2a44e5a6323", "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6"},
      {"openssl_tls12_alpn.bin", "22558766122974704364c9c75c5cce0a", "t12d2808h2_d943125447b4_e7e480e5a997"},
      {"openssl_no_sni.bin", "c216e752cae6f8755fd27f561d031636", "t13i310900_e8f1e7e78f70_1f22a2ca17c4"},
      {"python_ssl_sni.bin", "3adacb99ecb51ed59c4f6c4ed9a7dcaa", "t13d3112h1_e8f1e7e78f70_d41ae481755e"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto r = parse_client_hello(load(c.file));
    ASSERT_TRUE(r.is_complete()) << r.detail;
    EXPECT_EQ(ja3(r.value), c.ja3);
    EXPECT_EQ(ja4(r.value), c.ja4);
  }
}

}  // namespace
}  // namespace tlsgate::tls

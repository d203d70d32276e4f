// The onboarding portal's content: the CA files and the page (the HTTP server is
// tested end to end in tests/integration/portal_test.sh).
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "gateway/config.hpp"
#include "gateway/portal/ca_files.hpp"
#include "gateway/portal/page.hpp"
#include "gateway/portal/qr_svg.hpp"
#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/forge.hpp"

namespace tlsgate::portal {
namespace {

const tls::CertificateAuthority& test_ca() {
  static const auto ca = tls::CertificateAuthority::create(tls::KeyType::ec_p256, "Lab <Gateway> & CA");
  return ca;
}

TEST(PortalCaFiles, DerAndPemAreTheCaAndTheFingerprintIsColonHex) {
  const CaFiles f = make_ca_files(test_ca().certificate());
  const auto* p = reinterpret_cast<const unsigned char*>(f.der.data());
  X509* parsed = d2i_X509(nullptr, &p, static_cast<long>(f.der.size()));
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(X509_cmp(parsed, test_ca().certificate()), 0);
  X509_free(parsed);
  EXPECT_EQ(f.pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_EQ(f.common_name, "Lab <Gateway> & CA");
  ASSERT_EQ(f.sha256.size(), 32u * 3 - 1);
  std::string hex;
  for (char c : f.sha256)
    if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(hex, tls::sha256_fingerprint(test_ca().certificate()));
}

TEST(PortalCaFiles, MobileconfigIsARootPayloadWithEscapedNameAndStableUuids) {
  const CaFiles f = make_ca_files(test_ca().certificate());
  EXPECT_NE(f.mobileconfig.find("<string>com.apple.security.root</string>"), std::string::npos);
  EXPECT_NE(f.mobileconfig.find("<string>Lab &lt;Gateway&gt; &amp; CA</string>"), std::string::npos);
  EXPECT_EQ(f.mobileconfig.find("<Gateway>"), std::string::npos);
  EXPECT_EQ(f.mobileconfig, make_ca_files(test_ca().certificate()).mobileconfig);
  // Version 4 layout: 8-4-4-4-12, the version nibble 4, the variant 8-B.
  const std::string marker = "<key>PayloadUUID</key>\n      <string>";
  const auto at = f.mobileconfig.find(marker);
  ASSERT_NE(at, std::string::npos);
  const std::string uuid = f.mobileconfig.substr(at + marker.size(), 36);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89AB").find(uuid[19]), std::string::npos);
}

TEST(PortalPage, UrlFromAPlainHostHeaderElseTheListenAddress) {
  EXPECT_EQ(page_url("10.10.1.1:8080", "[::]:8080"), "http://10.10.1.1:8080/");
  EXPECT_EQ(page_url("[fd10:1::1]:8080", "x"), "http://[fd10:1::1]:8080/");
  EXPECT_EQ(page_url("evil\"><script>", "10.0.0.1:8080"), "http://10.0.0.1:8080/");
  EXPECT_EQ(page_url("", "10.0.0.1:8080"), "http://10.0.0.1:8080/");
}

TEST(PortalPage, LinksFingerprintQrAndEscapedName) {
  const CaFiles f = make_ca_files(test_ca().certificate());
  const std::string html = render_page(f, "http://10.10.1.1:8080/");
  EXPECT_NE(html.find(std::string("<title>") + page_title + "</title>"), std::string::npos);
  for (const char* path : {pem_path, der_path, mobileconfig_path})
    EXPECT_NE(html.find(std::string("href=\"") + path + "\""), std::string::npos) << path;
  EXPECT_NE(html.find(f.sha256), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Lab &lt;Gateway&gt; &amp; CA"), std::string::npos);
  EXPECT_EQ(html.find("<Gateway>"), std::string::npos);
}

TEST(PortalQr, SvgWithModulesAndAQuietZone) {
  const std::string svg = qr_svg("http://10.10.1.1:8080/");
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  // Version 2 (25 modules) holds this URL at level M; 8 modules of quiet zone in all.
  EXPECT_NE(svg.find("viewBox=\"0 0 33 33\""), std::string::npos) << svg.substr(0, 300);
  EXPECT_NE(svg.find("M4 4h1v1h-1z"), std::string::npos);  // the finder pattern's corner is dark
  EXPECT_THROW(qr_svg(std::string(8000, 'x')), std::runtime_error);
}

TEST(PortalConfig, PortalListenIsOffByDefaultAndParsesAnAddress) {
  EXPECT_FALSE(parse_config("{}", "t").portal_listen);
  const Config c = parse_config(R"({"portal_listen": "10.10.1.1:8080"})", "t");
  ASSERT_TRUE(c.portal_listen);
  EXPECT_EQ(c.portal_listen->port, 8080);
  EXPECT_THROW(parse_config(R"({"portal_listen": "8080"})", "t"), std::exception);
}

}  // namespace
}  // namespace tlsgate::portal

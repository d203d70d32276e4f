#include "gateway/portal/ca_files.hpp"

#include <openssl/evp.h>

#include <cctype>

#include "gateway/tls/forge.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate::portal {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Lines of 64 characters, as property lists are usually written.
std::string wrapped(const std::string& text, const std::string& indent) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 64) out += indent + text.substr(i, 64) + "\n";
  return out;
}

// A UUID (version 4 layout) from 32 hex digits of the fingerprint, uppercase as Apple writes them.
std::string uuid_from(const std::string& hex32) {
  std::string h;
  for (char c : hex32) h += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  h[12] = '4';
  h[16] = "89AB"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string common_name_of(X509* cert) {
  char buf[256] = {};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string colon_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
  }
  return out;
}

}  // namespace


std::string mobileconfig(const std::string& der, const std::string& common_name, const std::string& sha256_hex) {
  const std::string name = markup_escape(common_name.empty() ? "tlsgate CA" : common_name);
  const std::string id = sha256_hex.substr(0, 16);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<plist version=\"1.0\">\n<dict>\n"
         "  <key>PayloadContent</key>\n  <array>\n    <dict>\n"
         "      <key>PayloadCertificateFileName</key>\n      <string>tlsgate-ca.cer</string>\n"
         "      <key>PayloadContent</key>\n      <data>\n" +
         wrapped(base64(der), "      ") +
         "      </data>\n"
         "      <key>PayloadDescription</key>\n      <string>Trusts the certificates of the network's TLS gateway</string>\n"
         "      <key>PayloadDisplayName</key>\n      <string>" + name + "</string>\n"
         "      <key>PayloadIdentifier</key>\n      <string>tlsgate.ca." + id + "</string>\n"
         "      <key>PayloadType</key>\n      <string>com.apple.security.root</string>\n"
         "      <key>PayloadUUID</key>\n      <string>" + uuid_from(sha256_hex.substr(0, 32)) + "</string>\n"
         "      <key>PayloadVersion</key>\n      <integer>1</integer>\n"
         "    </dict>\n  </array>\n"
         "  <key>PayloadDisplayName</key>\n  <string>" + name + " (tlsgate)</string>\n"
         "  <key>PayloadIdentifier</key>\n  <string>tlsgate.profile." + id + "</string>\n"
         "  <key>PayloadRemovalDisallowed</key>\n  <false/>\n"
         "  <key>PayloadType</key>\n  <string>Configuration</string>\n"
         "  <key>PayloadUUID</key>\n  <string>" + uuid_from(sha256_hex.substr(32, 32)) + "</string>\n"
         "  <key>PayloadVersion</key>\n  <integer>1</integer>\n"
         "</dict>\n</plist>\n";
}

CaFiles make_ca_files(X509* ca) {
  CaFiles files;
  files.common_name = common_name_of(ca);
  files.pem = tls::to_pem(ca);
  files.der = tls::to_der(ca);
  const std::string hex = tls::sha256_fingerprint(ca);
  files.sha256 = colon_hex(hex);
  files.mobileconfig = mobileconfig(files.der, files.common_name, hex);
  return files;
}

}  // namespace tlsgate::portal

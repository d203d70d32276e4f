#include "gateway/tls/trust_store.hpp"

#include <openssl/err.h>

#include <ctime>

#include "gateway/tls/forge.hpp"

namespace tlsgate::tls {
namespace {

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check_openssl(bio != nullptr, "BIO_new");
  // RFC 2253 escapes bytes above 0x7f as \XX, so the text is ASCII and always valid JSON.
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    // A malformed string (e.g. invalid UTF-8) fails RFC 2253 printing; oneline escapes it.
    ERR_clear_error();
    char buf[512];
    return X509_NAME_oneline(name, buf, sizeof buf) != nullptr ? buf : "";
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  check_openssl(ASN1_TIME_to_tm(time, &tm) == 1, "ASN1_TIME_to_tm");
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

// SANs listed in a flow line's certificate summary.
constexpr std::size_t max_summary_sans = 100;

}  // namespace

X509StorePtr load_trust_store(const std::optional<std::string>& extra_ca_file) {
  ERR_clear_error();
  X509StorePtr store(X509_STORE_new());
  check_openssl(store != nullptr, "X509_STORE_new");
  check_openssl(X509_STORE_set_default_paths(store.get()) == 1, "loading the system CA certificates");
  if (extra_ca_file && X509_STORE_load_file(store.get(), extra_ca_file->c_str()) != 1) {
    throw OpenSslError("cannot load upstream CA file '" + *extra_ca_file + "'");
  }
  return store;
}

std::string verify_error_text(long x509_verify_result) {
  return X509_verify_cert_error_string(x509_verify_result);
}

nlohmann::ordered_json certificate_summary(X509* cert) {
  ERR_clear_error();
  nlohmann::ordered_json out;
  out["subject"] = name_text(X509_get_subject_name(cert));
  out["issuer"] = name_text(X509_get_issuer_name(cert));
  // A flow line stays small whatever the upstream sends: the first names, then "+N more".
  const CertNames names = names_of(cert, max_summary_sans + 1);
  auto sans = nlohmann::ordered_json::array();
  for (const auto& dns : names.dns_names) sans.push_back(dns);
  for (const auto& ip : names.ip_addresses) sans.push_back(ip);
  if (sans.size() > max_summary_sans) {
    sans.erase(sans.begin() + max_summary_sans, sans.end());
    sans.push_back("+" + std::to_string(names.san_entries - max_summary_sans) + " more");
  }
  out["sans"] = std::move(sans);
  out["not_before"] = rfc3339(X509_get0_notBefore(cert));
  out["not_after"] = rfc3339(X509_get0_notAfter(cert));
  out["sha256"] = sha256_fingerprint(cert);
  return out;
}

}  // namespace tlsgate::tls

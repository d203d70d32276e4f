#include "gateway/tls/forge.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "gateway/tls/san_der.hpp"

namespace tlsgate::tls {
namespace {

constexpr long one_day_s = 24 * 60 * 60;
constexpr int leaf_validity_days = 397;  // CA/Browser Forum limit for TLS server certificates
constexpr std::size_t max_common_name_chars = 64;  // ub-common-name, RFC 5280 appendix A.1

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// A host name as it may appear in SNI (RFC 6066 3: no trailing dot): LDH labels of 1-63
// characters (underscore tolerated, as real hosts use it), at most 253 characters.
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (const unsigned char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (std::isalnum(c) != 0 || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

// inet_ntop form of an IPv4 or IPv6 literal, so equal addresses compare equal as text.
std::optional<std::string> canonical_ip(const std::string& text) {
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) return inet_ntop(AF_INET, bytes.data(), buf.data(), buf.size());
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) return inet_ntop(AF_INET6, bytes.data(), buf.data(), buf.size());
  return std::nullopt;
}

std::optional<std::string> ip_text(std::span<const std::uint8_t> ip) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  const int family = ip.size() == 4 ? AF_INET : ip.size() == 16 ? AF_INET6 : AF_UNSPEC;
  if (family == AF_UNSPEC) return std::nullopt;
  return inet_ntop(family, ip.data(), buf.data(), buf.size());
}

// Builds CertNames with a set of the names seen (DNS names lowered), so each SAN costs one
// hash lookup however many there are.
class NameCollector {
 public:
  explicit NameCollector(std::size_t max_names) : max_names_(max_names) {}

  // Adds a SAN unless already present; false once the cap is reached (nothing more is added).
  bool add_dns(std::string name) {
    std::string key = 'd' + lower(name);  // before `name` is moved from
    return add(names_.dns_names, std::move(key), std::move(name));
  }
  bool add_ip(std::string ip) {
    std::string key = 'i' + ip;
    return add(names_.ip_addresses, std::move(key), std::move(ip));
  }

  CertNames take() { return std::move(names_); }
  CertNames& names() { return names_; }

 private:
  bool add(std::vector<std::string>& list, std::string key, std::string name) {
    if (names_.capped) return false;
    // Keys are typed ('d' + lowered DNS name, 'i' + IP text): a DNS SAN spelling an address stays apart.
    if (!seen_.insert(std::move(key)).second) return true;
    if (count_ == max_names_) {
      names_.capped = true;
      return false;
    }
    ++count_;
    list.push_back(std::move(name));
    return true;
  }

  std::size_t max_names_;
  std::size_t count_ = 0;
  std::unordered_set<std::string> seen_;
  CertNames names_;
};

void seed(NameCollector& collector, const CertNames& names) {
  for (const auto& dns : names.dns_names) collector.add_dns(dns);
  for (const auto& ip : names.ip_addresses) collector.add_ip(ip);
}

void push_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_STRING_free(value);
    throw OpenSslError("GENERAL_NAME_new");
  }
  GENERAL_NAME_set0_value(name, type, value);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    throw OpenSslError("sk_GENERAL_NAME_push");
  }
}

// Built as ASN.1 values, not through the config-string syntax, since the names come from the
// network and could otherwise inject syntax (commas, "critical").
void add_subject_alt_names(X509* cert, const CertNames& names, bool critical) {
  GeneralNamesPtr sans(sk_GENERAL_NAME_new_null());
  check_openssl(sans != nullptr, "sk_GENERAL_NAME_new_null");
  for (const auto& dns : names.dns_names) {
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    check_openssl(value != nullptr, "ASN1_IA5STRING_new");
    if (ASN1_STRING_set(value, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(value);
      throw OpenSslError("ASN1_STRING_set");
    }
    push_name(sans.get(), GEN_DNS, value);
  }
  for (const auto& ip : names.ip_addresses) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(ip.c_str());
    check_openssl(value != nullptr, "a2i_IPADDRESS");
    push_name(sans.get(), GEN_IPADD, value);
  }
  if (sk_GENERAL_NAME_num(sans.get()) == 0) return;
  check_openssl(X509_add1_ext_i2d(cert, NID_subject_alt_name, sans.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1,
        "adding subjectAltName");
}

// The upstream's names plus the SNI (or, without SNI, the server address).
CertNames leaf_names(const ForgeRequest& request) {
  const CertNames upstream = names_of(request.upstream, request.max_names);
  if (upstream.capped) throw TooManyNames(too_many_names_text(request.max_names));
  // One more than the cap: the SNI or server address always fits.
  NameCollector collector(request.max_names + 1);
  seed(collector, upstream);
  CertNames& names = collector.names();
  names.common_name = upstream.common_name;
  if (request.sni) {
    if (auto ip = canonical_ip(*request.sni)) {
      collector.add_ip(std::move(*ip));
    } else if (is_dns_name(*request.sni)) {
      collector.add_dns(lower(*request.sni));
    }
  } else if (request.server_ip) {
    if (auto ip = canonical_ip(*request.server_ip)) collector.add_ip(std::move(*ip));
  }
  if (!names.common_name) {
    if (request.sni) {
      names.common_name = lower(*request.sni);
    } else if (!names.dns_names.empty()) {
      names.common_name = names.dns_names.front();
    } else if (!names.ip_addresses.empty()) {
      names.common_name = names.ip_addresses.front();
    }
  }
  return collector.take();
}

void set_validity(X509* leaf, X509* ca_cert) {
  check_openssl(X509_gmtime_adj(X509_getm_notBefore(leaf), -one_day_s) != nullptr, "setting notBefore");
  check_openssl(X509_time_adj_ex(X509_getm_notAfter(leaf), leaf_validity_days, -one_day_s, nullptr) != nullptr,
        "setting notAfter");
  if (ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(ca_cert)) > 0) {
    check_openssl(X509_set1_notAfter(leaf, X509_get0_notAfter(ca_cert)) == 1, "capping notAfter");
  }
}

}  // namespace

CertNames names_of(X509* cert, std::size_t max_names) {
  NameCollector collector(max_names);
  CertNames& names = collector.names();
  const X509_NAME* subject = X509_get_subject_name(cert);
  int last = -1;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) last = i;
  if (last >= 0) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)));
    if (len >= 0) {
      std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
      if (cn.find('\0') == std::string::npos) names.common_name = std::move(cn);
      OPENSSL_free(utf8);
    }
  }
  const int at = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
  const ASN1_OCTET_STRING* der = at >= 0 ? X509_EXTENSION_get_data(X509_get_ext(cert, at)) : nullptr;
  if (der == nullptr) return collector.take();
  bool room = true;
  const auto visit = [&](const SanEntry& e) {
    if (!room || e.constructed) return;
    const std::string_view text(reinterpret_cast<const char*>(e.value.data()), e.value.size());
    if (e.tag == san_dns_tag && !text.empty() && is_printable_ascii(text)) {
      room = collector.add_dns(std::string(text));
    } else if (e.tag == san_ip_tag) {
      if (auto ip = ip_text(e.value)) room = collector.add_ip(std::move(*ip));
    }
  };
  const auto entries = walk_san_der(
      {ASN1_STRING_get0_data(der), static_cast<std::size_t>(ASN1_STRING_length(der))}, visit);
  if (!entries) {  // malformed: OpenSSL's decoder would refuse it too, so no name is trusted
    CertNames none;
    none.common_name = std::move(names.common_name);
    return none;
  }
  names.san_entries = *entries;
  return collector.take();
}

std::string too_many_names_text(std::size_t max_names) {
  return "certificate has more than " + std::to_string(max_names) + " names (max_certificate_names): not forged";
}

X509Ptr forge_leaf(const CertificateAuthority& ca, EVP_PKEY* leaf_key, const ForgeRequest& request) {
  if (request.upstream == nullptr) throw std::invalid_argument("forge_leaf: no upstream certificate");
  const CertNames names = leaf_names(request);
  ERR_clear_error();
  X509Ptr leaf(X509_new());
  check_openssl(leaf != nullptr, "X509_new");
  check_openssl(X509_set_version(leaf.get(), X509_VERSION_3) == 1, "X509_set_version");
  set_random_serial(leaf.get());
  check_openssl(X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.certificate())) == 1, "X509_set_issuer_name");
  set_validity(leaf.get(), ca.certificate());
  check_openssl(X509_set_pubkey(leaf.get(), leaf_key) == 1, "X509_set_pubkey");

  bool have_cn = false;
  if (names.common_name && !names.common_name->empty() && names.common_name->size() <= max_common_name_chars) {
    const auto* cn = reinterpret_cast<const unsigned char*>(names.common_name->data());
    have_cn = X509_NAME_add_entry_by_NID(X509_get_subject_name(leaf.get()), NID_commonName, MBSTRING_UTF8, cn,
                                         static_cast<int>(names.common_name->size()), -1, 0) == 1;
    ERR_clear_error();  // a CN OpenSSL refuses is left out, the SANs still name the host
  }
  // RFC 5280 4.2.1.6: with an empty subject the SAN extension must be critical.
  add_subject_alt_names(leaf.get(), names, !have_cn);
  add_extension(leaf.get(), ca.certificate(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(leaf.get(), ca.certificate(), NID_key_usage,
                EVP_PKEY_is_a(leaf_key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature");
  add_extension(leaf.get(), ca.certificate(), NID_ext_key_usage, "serverAuth");
  add_extension(leaf.get(), ca.certificate(), NID_subject_key_identifier, "hash");
  add_extension(leaf.get(), ca.certificate(), NID_authority_key_identifier, "keyid,issuer");
  check_openssl(X509_sign(leaf.get(), ca.key(), sha256_md()) > 0, "signing the forged certificate");
  return leaf;
}

std::string forge_cache_key(const ForgeRequest& request) {
  std::string key = sha256_fingerprint(request.upstream);
  // Distinct prefixes: no SNI value can spell a server-IP key.
  if (request.sni) {
    key += "|sni:";
    key += lower(*request.sni);
  } else {
    key += "|ip:";
    key += request.server_ip.value_or("");
  }
  return key;
}

std::string sha256_fingerprint(X509* cert) {
  ERR_clear_error();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  check_openssl(X509_digest(cert, sha256_md(), digest.data(), &len) == 1, "X509_digest");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace tlsgate::tls

#pragma once
// The onboarding page: download links for the CA in every form, short steps
// per client OS, the fingerprint to compare and a QR code of the page's URL.
#include <string>
#include <string_view>

#include "gateway/portal/ca_files.hpp"

namespace tlsgate::portal {

constexpr const char* page_title = "Install the tlsgate gateway CA";
// The download paths the page links to (served by portal::Server).
constexpr const char* pem_path = "/tlsgate-ca.pem";
constexpr const char* der_path = "/tlsgate-ca.cer";
constexpr const char* mobileconfig_path = "/tlsgate-ca.mobileconfig";

// The page's URL as the client reached it: "http://" + the Host header if it is a
// plain host[:port] (letters, digits, ".-:[]"), else "http://" + `fallback_host`.
std::string page_url(std::string_view host_header, const std::string& fallback_host);

std::string render_page(const CaFiles& ca, const std::string& url);

}  // namespace tlsgate::portal

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {
namespace {

// Host names on the wire are LDH labels (RFC 1035 2.3.1); '_' shows up in
// practice (SRV-style names), so it is accepted too.
bool is_host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Empty when `name` is a plausible wire name, else the reason it is not.
std::string check_labels(std::string_view name) {
  if (name.empty()) return "no domain name";
  if (name.size() > 253) return "longer than 253 characters: no DNS name is";
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "empty label (two dots in a row or a leading dot)";
    if (label.size() > 63) return "label longer than 63 characters";
    for (const unsigned char c : label) {
      if (c == '*') return "'*' is only allowed as the whole first label, as in \"*.example.com\"";
      if (c >= 0x80) return "not ASCII: write an internationalized name as its A-label (xn--...), as SNI carries it";
      if (!is_host_char(c)) return std::string("character '") + static_cast<char>(c) + "' never appears in a host name";
    }
    if (dot == std::string_view::npos) return {};
    start = dot + 1;
  }
}

}  // namespace

std::string normalize_host(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_subdomain(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() + 1 && name.ends_with(suffix) && name[name.size() - suffix.size() - 1] == '.';
}

HostPattern HostPattern::parse(std::string_view text) {
  HostPattern p;
  const std::string norm = normalize_host(text);
  if (norm == "*") {
    p.why = text == "*" ? "\"*\" alone matches nothing: leave out \"host\" to match any host"
                        : "a wildcard needs a domain after \"*.\"";
    return p;
  }
  const bool wildcard = norm.starts_with("*.");
  p.name = wildcard ? norm.substr(2) : norm;
  p.why = check_labels(p.name);
  if (p.why.empty()) p.kind = wildcard ? Kind::wildcard : Kind::exact;
  else if (wildcard && p.name.empty()) p.why = "a wildcard needs a domain after \"*.\"";
  return p;
}

bool HostPattern::covers(const HostPattern& other) const {
  if (kind == Kind::never || other.kind == Kind::never) return false;
  if (kind == Kind::exact) return other.kind == Kind::exact && other.name == name;
  if (other.kind == Kind::exact) return is_subdomain(other.name, name);
  return other.name == name || is_subdomain(other.name, name);
}

std::string HostPattern::to_string() const { return kind == Kind::wildcard ? "*." + name : name; }

}  // namespace tlsgate::policy

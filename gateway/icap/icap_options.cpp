#include "gateway/icap/icap_options.hpp"

#include <algorithm>
#include <charconv>

#include "gateway/icap/text.hpp"

namespace tlsgate::icap {
namespace {

std::optional<std::size_t> number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> extensions(const std::string* value) {
  if (value == nullptr) return {};
  auto items = split_list(*value);
  for (auto& item : items) std::transform(item.begin(), item.end(), item.begin(), ascii_lower);
  return items;
}

bool listed(const std::vector<std::string>& list, std::string_view extension) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& e) { return e == extension; });
}

bool has_star(const std::vector<std::string>& list) { return listed(list, "*"); }

}  // namespace

bool IcapOptions::supports(std::string_view method) const {
  return std::any_of(methods.begin(), methods.end(), [&](const std::string& m) { return iequals(m, method); });
}

IcapOptions::Transfer IcapOptions::transfer_for(std::string_view extension) const {
  // An extension named in a list wins over a list's "*" (RFC 3507 4.10.2).
  if (!extension.empty()) {
    if (listed(transfer_ignore, extension)) return Transfer::ignore;
    if (listed(transfer_complete, extension)) return Transfer::complete;
    if (listed(transfer_preview, extension)) return Transfer::preview;
  }
  if (has_star(transfer_ignore)) return Transfer::ignore;
  if (has_star(transfer_complete)) return Transfer::complete;
  return Transfer::preview;
}

std::optional<IcapOptions> read_options(const IcapResponse& response, std::string& error) {
  if (response.status != 200) {
    error = "OPTIONS answered " + std::to_string(response.status) + " " + response.reason;
    return std::nullopt;
  }
  IcapOptions out;
  const std::string* methods = response.header("Methods");
  const std::string* istag = response.header("ISTag");
  if (methods == nullptr || istag == nullptr) {
    error = "the OPTIONS response lacks Methods or ISTag";
    return std::nullopt;
  }
  out.methods = split_list(*methods);
  out.istag = *istag;
  if (const auto* s = response.header("Service")) out.service = *s;
  if (const auto* p = response.header("Preview")) {
    if (!(out.preview = number(*p))) {
      error = "Preview is not a number: " + *p;
      return std::nullopt;
    }
  }
  if (const auto* m = response.header("Max-Connections")) {
    const auto n = number(*m);
    if (!n || *n == 0 || *n > 1'000'000) {
      error = "Max-Connections is not a positive number: " + *m;
      return std::nullopt;
    }
    out.max_connections = static_cast<unsigned>(*n);
  }
  if (const auto* t = response.header("Options-TTL")) {
    const auto n = number(*t);
    if (!n || *n > 365u * 24 * 3600) {
      error = "Options-TTL is not a number of seconds: " + *t;
      return std::nullopt;
    }
    out.ttl = std::chrono::seconds(*n);
  }
  out.transfer_preview = extensions(response.header("Transfer-Preview"));
  out.transfer_ignore = extensions(response.header("Transfer-Ignore"));
  out.transfer_complete = extensions(response.header("Transfer-Complete"));
  if (const auto* allow = response.header("Allow")) {
    for (const auto& item : split_list(*allow)) out.allow_204 = out.allow_204 || item == "204";
  }
  return out;
}

}  // namespace tlsgate::icap

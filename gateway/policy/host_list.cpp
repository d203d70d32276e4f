#include "gateway/policy/host_list.hpp"

#include <functional>

#include "gateway/ip_address.hpp"
#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The next whitespace-separated token of `s`, removed from it.
std::string_view next_token(std::string_view& s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  const auto token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// A hosts-file comment starts at a '#' after whitespace.
std::string_view strip_trailing_comment(std::string_view s) {
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] == '#' && is_space(s[i - 1])) return trim(s.substr(0, i));
  return s;
}

// Adblock and dnsmasq syntax this reader does not take: exceptions (@@),
// anchors and paths, options ($), element hiding (##), key=value lines.
bool other_syntax(std::string_view s) {
  return s.starts_with("@@") || s.starts_with('|') || s.starts_with('/') ||
         s.find_first_of("$^=/|") != std::string_view::npos || s.find("##") != std::string_view::npos ||
         s.find("#@#") != std::string_view::npos;
}

std::uint64_t entry_hash(ListEntryKind kind, std::string_view name) {
  return std::hash<std::string_view>{}(name) * 31 + static_cast<std::uint64_t>(kind);
}

}  // namespace

HostListParser::HostListParser(HostListLimits limits, Sink entry) : limits_(limits), entry_(std::move(entry)) {}

void HostListParser::feed(std::string_view bytes) {
  while (!bytes.empty() && !overflow_line_) {
    const auto newline = bytes.find('\n');
    const auto piece = bytes.substr(0, newline);
    if (!too_long_) {
      if (line_.size() + piece.size() > limits_.max_line_bytes) {
        too_long_ = true;
        line_.clear();
      } else if (newline != std::string_view::npos && line_.empty()) {
        ++stats_.lines;
        parse_line(piece);  // the whole line is in this chunk: no copy
        bytes.remove_prefix(newline + 1);
        continue;
      } else {
        line_.append(piece);
      }
    }
    if (newline == std::string_view::npos) return;
    end_line();
    bytes.remove_prefix(newline + 1);
  }
}

void HostListParser::finish() {
  if (!line_.empty() || too_long_) end_line();
}

void HostListParser::end_line() {
  ++stats_.lines;
  if (too_long_) {
    if (stats_.long_lines++ == 0) stats_.first_long = stats_.lines;
  } else {
    parse_line(line_);
  }
  line_.clear();
  too_long_ = false;
}

void HostListParser::invalid() {
  if (stats_.invalid++ == 0) stats_.first_invalid = stats_.lines;
}

void HostListParser::unsupported() {
  if (stats_.unsupported++ == 0) stats_.first_unsupported = stats_.lines;
}

void HostListParser::name(std::string_view token, ListEntryKind kind) {
  if (overflow_line_) return;
  const auto pattern = HostPattern::parse(token);
  const bool wanted = pattern.kind == (kind == ListEntryKind::wildcard ? HostPattern::Kind::wildcard
                                                                         : HostPattern::Kind::exact);
  if (!wanted || IpAddress::parse(token)) return invalid();
  if (stats_.names == limits_.max_names) {
    overflow_line_ = stats_.lines;
    return;
  }
  ++stats_.names;
  entry_(ListEntry{kind, pattern.name, stats_.lines});
}

void HostListParser::parse_line(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#' || line.front() == '!' || line.front() == '[') return;
  line = strip_trailing_comment(line);
  if (line.starts_with("||") && line.ends_with('^')) {
    const auto domain = line.substr(2, line.size() - 3);
    if (!other_syntax(domain) && domain.find_first_of(" \t*") == std::string_view::npos)
      return name(domain, ListEntryKind::domain);
    return unsupported();
  }
  if (other_syntax(line)) return unsupported();
  std::string_view rest = line;
  const auto first = next_token(rest);
  if (IpAddress::parse(first)) {  // hosts file: the address, then names
    if (trim(rest).empty()) return invalid();
    for (auto token = next_token(rest); !token.empty(); token = next_token(rest)) name(token, ListEntryKind::exact);
    return;
  }
  if (!trim(rest).empty()) return unsupported();
  name(first, first.starts_with("*.") ? ListEntryKind::wildcard : ListEntryKind::exact);
}

void HostList::add(const ListEntry& e) {
  entries.push_back(static_cast<char>(e.kind));
  entries.append(e.name);
  entries.push_back('\n');
  digest += entry_hash(e.kind, e.name);
  ++count[e.kind == ListEntryKind::exact ? 0 : e.kind == ListEntryKind::wildcard ? 1 : 2];
}

std::optional<HostList> parse_host_list(std::string_view text, const std::string& path, HostListLimits limits,
                                        std::size_t* overflow_line) {
  HostList list;
  list.path = path;
  HostListParser parser(limits, [&list](const ListEntry& e) { list.add(e); });
  parser.feed(text);
  parser.finish();
  if (parser.overflow_line()) {
    if (overflow_line) *overflow_line = *parser.overflow_line();
    return std::nullopt;
  }
  list.stats = parser.stats();
  return list;
}

bool list_entry_matches(ListEntryKind kind, std::string_view name, std::string_view host) {
  switch (kind) {
    case ListEntryKind::exact: return host == name;
    case ListEntryKind::wildcard: return is_subdomain(host, name);
    case ListEntryKind::domain: return host == name || is_subdomain(host, name);
  }
  return false;
}

}  // namespace tlsgate::policy

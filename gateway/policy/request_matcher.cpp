#include "gateway/policy/request_matcher.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>

namespace tlsgate::policy {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 9110 5.6.2 tchar.
bool is_tchar(char c) {
  static constexpr std::string_view others = "!#$%&'*+-.^_`|~";
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         others.find(c) != std::string_view::npos;
}

// Decodes escapes of unreserved characters; upper-cases the hex of the others.
std::string normalize_escapes(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const int high = path[i] == '%' && i + 2 < path.size() ? hex_value(path[i + 1]) : -1;
    const int low = high >= 0 ? hex_value(path[i + 2]) : -1;
    if (low < 0) {
      out += path[i];
      continue;
    }
    const char decoded = static_cast<char>(high * 16 + low);
    if (is_unreserved(decoded)) {
      out += decoded;
    } else {
      static constexpr char digits[] = "0123456789ABCDEF";
      out += '%';
      out += digits[high];
      out += digits[low];
    }
    i += 2;
  }
  return out;
}

// "/a/./b//../c/" -> "/a/c/": dot segments (RFC 3986 5.2.4) and empty ones go.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  std::string_view rest = path.substr(1);
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (segment == ".." && !kept.empty()) kept.pop_back();
    if (segment.empty() || segment == "." || segment == "..") {
      trailing_slash = last;
    } else {
      kept.push_back(segment);
      trailing_slash = false;
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  std::string out;
  for (const auto s : kept) {
    out += '/';
    out += s;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

// The path of an absolute-form target ("http://host:80/p?q" -> "/p?q"); the
// target itself when it is not one.
std::string_view path_of_target(std::string_view target) {
  const auto colon = target.find("://");
  if (target.starts_with('/') || colon == std::string_view::npos || colon == 0) return target;
  const std::string_view scheme = target.substr(0, colon);
  if (!std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
               c == '.';
      }))
    return target;
  const std::string_view after = target.substr(colon + 3);
  const auto end = after.find_first_of("/?#");
  if (end == std::string_view::npos || after[end] != '/') return "/";
  return after.substr(end);
}

}  // namespace

std::string request_path(std::string_view target) {
  std::string_view path = path_of_target(target);
  path = path.substr(0, path.find_first_of("?#"));
  if (!path.starts_with('/')) return std::string(path);
  return remove_dot_segments(normalize_escapes(path));
}

std::optional<PathMatcher> PathMatcher::parse(std::string_view text, std::string& why) {
  if (!text.starts_with('/')) {
    why = "must start with '/', like \"/secret/\" or \"/upload/*\" (a regular expression: {\"regex\": \"...\"})";
    return std::nullopt;
  }
  if (text.find_first_of("?#") != std::string_view::npos) {
    why = "must not contain '?' or '#': the query string is not matched";
    return std::nullopt;
  }
  const auto star = text.find('*');
  if (star != std::string_view::npos && star + 1 != text.size()) {
    why = "'*' is only allowed at the end, as in \"/upload/*\"";
    return std::nullopt;
  }
  PathMatcher m;
  m.kind_ = star == std::string_view::npos ? Kind::exact : Kind::prefix;
  const std::string_view fixed = text.substr(0, star);
  // The prefix's end stays as written ("/up*" must not turn into "/up/").
  m.text_ = request_path(fixed);
  if (m.kind_ == Kind::prefix && !fixed.ends_with('/') && m.text_.size() > 1 && m.text_.ends_with('/'))
    m.text_.pop_back();
  return m;
}

std::optional<PathMatcher> PathMatcher::parse_regex(std::string_view pattern, std::string& why) {
  if (pattern.empty() || pattern.size() > max_regex_bytes) {
    why = "must be a regular expression of 1 to " + std::to_string(max_regex_bytes) + " bytes";
    return std::nullopt;
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(max_regex_memory_bytes);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    why = "not a valid RE2 regular expression: " + re->error();
    return std::nullopt;
  }
  PathMatcher m;
  m.kind_ = Kind::regex;
  m.text_ = std::string(pattern);
  m.regex_ = std::move(re);
  return m;
}

bool PathMatcher::matches(std::string_view path) const {
  switch (kind_) {
    case Kind::exact: return path == text_;
    case Kind::prefix: return path.starts_with(text_);
    case Kind::regex: return RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *regex_);
  }
  return false;
}

bool PathMatcher::covers(const PathMatcher& other) const {
  if (kind_ == Kind::prefix && other.kind_ != Kind::regex) return other.text_.starts_with(text_);
  return kind_ == other.kind_ && text_ == other.text_;
}

std::string PathMatcher::to_string() const {
  switch (kind_) {
    case Kind::exact: return text_;
    case Kind::prefix: return text_ + "*";
    case Kind::regex: return "{\"regex\": \"" + text_ + "\"}";
  }
  return text_;
}

bool RequestMatcher::matches(const RequestFields& request) const {
  const auto in = [](const std::vector<std::string>& list, const std::string& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  return in(methods, request.method) && in(schemes, request.scheme) &&
         (paths.empty() ||
          std::any_of(paths.begin(), paths.end(), [&](const PathMatcher& p) { return p.matches(request.path); }));
}

bool RequestMatcher::covers(const RequestMatcher& other) const {
  const auto list_covers = [](const std::vector<std::string>& outer, const std::vector<std::string>& inner) {
    if (outer.empty()) return true;
    return !inner.empty() && std::all_of(inner.begin(), inner.end(), [&](const std::string& v) {
      return std::find(outer.begin(), outer.end(), v) != outer.end();
    });
  };
  const bool paths_covered =
      paths.empty() || (!other.paths.empty() && std::all_of(other.paths.begin(), other.paths.end(), [&](const auto& in) {
        return std::any_of(paths.begin(), paths.end(), [&](const PathMatcher& out) { return out.covers(in); });
      }));
  return paths_covered && list_covers(methods, other.methods) && list_covers(schemes, other.schemes);
}

bool is_method_name(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
    return is_tchar(c) && !(c >= 'a' && c <= 'z');
  });
}

}  // namespace tlsgate::policy

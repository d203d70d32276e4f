#pragma once
// What a rule matches of an HTTP request (path, method, scheme), and the
// header edits a rule applies to the requests it allows (docs/policy.md,
// "Request rules"). Pure; a compiled matcher is immutable and safe to share
// between threads.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/request_gate.hpp"

namespace re2 {
class RE2;
}

namespace tlsgate::policy {

// What a request rule sees of one request.
struct RequestFields {
  std::string path;    // request_path() of the request target
  std::string method;  // as sent (methods are case-sensitive)
  std::string scheme;  // "https" inside intercepted TLS, "http" on an HTTP port
};

// The path a rule compares, from a request target (origin form "/a/b?q", or
// absolute form "http://host/a/b?q", which servers accept too): the query is
// cut off; percent-encoded unreserved characters (RFC 3986 2.3) are decoded
// and other escapes get upper-case hex (RFC 3986 6.2.2); empty segments
// ("//") and dot segments are removed (RFC 3986 5.2.4). So "/./a//%62" is
// "/a/b". Nothing else is decoded ("%2F" stays). A target that is neither
// form ("*", CONNECT's authority) is returned without its query.
std::string request_path(std::string_view target);

class PathMatcher {
 public:
  enum class Kind {
    exact,   // "/a/b": that path only
    prefix,  // "/upload/*": every path that starts with "/upload/"
    regex,   // {"regex": "..."}: RE2, unanchored (write ^ and $ to anchor), on request_path()
  };
  // "/a/b" or "/upload/*"; nullopt with `why` set when it cannot be a path
  // (no leading '/', a '*' before the end, a query).
  static std::optional<PathMatcher> parse(std::string_view text, std::string& why);
  // An RE2 pattern of at most max_regex_bytes; nullopt with RE2's error in `why`.
  static std::optional<PathMatcher> parse_regex(std::string_view pattern, std::string& why);

  // `path`: request_path() of the request.
  bool matches(std::string_view path) const;
  // True when every path `other` matches, this one matches too (regexes only cover equal regexes).
  bool covers(const PathMatcher& other) const;
  std::string to_string() const;  // as written in the policy, normalised
  Kind kind() const { return kind_; }

 private:
  Kind kind_ = Kind::exact;
  std::string text_;  // exact: the path; prefix: the part before '*'; regex: the pattern
  std::shared_ptr<const re2::RE2> regex_;
};

constexpr std::size_t max_regex_bytes = 1024;
// RE2's memory for one compiled pattern: a bigger one is refused at load.
constexpr long max_regex_memory_bytes = 1L << 20;

// A rule's request matchers: each list, when not empty, must have a match.
struct RequestMatcher {
  std::vector<PathMatcher> paths;
  std::vector<std::string> methods;  // "GET", "POST", ... (case-sensitive, as on the wire)
  std::vector<std::string> schemes;  // "http", "https"

  bool empty() const { return paths.empty() && methods.empty() && schemes.empty(); }
  bool matches(const RequestFields& request) const;
  // True when this matches every request `other` matches.
  bool covers(const RequestMatcher& other) const;
};

// One header edit of a rule (`set_request_header`, `remove_request_header`), as the gates
// apply it; the policy refuses at load what a gate would refuse (http/header_edit.hpp).
using HeaderEdit = http::HeaderEdit;
constexpr std::size_t max_header_value_bytes = 4096;  // a `set_request_header` value

// A method name as RFC 9110 9.1 spells it (a token); lower-case letters are
// refused, since methods are case-sensitive and servers know them upper-case.
bool is_method_name(std::string_view method);

}  // namespace tlsgate::policy

// Strict HTTP/1 head parsing; see http1_head.hpp.
#include "gateway/http/http1_head.hpp"

#include <algorithm>
#include <cstring>

#include "gateway/http/http1_chars.hpp"

namespace tlsgate::http::h1 {

namespace {

using Result = ParseResult<Head, HeadError>;

constexpr std::string_view crlf = "\r\n";
// Content-Length digits past this are refused (a length below 10^18 fits every counter).
constexpr std::size_t max_length_digits = 18;

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(static_cast<std::uint8_t>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_ows(static_cast<std::uint8_t>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) { return !s.empty() && all_of_class(s, chars::tchar); }

// uri-host [ ":" port ] characters (RFC 3986 reg-name, IP literals); no userinfo, no spaces.
bool is_authority(std::string_view s) { return all_of_class(s, chars::authority); }

bool starts_with_nocase(std::string_view s, std::string_view lowercase_prefix) {
  return s.size() >= lowercase_prefix.size() && token_equals(s.substr(0, lowercase_prefix.size()), lowercase_prefix);
}

// Framing fields gathered over all field lines.
struct Framing {
  std::optional<std::uint64_t> content_length;
  bool transfer_encoding = false;
  bool chunked_last = false;
  int chunked_count = 0;
};

std::optional<HeadError> add_content_length(Framing& f, std::string_view value) {
  while (true) {  // a list of equal values is one value (RFC 9112 §6.3 item 5)
    const std::size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (item.empty() || item.size() > max_length_digits) return HeadError::bad_content_length;
    std::uint64_t n = 0;
    for (const char c : item) {
      if (c < '0' || c > '9') return HeadError::bad_content_length;
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (f.content_length && *f.content_length != n) return HeadError::conflicting_content_length;
    f.content_length = n;
    if (comma == std::string_view::npos) return std::nullopt;
    value.remove_prefix(comma + 1);
  }
}

std::optional<HeadError> add_transfer_encoding(Framing& f, std::string_view value) {
  f.transfer_encoding = true;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view coding = trim_ows(value.substr(0, comma));
    if (!is_token(coding)) return HeadError::bad_transfer_encoding;  // parameters refused too
    f.chunked_last = token_equals(coding, "chunked");
    if (f.chunked_last) ++f.chunked_count;
    if (comma == std::string_view::npos) return std::nullopt;
    value.remove_prefix(comma + 1);
  }
}

// One field line (CRLF removed) into `head` / `framing`. The byte just past `line` is its CR,
// which is no tchar: the name scan needs no bounds check.
std::optional<HeadError> add_field(std::string_view line, bool request, Head& head, Framing& framing) {
  if (is_ows(static_cast<std::uint8_t>(line.front()))) return HeadError::obs_fold;
  const char* const text = line.data();
  std::size_t colon = 0;
  while (is_tchar(static_cast<std::uint8_t>(text[colon]))) ++colon;
  if (colon < line.size() && line[colon] != ':') {
    return is_ows(static_cast<std::uint8_t>(line[colon])) ? HeadError::space_before_colon : HeadError::bad_field;
  }
  if (colon == line.size() || colon == 0) return HeadError::bad_field;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!all_field_chars(value)) return HeadError::bad_field;
  if (token_equals(name, "content-length")) return add_content_length(framing, value);
  if (token_equals(name, "transfer-encoding")) return add_transfer_encoding(framing, value);
  if (token_equals(name, "upgrade")) {
    if (head.upgrade) {
      head.upgrade->append(", ").append(value);
    } else {
      head.upgrade.emplace(value);
    }
  } else if (request && token_equals(name, "host")) {
    if (head.host) return HeadError::duplicate_host;
    if (!is_authority(value)) return HeadError::bad_host;
    head.host = value;
  }
  return std::nullopt;
}

// The field lines after the start line; `fields` holds them, each ended by CRLF.
std::optional<HeadError> parse_fields(std::string_view fields, bool request, int minor_version, Head& head) {
  Framing framing;
  while (!fields.empty()) {
    const std::size_t end = fields.find(crlf);  // present: the scanner saw every line end
    if (auto error = add_field(fields.substr(0, end), request, head, framing)) return error;
    fields.remove_prefix(end + crlf.size());
  }
  if (framing.transfer_encoding) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; §6.3: with
    // Content-Length, a smuggling attempt; a request whose last coding is not chunked
    // cannot be framed.
    if (minor_version == 0 || framing.chunked_count > 1) return HeadError::bad_transfer_encoding;
    if (framing.content_length) return HeadError::content_length_with_transfer_encoding;
    if (framing.chunked_last) {
      head.body.kind = BodyKind::chunked;
    } else if (request) {
      return HeadError::bad_transfer_encoding;
    } else {
      head.body.kind = BodyKind::until_close;
    }
  } else if (framing.content_length) {
    head.body = {BodyKind::length, *framing.content_length};
  } else {
    head.body.kind = request ? BodyKind::none : BodyKind::until_close;
  }
  return std::nullopt;
}

// "HTTP/1.<digit>"; nullopt if not that.
std::optional<int> parse_version(std::string_view s) {
  if (s.size() != 8 || s.substr(0, 7) != "HTTP/1." || s[7] < '0' || s[7] > '9') return std::nullopt;
  return s[7] - '0';
}

struct LineError {
  HeadError error;
  const char* detail;
};

// The authority of a request target in absolute-form or authority-form (RFC 9112 §3.2.2,
// §3.2.3) into head.target_authority; origin-form and asterisk-form have none; any other
// form is an error.
std::optional<LineError> read_target_authority(const RequestLine& line, Head& head) {
  const std::string_view target = line.target;
  if (line.method == "CONNECT") {
    if (!is_authority(target)) return LineError{HeadError::bad_host, "bad CONNECT target"};
    head.target_authority = target;
    return std::nullopt;
  }
  if (target.front() == '/') return std::nullopt;
  if (target == "*") {
    if (line.method != "OPTIONS") return LineError{HeadError::bad_start_line, "asterisk-form target not in OPTIONS"};
    return std::nullopt;
  }
  std::string_view rest;
  if (starts_with_nocase(target, "http://")) {
    rest = target.substr(7);
  } else if (starts_with_nocase(target, "https://")) {
    rest = target.substr(8);
  } else {
    return LineError{HeadError::bad_start_line, "request target in no known form"};
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || !is_authority(authority)) return LineError{HeadError::bad_host, "bad target authority"};
  head.target_authority = authority;
  return std::nullopt;
}

std::optional<LineError> parse_request_line(std::string_view line, Head& head) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return LineError{HeadError::bad_start_line, "bad request line"};
  RequestLine& r = head.request;
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(r.method) || r.target.empty()) return LineError{HeadError::bad_start_line, "bad request line"};
  for (const char c : r.target) {
    if (c < 0x21 || c > 0x7e) return LineError{HeadError::bad_start_line, "bad character in request target"};
  }
  const auto minor = parse_version(version);
  if (!minor || *minor > 1) return LineError{HeadError::bad_version, "not HTTP/1.0 or HTTP/1.1"};
  r.minor_version = *minor;
  return read_target_authority(r, head);
}

std::optional<LineError> parse_status_line(std::string_view line, Head& head) {
  const auto minor = parse_version(line.substr(0, 8));
  const bool ok = minor && line.size() >= 12 && line[8] == ' ' && (line.size() == 12 || line[12] == ' ');
  if (!ok) return LineError{HeadError::bad_start_line, "bad status line"};
  int status = 0;
  for (const char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return LineError{HeadError::bad_start_line, "bad status code"};
    status = status * 10 + (c - '0');
  }
  if (status < 100) return LineError{HeadError::bad_start_line, "bad status code"};
  for (const char c : line.substr(12)) {
    if (!is_field_char(static_cast<std::uint8_t>(c))) return LineError{HeadError::bad_start_line, "bad reason"};
  }
  head.response = {status, *minor};
  return std::nullopt;
}

Result parse_head(std::string_view bytes, std::size_t start, bool request) {
  // Lines of the head without the empty line that ends it; every line ends with CRLF.
  const std::string_view lines = bytes.substr(start, bytes.size() - start - crlf.size());
  const std::size_t first_end = lines.find(crlf);
  Head head;
  const std::string_view first = lines.substr(0, first_end);
  if (auto error = request ? parse_request_line(first, head) : parse_status_line(first, head)) {
    return Result::failure(error->error, error->detail);
  }
  const int minor = request ? head.request.minor_version : head.response.minor_version;
  if (auto error = parse_fields(lines.substr(first_end + crlf.size()), request, minor, head)) {
    return Result::failure(*error, describe(*error));
  }
  return Result::complete(std::move(head), bytes.size());
}

}  // namespace

const char* describe(HeadError error) {
  switch (error) {
    case HeadError::too_large: return "head exceeds max_header_bytes";
    case HeadError::too_many_fields: return "head exceeds max_header_fields";
    case HeadError::bad_line_end: return "bare CR or LF in head";
    case HeadError::bad_start_line: return "bad start line";
    case HeadError::bad_version: return "not HTTP/1.0 or HTTP/1.1";
    case HeadError::bad_field: return "bad field line";
    case HeadError::space_before_colon: return "whitespace before a field colon";
    case HeadError::obs_fold: return "obs-fold (line folding)";
    case HeadError::duplicate_host: return "two Host fields";
    case HeadError::bad_host: return "bad Host or target authority";
    case HeadError::bad_content_length: return "bad Content-Length";
    case HeadError::conflicting_content_length: return "differing Content-Length values";
    case HeadError::content_length_with_transfer_encoding: return "Content-Length with Transfer-Encoding";
    case HeadError::bad_transfer_encoding: return "Transfer-Encoding not ending in one chunked (or in HTTP/1.0)";
  }
  return "bad head";
}

bool token_equals(std::string_view value, std::string_view lowercase) {
  if (value.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c) != lowercase[i]) return false;
  }
  return true;
}

ParseResult<std::size_t, HeadError> HeadScanner::scan(std::string_view bytes, std::size_t max_bytes,
                                                      std::size_t max_fields) {
  using R = ParseResult<std::size_t, HeadError>;
  const std::size_t searchable = std::min(bytes.size(), max_bytes);  // a head ends within max_bytes
  while (scanned_ < searchable) {
    const void* found = std::memchr(bytes.data() + scanned_, '\n', searchable - scanned_);
    if (found == nullptr) {
      scanned_ = searchable;
      break;
    }
    const auto lf = static_cast<std::size_t>(static_cast<const char*>(found) - bytes.data());
    if (lf == line_start_ || bytes[lf - 1] != '\r') return R::failure(HeadError::bad_line_end, "bare LF in head");
    const bool empty = lf - 1 == line_start_;
    scanned_ = line_start_ = lf + 1;
    if (empty && lines_ > 0) return R::complete(lf + 1, lf + 1);
    if (empty) {
      start_ = lf + 1;  // an empty line before the start line (RFC 9112 §2.2)
    } else if (++lines_ > max_fields + 1) {
      return R::failure(HeadError::too_many_fields, "head exceeds max_header_fields (" + std::to_string(max_fields) + ")");
    }
  }
  if (scanned_ >= max_bytes) {
    return R::failure(HeadError::too_large, "head exceeds max_header_bytes (" + std::to_string(max_bytes) + ")");
  }
  return R::need_more();
}

ParseResult<Head, HeadError> parse_request_head(std::string_view bytes, std::size_t start) {
  return parse_head(bytes, start, true);
}

ParseResult<Head, HeadError> parse_response_head(std::string_view bytes, std::size_t start) {
  return parse_head(bytes, start, false);
}

std::string_view field_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const std::size_t start = pos + 2;
    const std::size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos || end == start) break;
    const std::string_view line = head.substr(start, end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && token_equals(line.substr(0, colon), name)) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return value;
    }
    pos = end;
  }
  return {};
}

}  // namespace tlsgate::http::h1

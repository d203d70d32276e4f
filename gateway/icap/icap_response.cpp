#include "gateway/icap/icap_response.hpp"

#include <algorithm>
#include <charconv>

#include "gateway/icap/text.hpp"

namespace tlsgate::icap {
namespace {

using Result = ParseResult<IcapResponse, IcapError>;
constexpr std::string_view crlf = "\r\n";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "ICAP/1.0 204 Unmodified" (RFC 3507 4.3.3: the HTTP/1.1 status-line form).
bool parse_status_line(std::string_view line, IcapResponse& out) {
  constexpr std::string_view version = "ICAP/1.0 ";
  if (line.size() < version.size() + 3 || line.substr(0, version.size()) != version) return false;
  const auto code = line.substr(version.size(), 3);
  if (!is_digit(code[0]) || !is_digit(code[1]) || !is_digit(code[2]) || code[0] == '0') return false;
  out.status = static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  const auto rest = line.substr(version.size() + 3);
  if (!rest.empty() && rest[0] != ' ') return false;
  out.reason = std::string(trim(rest));
  return true;
}

bool is_token_char(char c) {
  return c > 0x20 && c < 0x7f && c != ':' && c != '(' && c != ')' && c != ',' && c != ';' && c != '"';
}

// The header lines between the status line and the empty line.
Result parse_header_lines(std::string_view lines, IcapResponse& out, IcapLimits limits) {
  while (!lines.empty()) {
    const auto end = lines.find(crlf);
    const auto line = lines.substr(0, end);
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
    if (line.empty()) return Result::failure(IcapError::bad_header, "an empty header line");
    if (line.front() == ' ' || line.front() == '\t') {
      if (out.headers.empty()) return Result::failure(IcapError::bad_header, "a continuation line before any header");
      auto& value = out.headers.back().value;
      const auto more = trim(line);
      if (!more.empty()) value.append(value.empty() ? "" : "\n").append(more);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return Result::failure(IcapError::bad_header, "a header line without a name");
    const auto name = line.substr(0, colon);
    for (char c : name) {
      if (!is_token_char(c)) return Result::failure(IcapError::bad_header, "a header name with a forbidden character");
    }
    if (out.headers.size() == limits.max_headers)
      return Result::failure(IcapError::too_many_headers, "more headers than allowed");
    out.headers.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
  }
  return Result::complete({}, 0);
}

// A chunked body (RFC 7230 4.1, with ICAP's `ieof` extension, RFC 3507 4.5)
// from `pos`; on completion `pos` is past the trailers' empty line.
ParseStatus read_chunked(std::string_view in, std::size_t& pos, std::string& out, std::size_t max_bytes,
                         Result& failure) {
  for (;;) {
    const auto line_end = in.find(crlf, pos);
    if (line_end == std::string_view::npos) {
      if (in.size() - pos > 1024) {
        failure = Result::failure(IcapError::bad_chunk, "a chunk-size line longer than 1 KiB");
        return ParseStatus::error;
      }
      return ParseStatus::need_more;
    }
    const auto line = in.substr(pos, line_end - pos);
    const auto digits = line.substr(0, line.find_first_of("; \t"));
    std::size_t size = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      failure = Result::failure(IcapError::bad_chunk, "a chunk size that is not a hex number");
      return ParseStatus::error;
    }
    if (size > max_bytes - out.size()) {
      failure = Result::failure(IcapError::body_too_large, "the encapsulated body is larger than allowed");
      return ParseStatus::error;
    }
    if (size == 0) {
      // Trailers (none in practice) end with an empty line.
      std::size_t at = line_end + 2;
      for (;;) {
        const auto trailer_end = in.find(crlf, at);
        if (trailer_end == std::string_view::npos) return ParseStatus::need_more;
        if (trailer_end == at) {
          pos = at + 2;
          return ParseStatus::complete;
        }
        at = trailer_end + 2;
      }
    }
    const auto data = line_end + 2;
    if (in.size() < data + size + 2) return ParseStatus::need_more;
    if (in.substr(data + size, 2) != crlf) {
      failure = Result::failure(IcapError::bad_chunk, "a chunk not followed by CRLF");
      return ParseStatus::error;
    }
    out.append(in.substr(data, size));
    pos = data + size + 2;
  }
}

// What follows the ICAP head, laid out by `Encapsulated`, from `pos`.
Result parse_encapsulated_sections(std::string_view in, std::size_t pos, IcapResponse& out, IcapLimits limits) {
  const auto& parts = out.encapsulated;
  const bool body = parts.back().name != "null-body";
  const std::size_t heads_size = parts.back().offset;
  if (heads_size > limits.max_http_head_bytes)
    return Result::failure(IcapError::body_too_large, "encapsulated HTTP heads larger than allowed");
  if (in.size() - pos < heads_size) return Result::need_more();
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto section = in.substr(pos + parts[i].offset, parts[i + 1].offset - parts[i].offset);
    (parts[i].name == "req-hdr" ? out.request_head : out.response_head) = std::string(section);
  }
  pos += heads_size;
  if (body) {
    out.has_body = true;
    Result failure;
    switch (read_chunked(in, pos, out.body, limits.max_body_bytes, failure)) {
      case ParseStatus::need_more: return Result::need_more();
      case ParseStatus::error: return failure;
      case ParseStatus::complete: break;
    }
  }
  return Result::complete(std::move(out), pos);
}

}  // namespace

std::string_view to_string(IcapError error) {
  switch (error) {
    case IcapError::bad_status_line: return "bad_status_line";
    case IcapError::bad_header: return "bad_header";
    case IcapError::head_too_large: return "head_too_large";
    case IcapError::too_many_headers: return "too_many_headers";
    case IcapError::bad_encapsulated: return "bad_encapsulated";
    case IcapError::bad_chunk: return "bad_chunk";
    case IcapError::body_too_large: return "body_too_large";
  }
  return "unknown";
}

const std::string* IcapResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::optional<std::vector<EncapsulatedPart>> parse_encapsulated(std::string_view value) {
  static constexpr std::string_view heads[] = {"req-hdr", "res-hdr"};
  static constexpr std::string_view bodies[] = {"req-body", "res-body", "null-body", "opt-body"};
  std::vector<EncapsulatedPart> parts;
  for (const auto& item : split_list(value)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string_view name = trim(std::string_view(item).substr(0, eq));
    const std::string_view number = trim(std::string_view(item).substr(eq + 1));
    std::size_t offset = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), offset);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
    const bool is_head = std::find(std::begin(heads), std::end(heads), name) != std::end(heads);
    const bool is_body = std::find(std::begin(bodies), std::end(bodies), name) != std::end(bodies);
    if (!is_head && !is_body) return std::nullopt;
    // Heads come first, each once, at rising offsets from 0; one body entry ends the list.
    if (!parts.empty() && (offset < parts.back().offset || parts.back().name.ends_with("-body"))) return std::nullopt;
    if (parts.empty() && offset != 0) return std::nullopt;
    for (const auto& p : parts) {
      if (p.name == name) return std::nullopt;
    }
    parts.push_back({std::string(name), offset});
  }
  if (parts.empty() || !parts.back().name.ends_with("-body")) return std::nullopt;
  return parts;
}

ParseResult<IcapResponse, IcapError> parse_icap_response(std::string_view bytes, IcapLimits limits) {
  const auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos || head_end + 4 > limits.max_head_bytes) {
    if (bytes.size() >= limits.max_head_bytes)
      return Result::failure(IcapError::head_too_large, "no end of the ICAP head within the limit");
    // A status line can be refused before the head is complete.
    const auto first = bytes.find(crlf);
    IcapResponse probe;
    if (first != std::string_view::npos && !parse_status_line(bytes.substr(0, first), probe)) {
      return Result::failure(IcapError::bad_status_line, "not an ICAP/1.0 status line");
    }
    return Result::need_more();
  }
  IcapResponse out;
  const auto first = bytes.find(crlf);
  if (!parse_status_line(bytes.substr(0, first), out))
    return Result::failure(IcapError::bad_status_line, "not an ICAP/1.0 status line");
  if (first < head_end) {
    if (auto r = parse_header_lines(bytes.substr(first + 2, head_end - first - 2), out, limits); r.is_error()) return r;
  }
  const std::size_t pos = head_end + 4;
  const std::string* encapsulated = out.header("Encapsulated");
  // 100 and 204 never carry a message (RFC 3507 4.5, 4.6); a response without
  // Encapsulated (an error status) is its head alone.
  if (out.status == 100 || out.status == 204 || encapsulated == nullptr) return Result::complete(std::move(out), pos);
  auto parts = parse_encapsulated(*encapsulated);
  if (!parts) return Result::failure(IcapError::bad_encapsulated, "a malformed Encapsulated header");
  out.encapsulated = std::move(*parts);
  return parse_encapsulated_sections(bytes, pos, out, limits);
}

}  // namespace tlsgate::icap

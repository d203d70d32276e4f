#include "gateway/http/http1_gate_response.hpp"

namespace tlsgate::http {

namespace {

constexpr std::string_view inspect_error_page =
    "<!DOCTYPE html>\n<html><head><title>Request blocked</title></head><body>\n"
    "<h1>Request blocked</h1>\n"
    "<p>The gateway could not inspect this request, so it was not forwarded.</p>\n"
    "</body></html>\n";

std::string_view status_line_rest(RequestAction action) {
  switch (action) {
    case RequestAction::misdirected: return " 421 Misdirected Request\r\n";
    case RequestAction::redirect: return " 302 Found\r\n";
    case RequestAction::block:
    case RequestAction::forward: break;
  }
  return " 403 Forbidden\r\n";
}

std::string response(RequestAction action, std::string_view version, std::string_view page,
                     std::string_view location) {
  std::string out;
  out.reserve(200 + location.size() + page.size());
  out.append("HTTP/").append(version).append(status_line_rest(action));
  out.append("Content-Type: text/html; charset=utf-8\r\n");
  out.append("Content-Length: ").append(std::to_string(page.size())).append("\r\n");
  out.append("Cache-Control: no-store\r\nConnection: close\r\n");
  if (action == RequestAction::redirect) {
    out.append("Location: ");
    for (const char c : location) {  // no control character can end the field early
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
    }
    out.append("\r\n");
  }
  out.append("\r\n").append(page);
  return out;
}

}  // namespace

std::string http1_gate_response(const RequestAnswer& answer, std::string_view version) {
  return response(answer.action, version, answer.page, answer.location);
}

std::string http1_inspect_error_response() {
  return response(RequestAction::block, "1.1", inspect_error_page, {});
}

}  // namespace tlsgate::http

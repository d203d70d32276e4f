#include "gateway/icap/icap_request.hpp"

#include <cstdio>

namespace tlsgate::icap {
namespace {

std::string request_line(std::string_view method, const ServiceUri& service) {
  std::string out(method);
  out += ' ';
  out += service.uri();
  out += " ICAP/1.0\r\nHost: ";
  out += service.host_header();
  out += "\r\n";
  return out;
}

}  // namespace

std::string_view to_string(ScanKind kind) { return kind == ScanKind::respmod ? "RESPMOD" : "REQMOD"; }

std::string build_options(const ServiceUri& service) {
  return request_line("OPTIONS", service) + "Encapsulated: null-body=0\r\n\r\n";
}

std::string build_modification(ScanKind kind, const ServiceUri& service, const Encapsulation& message,
                               const RequestOptions& options) {
  // RFC 3507 4.4.1: each entry is the offset of its section from the end of
  // the ICAP head; the body entry (or null-body) comes last.
  std::string encapsulated;
  std::size_t offset = 0;
  const auto add = [&](std::string_view name, std::size_t size) {
    if (!encapsulated.empty()) encapsulated += ", ";
    encapsulated += name;
    encapsulated += '=';
    encapsulated += std::to_string(offset);
    offset += size;
  };
  if (!message.request_head.empty()) add("req-hdr", message.request_head.size());
  if (kind == ScanKind::respmod && !message.response_head.empty()) add("res-hdr", message.response_head.size());
  const bool reqmod = kind == ScanKind::reqmod;
  add(message.has_body ? (reqmod ? "req-body" : "res-body") : "null-body", 0);

  std::string out = request_line(to_string(kind), service);
  if (options.allow_204) out += "Allow: 204\r\n";
  if (options.preview && message.has_body) out += "Preview: " + std::to_string(*options.preview) + "\r\n";
  out += "Encapsulated: " + encapsulated + "\r\n\r\n";
  out += message.request_head;
  if (!reqmod) out += message.response_head;
  return out;
}

std::string chunk(std::string_view data) {
  if (data.empty()) return {};
  char size[24];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out(size, static_cast<std::size_t>(n));
  out.reserve(out.size() + data.size() + 2);
  out += data;
  out += "\r\n";
  return out;
}

std::string preview_end(bool whole_body) { return whole_body ? "0; ieof\r\n\r\n" : "0\r\n\r\n"; }

std::string body_end() { return "0\r\n\r\n"; }

bool is_complete_http_head(std::string_view head) { return head.ends_with("\r\n\r\n"); }

}  // namespace tlsgate::icap

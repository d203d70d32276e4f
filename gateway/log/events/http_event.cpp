#include "gateway/log/events/http_event.hpp"

#include "gateway/log/json_line.hpp"

namespace tlsgate::log {
namespace {

// `"key":"value"` after a comma.
void string_field(std::string& out, std::string_view key, std::string_view value) {
  append_key(out, key);
  append_string(out, value);
}

// `*value` written by `append`, or null: for std::optional and pointers alike.
template <class Nullable, class Append>
void value_or_null(std::string& out, const Nullable& value, Append append) {
  if (value) {
    append(out, *value);
  } else {
    append_null(out);
  }
}

void endpoint(std::string& out, std::string_view key, std::string_view ip, std::uint16_t port) {
  append_key(out, key);
  out.push_back('{');
  append_key(out, "ip", true);
  append_string(out, ip);
  append_key(out, "port");
  append_uint(out, port);
  out.push_back('}');
}

// The same bytes as dumping HeaderFields::to_json(): names are unique and already json_safe.
void headers(std::string& out, const http::HeaderFields& fields) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, value] : fields) {
    append_key(out, name, first);
    append_string(out, value);
    first = false;
  }
  out.push_back('}');
}

void message(std::string& out, std::string_view key, const http::HeaderFields& fields, std::uint64_t body_bytes,
             const std::optional<std::string>& content_type, const std::optional<std::string>& body_b64) {
  append_key(out, key);
  out.push_back('{');
  append_key(out, "headers", true);
  headers(out, fields);
  append_key(out, "body_bytes");
  append_uint(out, body_bytes);
  append_key(out, "content_type");
  append_optional_string(out, content_type);
  if (body_b64) string_field(out, "body_b64", *body_b64);
  out.push_back('}');
}

// {"service","result","threat"(null unless infected),"ms"[,"detail"][,"on_error"]}
void scan_field(std::string& out, std::string_view key, const HttpEventScan& scan) {
  append_key(out, key);
  out.push_back('{');
  append_key(out, "service", true);
  append_string(out, scan.service);
  string_field(out, "result", scan.result);
  append_key(out, "threat");
  if (scan.threat.empty()) append_null(out);
  else append_string(out, scan.threat);
  append_key(out, "ms");
  append_uint(out, scan.ms);
  if (!scan.detail.empty()) string_field(out, "detail", scan.detail);
  if (!scan.on_error.empty()) string_field(out, "on_error", scan.on_error);
  out.push_back('}');
}

}  // namespace

void write_http_event(std::string& out, const HttpEventFlow& flow, const http::HttpExchange& e,
                      const HttpEventAction& action) {
  out.clear();
  out.append("{\"event\":\"http\"");
  string_field(out, "ts", flow.ts);
  append_key(out, "flow_id");
  append_uint(out, flow.flow_id);
  string_field(out, "community_id", flow.community_id);
  endpoint(out, "client", flow.client_ip, flow.client_port);
  endpoint(out, "server", flow.server_ip, flow.server_port);
  append_key(out, "sni");
  value_or_null(out, flow.sni, append_string);
  string_field(out, "action", action.action);
  if (!action.reason.empty()) string_field(out, "reason", action.reason);
  if (action.rule) string_field(out, "rule", *action.rule);
  if (action.would_block) string_field(out, "would_block", *action.would_block);
  if (!action.header_rules.empty()) {
    append_key(out, "header_rules");
    out.push_back('[');
    for (std::size_t i = 0; i < action.header_rules.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_string(out, action.header_rules[i]);
    }
    out.push_back(']');
  }
  string_field(out, "http_version", e.http_version);
  string_field(out, "method", e.method);
  string_field(out, "scheme", e.scheme);
  string_field(out, "authority", e.authority);
  string_field(out, "path", e.path);
  append_key(out, "status");
  value_or_null(out, e.status, append_int);
  message(out, "request", e.request_headers, e.request_body_bytes, e.request_content_type, e.request_body_b64);
  message(out, "response", e.response_headers, e.response_body_bytes, e.response_content_type, e.response_body_b64);
  append_key(out, "timings");
  out.push_back('{');
  append_key(out, "ms_to_first_byte", true);
  value_or_null(out, e.ms_to_first_byte, append_double);
  append_key(out, "ms_to_end");
  value_or_null(out, e.ms_to_end, append_double);
  out.push_back('}');
  if (e.error) string_field(out, "error", *e.error);
  if (action.scan) scan_field(out, "scan", *action.scan);
  if (action.request_scan) scan_field(out, "request_scan", *action.request_scan);
  out.push_back('}');
}

}  // namespace tlsgate::log

#include "gateway/log/http_event.hpp"

#include "gateway/log/json_line.hpp"

namespace tlsgate::log {
namespace {

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
  if (body_b64) {
    append_key(out, "body_b64");
    append_string(out, *body_b64);
  }
  out.push_back('}');
}

void optional_double(std::string& out, const std::optional<double>& v) {
  if (v) {
    append_double(out, *v);
  } else {
    append_null(out);
  }
}

}  // namespace

void write_http_event(std::string& out, const HttpEventFlow& flow, const http::HttpExchange& e) {
  out.clear();
  out.append("{\"event\":\"http\"");
  append_key(out, "ts");
  append_string(out, flow.ts);
  append_key(out, "flow_id");
  append_uint(out, flow.flow_id);
  append_key(out, "community_id");
  append_string(out, flow.community_id);
  endpoint(out, "client", flow.client_ip, flow.client_port);
  endpoint(out, "server", flow.server_ip, flow.server_port);
  append_key(out, "sni");
  if (flow.sni) {
    append_string(out, *flow.sni);
  } else {
    append_null(out);
  }
  append_key(out, "http_version");
  append_string(out, e.http_version);
  append_key(out, "method");
  append_string(out, e.method);
  append_key(out, "scheme");
  append_string(out, e.scheme);
  append_key(out, "authority");
  append_string(out, e.authority);
  append_key(out, "path");
  append_string(out, e.path);
  append_key(out, "status");
  if (e.status) {
    append_int(out, *e.status);
  } else {
    append_null(out);
  }
  message(out, "request", e.request_headers, e.request_body_bytes, e.request_content_type, e.request_body_b64);
  message(out, "response", e.response_headers, e.response_body_bytes, e.response_content_type, e.response_body_b64);
  append_key(out, "timings");
  out.push_back('{');
  append_key(out, "ms_to_first_byte", true);
  optional_double(out, e.ms_to_first_byte);
  append_key(out, "ms_to_end");
  optional_double(out, e.ms_to_end);
  out.push_back('}');
  if (e.error) {
    append_key(out, "error");
    append_string(out, *e.error);
  }
  out.push_back('}');
}

}  // namespace tlsgate::log

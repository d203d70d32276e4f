#include "gateway/log/eve.hpp"

#include "gateway/ip_address.hpp"
#include "gateway/log/community_id.hpp"

namespace tlsgate::log {
namespace {

using nlohmann::ordered_json;

const ordered_json null_json;

// The member at `path` ("a/b/c"), or null when any step is missing.
const ordered_json& at(const ordered_json& j, std::initializer_list<const char*> path) {
  const ordered_json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return null_json;
    const auto it = cur->find(key);
    if (it == cur->end()) return null_json;
    cur = &*it;
  }
  return *cur;
}

// Sets `key` only when `value` is not null: EVE leaves unknown fields out.
void put(ordered_json& out, const char* key, const ordered_json& value) {
  if (!value.is_null()) out[key] = value;
}

void put_time(ordered_json& out, const char* key, const ordered_json& value) {
  if (value.is_string()) out[key] = eve_timestamp(value.get<std::string>());
}

// Suricata writes "TLS 1.2", "TLS 1.3"; OpenSSL and tlsgate "TLSv1.2".
std::string eve_tls_version(const std::string& v) {
  if (v.starts_with("TLSv1.") && v.size() == 7) return "TLS 1." + v.substr(6);
  return v;
}

// Certificate times without the zone, as Suricata prints them.
ordered_json cert_time(const ordered_json& v) {
  if (!v.is_string()) return nullptr;
  std::string s = v.get<std::string>();
  if (s.ends_with("Z")) s.pop_back();
  return s;
}

void header(ordered_json& out, const ordered_json& native, const char* event_type, const char* proto) {
  out["timestamp"] = eve_timestamp(at(native, {"ts"}).is_string() ? at(native, {"ts"}).get<std::string>() : "");
  put(out, "flow_id", at(native, {"flow_id"}));
  out["event_type"] = event_type;
  put(out, "src_ip", at(native, {"client", "ip"}));
  put(out, "src_port", at(native, {"client", "port"}));
  put(out, "dest_ip", at(native, {"server", "ip"}));
  put(out, "dest_port", at(native, {"server", "port"}));
  out["proto"] = proto;
}

// The native fields listed, copied under `tlsgate`.
ordered_json keep(const ordered_json& native, std::initializer_list<const char*> keys) {
  ordered_json out = ordered_json::object();
  for (const char* k : keys) put(out, k, at(native, {k}));
  return out;
}

ordered_json tls_object(const ordered_json& native) {
  const ordered_json& tls = at(native, {"tls"});
  ordered_json out = ordered_json::object();
  put(out, "sni", at(native, {"sni"}));
  const ordered_json& version = at(tls, {"client", "negotiated", "version"}).is_string()
                                    ? at(tls, {"client", "negotiated", "version"})
                                    : at(tls, {"upstream", "version"});
  if (version.is_string()) out["version"] = eve_tls_version(version.get<std::string>());
  // The certificate the real server presented (the client saw a forged copy: see tlsgate.tls.forged).
  const ordered_json& cert = at(tls, {"upstream", "cert"});
  put(out, "subject", at(cert, {"subject"}));
  put(out, "issuerdn", at(cert, {"issuer"}));
  put(out, "notbefore", cert_time(at(cert, {"not_before"})));
  put(out, "notafter", cert_time(at(cert, {"not_after"})));
  if (at(tls, {"client", "ja3"}).is_string()) out["ja3"] = {{"hash", at(tls, {"client", "ja3"})}};
  put(out, "ja4", at(tls, {"client", "ja4"}));
  put(out, "client_alpns", at(tls, {"client", "alpn"}));
  const ordered_json& alpn = at(tls, {"client", "negotiated", "alpn"});
  if (alpn.is_string()) out["server_alpns"] = ordered_json::array({alpn});
  return out;
}

ordered_json flow_event(const ordered_json& native) {
  ordered_json out;
  header(out, native, "flow", "TCP");
  const std::string proto = at(native, {"proto"}).is_string() ? at(native, {"proto"}).get<std::string>() : "";
  if (proto == "tls" || proto == "http") out["app_proto"] = proto;
  if (proto == "unknown") out["app_proto"] = "failed";  // Suricata's word for "detection failed"
  put(out, "community_id", at(native, {"community_id"}));
  ordered_json flow;
  put(flow, "bytes_toserver", at(native, {"bytes", "from_client"}));
  put(flow, "bytes_toclient", at(native, {"bytes", "to_client"}));
  put_time(flow, "start", at(native, {"start"}));
  put_time(flow, "end", at(native, {"ts"}));
  const ordered_json& ms = at(native, {"duration_ms"});
  if (ms.is_number()) flow["age"] = static_cast<long long>(ms.get<double>() / 1000);
  flow["state"] = "closed";
  const ordered_json& by = at(native, {"end", "by"});
  flow["reason"] = by == "shutdown" ? "shutdown" : by == "timeout" ? "timeout" : "forced";
  flow["alerted"] = at(native, {"reason"}) == "content_blocked";  // a scan withheld infected content
  out["flow"] = std::move(flow);
  if (proto == "tls") out["tls"] = tls_object(native);
  out["tlsgate"] = keep(native, {"action", "reason", "policy", "end", "duration_ms", "proto", "host", "sni", "tls",
                                 "http", "inspect_error", "bypass_error"});
  return out;
}

ordered_json header_list(const ordered_json& headers) {
  ordered_json out = ordered_json::array();
  if (!headers.is_object()) return out;
  for (const auto& [name, value] : headers.items()) out.push_back({{"name", name}, {"value", value}});
  return out;
}

ordered_json http_event(const ordered_json& native) {
  ordered_json out;
  header(out, native, "http", "TCP");
  const ordered_json& version = at(native, {"http_version"});
  out["app_proto"] = version == "2" ? "http2" : "http";
  put(out, "community_id", at(native, {"community_id"}));
  ordered_json http;
  put(http, "hostname", at(native, {"authority"}));
  put(http, "url", at(native, {"path"}));
  put(http, "http_user_agent", at(native, {"request", "headers", "user-agent"}));
  put(http, "http_content_type", at(native, {"response", "content_type"}));
  put(http, "http_refer", at(native, {"request", "headers", "referer"}));
  put(http, "http_method", at(native, {"method"}));
  if (version.is_string()) http["protocol"] = "HTTP/" + version.get<std::string>();
  put(http, "status", at(native, {"status"}));
  put(http, "length", at(native, {"response", "body_bytes"}));
  put(http, "http_request_body", at(native, {"request", "body_b64"}));
  put(http, "http_response_body", at(native, {"response", "body_b64"}));
  http["request_headers"] = header_list(at(native, {"request", "headers"}));
  http["response_headers"] = header_list(at(native, {"response", "headers"}));
  out["http"] = std::move(http);
  // Infected content (a download, or an upload) is an alert in Suricata's shape, so EVE consumers
  // see it where they look.
  for (const char* key : {"request_scan", "scan"}) {
    const ordered_json& scan = at(native, {key});
    if (at(scan, {"result"}) != "infected") continue;
    const ordered_json& threat = at(scan, {"threat"});
    out["alert"] = {{"action", "blocked"},
                    {"signature", "tlsgate content scan: " + (threat.is_string() ? threat.get<std::string>() : "")},
                    {"category", "Malware"},
                    {"severity", 1}};
    break;
  }
  ordered_json extra = keep(native, {"scheme", "sni", "action", "reason", "rule", "would_block", "header_rules", "timings",
                                     "error", "scan", "request_scan"});
  extra["request"] = keep(at(native, {"request"}), {"body_bytes", "content_type"});
  out["tlsgate"] = std::move(extra);
  return out;
}

ordered_json quic_event(const ordered_json& native) {
  ordered_json out;
  header(out, native, "quic", "UDP");
  out["app_proto"] = "quic";
  const auto c = IpAddress::parse(at(native, {"client", "ip"}).is_string() ? at(native, {"client", "ip"}).get<std::string>() : "");
  const auto s = IpAddress::parse(at(native, {"server", "ip"}).is_string() ? at(native, {"server", "ip"}).get<std::string>() : "");
  const ordered_json& cport = at(native, {"client", "port"});
  const ordered_json& sport = at(native, {"server", "port"});
  if (c && s && cport.is_number_unsigned() && sport.is_number_unsigned())
    out["community_id"] = community_id(Endpoint{*c, cport.get<std::uint16_t>()}, Endpoint{*s, sport.get<std::uint16_t>()},
                                       ip_proto_udp);
  ordered_json quic = ordered_json::object();
  put(quic, "version", at(native, {"version"}));
  put(quic, "sni", at(native, {"sni"}));
  out["quic"] = std::move(quic);
  out["tlsgate"] = keep(native, {"verdict", "policy", "reason", "alpn", "packets_held"});
  return out;
}

}  // namespace

std::string eve_timestamp(const std::string& t) {
  if (t.ends_with("Z")) return t.substr(0, t.size() - 1) + "+0000";
  return t;
}

ordered_json to_eve(const ordered_json& native) {
  const ordered_json& event = at(native, {"event"});
  if (event == "flow") return flow_event(native);
  if (event == "http") return http_event(native);
  if (event == "quic") return quic_event(native);
  ordered_json out;
  put_time(out, "timestamp", at(native, {"ts"}));
  out["event_type"] = "tlsgate";
  ordered_json rest = native;
  if (rest.is_object()) rest.erase("ts");
  out["tlsgate"] = std::move(rest);
  return out;
}

}  // namespace tlsgate::log

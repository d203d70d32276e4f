#include "gateway/config.hpp"

#include "gateway/json_limits.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace tlsgate {
namespace {

// A PCAP-over-IP token shorter than this is guessable.
constexpr std::size_t min_pcap_token_chars = 16;

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& what) {
  throw ConfigError(source + ": " + key + ": " + what);
}

// Reads one object's keys through a table of handlers so that every key not in
// the table is reported, with its full path.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string source, std::string path)
      : object_(object), source_(std::move(source)), path_(std::move(path)) {
    if (!object_.is_object()) fail(source_, path_.empty() ? "/" : path_, "must be an object");
  }

  template <class F>
  ObjectReader& on(const std::string& key, F&& handler) {
    handlers_.emplace(key, std::forward<F>(handler));
    return *this;
  }

  void run() const {
    for (const auto& [key, value] : object_.items()) {
      const auto it = handlers_.find(key);
      if (it == handlers_.end()) fail(source_, path_ + "/" + key, "unknown key");
      it->second(value, path_ + "/" + key);
    }
  }

 private:
  const json& object_;
  std::string source_;
  std::string path_;
  std::map<std::string, std::function<void(const json&, const std::string&)>> handlers_;
};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  std::string string(const json& v, const std::string& key) const {
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      fail(source_, key, "must be a non-empty string");
    return v.get<std::string>();
  }
  std::optional<std::string> optional_string(const json& v, const std::string& key) const {
    if (v.is_null()) return std::nullopt;
    return string(v, key);
  }
  bool boolean(const json& v, const std::string& key) const {
    if (!v.is_boolean()) fail(source_, key, "must be true or false");
    return v.get<bool>();
  }
  std::uint64_t integer(const json& v, const std::string& key, std::uint64_t min, std::uint64_t max) const {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      fail(source_, key, "must be a non-negative integer");
    const auto n = v.get<std::uint64_t>();
    if (n < min || n > max)
      fail(source_, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
  }
  template <class T>
  T choice(const json& v, const std::string& key, const std::map<std::string, T>& options) const {
    std::string names;
    for (const auto& [name, value] : options) names += (names.empty() ? "" : ", ") + name;
    if (!v.is_string()) fail(source_, key, "must be one of: " + names);
    const auto it = options.find(v.get<std::string>());
    if (it == options.end()) fail(source_, key, "must be one of: " + names);
    return it->second;
  }
  std::vector<std::uint16_t> ports(const json& v, const std::string& key) const {
    if (!v.is_array()) fail(source_, key, "must be an array of port numbers");
    std::vector<std::uint16_t> out;
    for (std::size_t i = 0; i < v.size(); ++i)
      out.push_back(static_cast<std::uint16_t>(integer(v[i], key + "/" + std::to_string(i), 1, 65535)));
    return out;
  }
  IpAddress address(const json& v, const std::string& key) const {
    const auto ip = v.is_string() ? IpAddress::parse(v.get<std::string>()) : std::nullopt;
    if (!ip) fail(source_, key, "must be an IPv4 or IPv6 address");
    return *ip;
  }
  // Address prefixes ("10.10.1.0/24", "fd00::/8", a bare address) as text: the
  // rooms above make them CIDRs; the shape is checked here so a typo names its key.
  std::vector<std::string> prefixes(const json& v, const std::string& key) const {
    if (!v.is_array()) fail(source_, key, "must be an array of address prefixes");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string k = key + "/" + std::to_string(i);
      const std::string text = string(v[i], k);
      const auto slash = text.find('/');
      const auto ip = IpAddress::parse(std::string_view(text).substr(0, slash));
      bool ok = ip.has_value();
      if (ok && slash != std::string::npos) {
        const std::string bits = text.substr(slash + 1);
        const unsigned max = ip->is_v4() ? 32 : 128;
        ok = !bits.empty() && bits.size() <= 3 && bits.find_first_not_of("0123456789") == std::string::npos &&
             std::stoul(bits) <= max;
      }
      if (!ok) fail(source_, k, "must be an address or an address prefix (10.10.1.0/24, fd00::/8)");
      out.push_back(text);
    }
    return out;
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

ListenerConfig parse_listener(const json& v, const std::string& path, const Reader& r) {
  ListenerConfig l;
  bool has_port = false;
  ObjectReader(v, r.source(), path)
      .on("mode", [&](const json& x, const std::string& k) {
        l.mode = r.choice<RedirectMode>(x, k, {{"redirect", RedirectMode::redirect}, {"tproxy", RedirectMode::tproxy}});
      })
      .on("address", [&](const json& x, const std::string& k) { l.address = r.address(x, k); })
      .on("port", [&](const json& x, const std::string& k) {
        l.port = static_cast<std::uint16_t>(r.integer(x, k, 1, 65535));
        has_port = true;
      })
      .run();
  if (!has_port) fail(r.source(), path + "/port", "is required");
  return l;
}

void parse_quic_guard(const json& v, const std::string& path, const Reader& r, QuicGuardConfig& q) {
  ObjectReader(v, r.source(), path)
      .on("enabled", [&](const json& x, const std::string& k) { q.enabled = r.boolean(x, k); })
      .on("queue", [&](const json& x, const std::string& k) { q.queue = static_cast<std::uint16_t>(r.integer(x, k, 0, 65535)); })
      .on("fail_closed", [&](const json& x, const std::string& k) { q.fail_closed = r.boolean(x, k); })
      .on("unparseable", [&](const json& x, const std::string& k) {
        q.unparseable = r.choice<QuicUnparseable>(x, k, {{"drop", QuicUnparseable::drop}, {"accept", QuicUnparseable::accept}});
      })
      .on("hold_packets", [&](const json& x, const std::string& k) { q.hold_packets = r.integer(x, k, 1, 64); })
      .on("hold_bytes", [&](const json& x, const std::string& k) { q.hold_bytes = r.integer(x, k, 1500, 1u << 20); })
      .on("hold_ms", [&](const json& x, const std::string& k) {
        q.hold_time = std::chrono::milliseconds(r.integer(x, k, 10, 10000));
      })
      .on("decided_entries", [&](const json& x, const std::string& k) { q.decided_entries = r.integer(x, k, 1, 10'000'000); })
      .on("decided_ttl_s", [&](const json& x, const std::string& k) {
        q.decided_ttl = std::chrono::seconds(r.integer(x, k, 1, 24 * 3600));
      })
      .run();
}

void parse_icap(const json& v, const std::string& path, const Reader& r, IcapClientConfig& icap) {
  const auto milliseconds = [&r](std::chrono::milliseconds& field, std::uint64_t min, std::uint64_t max) {
    return [&field, &r, min, max](const json& x, const std::string& k) {
      field = std::chrono::milliseconds(r.integer(x, k, min, max));
    };
  };
  ObjectReader(v, r.source(), path)
      .on("max_connections",
          [&](const json& x, const std::string& k) { icap.max_connections = static_cast<unsigned>(r.integer(x, k, 1, 256)); })
      .on("connect_timeout_ms", milliseconds(icap.connect_timeout, 10, 60000))
      .on("scan_timeout_ms", milliseconds(icap.scan_timeout, 100, 600000))
      .on("max_preview_bytes", [&](const json& x, const std::string& k) { icap.max_preview_bytes = r.integer(x, k, 0, 1u << 20); })
      .run();
}

// "127.0.0.1:57012" or "[::1]:57012"
Endpoint listen_endpoint(const json& v, const std::string& key, const Reader& r) {
  const auto endpoint = parse_host_port(r.string(v, key));
  if (!endpoint) fail(r.source(), key, "must be \"ADDRESS:PORT\" (\"127.0.0.1:57012\", \"[::1]:57012\")");
  return *endpoint;
}

void parse_pcap(const json& v, const std::string& path, const Reader& r, CaptureConfig& p) {
  ObjectReader(v, r.source(), path)
      .on("enabled", [&](const json& x, const std::string& k) { p.enabled = r.boolean(x, k); })
      .on("directory", [&](const json& x, const std::string& k) { p.directory = r.string(x, k); })
      .on("rotate_mb", [&](const json& x, const std::string& k) { p.rotate_bytes = r.integer(x, k, 1, 1u << 20) << 20; })
      .on("rotate_s", [&](const json& x, const std::string& k) {
        p.rotate_interval = std::chrono::seconds(r.integer(x, k, 0, 7 * 24 * 3600));
      })
      .on("files_kept", [&](const json& x, const std::string& k) { p.files_kept = r.integer(x, k, 0, 1'000'000); })
      .on("default", [&](const json& x, const std::string& k) { p.capture_default = r.boolean(x, k); })
      .on("tls_port_map", [&](const json& x, const std::string& k) { p.tls_port_map = static_cast<std::uint16_t>(r.integer(x, k, 0, 65535)); })
      .on("h2_port_map", [&](const json& x, const std::string& k) { p.h2_port_map = static_cast<std::uint16_t>(r.integer(x, k, 0, 65535)); })
      .on("plain_http", [&](const json& x, const std::string& k) { p.plain_http = r.boolean(x, k); })
      .on("queue_mb", [&](const json& x, const std::string& k) { p.queue_bytes = r.integer(x, k, 1, 4096) << 20; })
      .on("pcap_over_ip_listen", [&](const json& x, const std::string& k) {
        p.pcap_over_ip_listen = x.is_null() ? std::nullopt : std::optional(listen_endpoint(x, k, r));
      })
      .on("pcap_over_ip_socket", [&](const json& x, const std::string& k) { p.pcap_over_ip_socket = r.optional_string(x, k); })
      .on("pcap_over_ip_allow_remote", [&](const json& x, const std::string& k) { p.pcap_over_ip_allow_remote = r.boolean(x, k); })
      .on("pcap_over_ip_token", [&](const json& x, const std::string& k) {
        p.pcap_over_ip_token = r.optional_string(x, k);
        if (p.pcap_over_ip_token && p.pcap_over_ip_token->size() < min_pcap_token_chars)
          fail(r.source(), k, "must be at least " + std::to_string(min_pcap_token_chars) + " characters");
        if (p.pcap_over_ip_token && p.pcap_over_ip_token->find_first_of("\r\n") != std::string::npos)
          fail(r.source(), k, "must be one line");
      })
      .on("reader_buffer_mb", [&](const json& x, const std::string& k) { p.reader_buffer_bytes = r.integer(x, k, 1, 1024) << 20; })
      .run();
  // Decrypted traffic of every client: a TCP reader anywhere (loopback included: any local
  // user) must be allowed explicitly and prove itself with the token.
  if (p.pcap_over_ip_listen && (!p.pcap_over_ip_allow_remote || !p.pcap_over_ip_token))
    fail(r.source(), path + "/pcap_over_ip_listen",
         "a TCP listener needs pcap_over_ip_allow_remote: true and a pcap_over_ip_token (readers on this host: "
         "use pcap_over_ip_socket)");
}

void parse_top(const json& doc, Config& c, const Reader& r) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  auto ms = [&](auto& field, std::uint64_t min, std::uint64_t max) {
    return [&field, &r, min, max](const json& x, const std::string& k) { field = milliseconds(r.integer(x, k, min, max)); };
  };
  auto secs = [&](auto& field, std::uint64_t min, std::uint64_t max) {
    return [&field, &r, min, max](const json& x, const std::string& k) { field = seconds(r.integer(x, k, min, max)); };
  };
  auto size = [&](std::size_t& field, std::uint64_t min, std::uint64_t max) {
    return [&field, &r, min, max](const json& x, const std::string& k) { field = r.integer(x, k, min, max); };
  };
  auto flag = [&](bool& field) { return [&field, &r](const json& x, const std::string& k) { field = r.boolean(x, k); }; };
  auto opt_str = [&](std::optional<std::string>& field) {
    return [&field, &r](const json& x, const std::string& k) { field = r.optional_string(x, k); };
  };
  auto str = [&](std::string& field) { return [&field, &r](const json& x, const std::string& k) { field = r.string(x, k); }; };
  auto key_type = [&](std::string& field) {
    return [&field, &r](const json& x, const std::string& k) {
      field = r.choice<std::string>(x, k, {{"ec", "ec"}, {"rsa2048", "rsa2048"}, {"rsa3072", "rsa3072"}});
    };
  };
  constexpr std::uint64_t day_s = 24 * 3600;

  ObjectReader(doc, r.source(), "")
      .on("listeners", [&](const json& x, const std::string& k) {
        if (!x.is_array() || x.empty()) fail(r.source(), k, "must be a non-empty array of listeners");
        c.listeners.clear();
        for (std::size_t i = 0; i < x.size(); ++i) c.listeners.push_back(parse_listener(x[i], k + "/" + std::to_string(i), r));
      })
      .on("workers", [&](const json& x, const std::string& k) { c.workers = static_cast<unsigned>(r.integer(x, k, 0, 256)); })
      .on("flow_log", str(c.flow_log))
      .on("log_queue_lines", size(c.log_queue_lines, 16, 16u << 20))
      .on("log_queue_bytes", size(c.log_queue_bytes, 64 * 1024, std::size_t{4} << 30))
      .on("max_flows", size(c.max_flows, 0, 10'000'000))
      .on("max_flows_per_client", size(c.max_flows_per_client, 0, 10'000'000))
      .on("client_ipv6_prefix", [&](const json& x, const std::string& k) {
        c.client_ipv6_prefix = static_cast<unsigned>(r.integer(x, k, 32, 128));
      })
      .on("flow_log_format", [&](const json& x, const std::string& k) {
        c.flow_log_format = r.choice<FlowLogFormat>(x, k, {{"tlsgate", FlowLogFormat::tlsgate}, {"eve", FlowLogFormat::eve}});
      })
      .on("connect_timeout_ms", ms(c.connect_timeout, 10, 120000))
      .on("idle_timeout_s", secs(c.idle_timeout, 1, 7 * day_s))
      .on("shutdown_grace_s", secs(c.shutdown_grace, 0, 3600))
      .on("peek_timeout_ms", ms(c.peek_timeout, 10, 120000))
      .on("peek_max_bytes", size(c.peek_max_bytes, 16 * 1024, 1024 * 1024))
      .on("tls_ports", [&](const json& x, const std::string& k) { c.tls_ports = r.ports(x, k); })
      .on("http_ports", [&](const json& x, const std::string& k) { c.http_ports = r.ports(x, k); })
      .on("forbidden_destinations",
          [&](const json& x, const std::string& k) { c.forbidden_destinations = r.prefixes(x, k); })
      .on("upstream_mark", [&](const json& x, const std::string& k) {
        c.upstream_mark = static_cast<std::uint32_t>(r.integer(x, k, 0, 0xffffffffu));
      })
      .on("default_action", [&](const json& x, const std::string& k) {
        c.default_action = r.choice<DefaultAction>(x, k, {{"intercept", DefaultAction::intercept}, {"tunnel", DefaultAction::tunnel}});
      })
      .on("policy_file", opt_str(c.policy_file))
      .on("upstream_cert_error", [&](const json& x, const std::string& k) {
        c.upstream_cert_error = r.choice<UpstreamCertError>(x, k, {{"tunnel", UpstreamCertError::tunnel}, {"reject", UpstreamCertError::reject}});
      })
      .on("unidentified", [&](const json& x, const std::string& k) {
        c.unidentified = r.choice<UnidentifiedFlow>(x, k, {{"reset", UnidentifiedFlow::reset}, {"tunnel", UnidentifiedFlow::tunnel}});
      })
      .on("state_dir", str(c.state_dir))
      .on("ca_cert", opt_str(c.ca_cert))
      .on("ca_key", opt_str(c.ca_key))
      .on("ca_key_type", key_type(c.ca_key_type))
      .on("leaf_key_type", key_type(c.leaf_key_type))
      .on("upstream_ca_file", opt_str(c.upstream_ca_file))
      .on("cert_cache_entries", size(c.cert_cache_entries, 1, 10'000'000))
      .on("upstream_session_cache_entries", size(c.upstream_session_cache_entries, 0, 10'000'000))
      .on("max_certificate_names", size(c.max_certificate_names, 16, 100'000))
      .on("keylog_file", opt_str(c.keylog_file))
      .on("learned_bypass", flag(c.learned_bypass))
      .on("learned_bypass_ttl_s", secs(c.learned_bypass_ttl, 1, 365 * day_s))
      .on("learned_bypass_all_clients", flag(c.learned_bypass_all_clients))
      .on("learned_bypass_weak_threshold", size(c.learned_bypass_weak_threshold, 1, 1000))
      .on("learned_bypass_weak_window_s", secs(c.learned_bypass_weak_window, 1, 7 * day_s))
      .on("learned_bypass_max_per_client", size(c.learned_bypass_max_per_client, 1, 100'000))
      .on("learned_bypass_clients",
          [&](const json& x, const std::string& k) { c.learned_bypass_clients = r.prefixes(x, k); })
      .on("learned_bypass_all_clients_min_clients", size(c.learned_bypass_all_clients_min_clients, 1, 1000))
      .on("control_socket", opt_str(c.control_socket))
      .on("http_inspect", flag(c.http_inspect))
      .on("http_max_header_bytes", size(c.http_max_header_bytes, 1024, 16u << 20))
      .on("http_max_header_fields", size(c.http_max_header_fields, 8, 100'000))
      .on("http_max_exchange_header_bytes", size(c.http_max_exchange_header_bytes, 2048, 64u << 20))
      .on("http_body_capture_bytes", size(c.http_body_capture_bytes, 0, 1u << 20))
      .on("http_redact", flag(c.http_redact))
      .on("quic_guard", [&](const json& x, const std::string& k) { parse_quic_guard(x, k, r, c.quic_guard); })
      .on("pcap", [&](const json& x, const std::string& k) { parse_pcap(x, k, r, c.pcap); })
      .on("icap", [&](const json& x, const std::string& k) { parse_icap(x, k, r, c.icap); })
      // Operations
      .on("user", opt_str(c.user))
      .on("metrics_listen", [&](const json& x, const std::string& k) {
        if (x.is_null()) return c.metrics_listen.reset();
        c.metrics_listen = parse_host_port(r.string(x, k));
        if (!c.metrics_listen) fail(r.source(), k, "must be address:port, e.g. 127.0.0.1:9101 or [::1]:9101");
      })
      .on("metrics_max_connections", size(c.metrics_max_connections, 1, 1024))
      .on("portal_listen", [&](const json& x, const std::string& k) {
        if (x.is_null()) return c.portal_listen.reset();
        c.portal_listen = parse_host_port(r.string(x, k));
        if (!c.portal_listen) fail(r.source(), k, "must be address:port, e.g. 10.10.1.1:8080 or [fd10:1::1]:8080");
      })
      .on("portal_redirect_failing_clients", flag(c.portal_redirect_failing_clients))
      .on("block_page_text", [&](const json& x, const std::string& k) {
        c.block_page_text = r.string(x, k);
        if (c.block_page_text.size() > max_block_page_text_bytes ||
            c.block_page_text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
          fail(r.source(), k, "must be one line of at most " + std::to_string(max_block_page_text_bytes) + " bytes");
      })
      .on("block_page_file", opt_str(c.block_page_file))
      .on("log_level", [&](const json& x, const std::string& k) {
        c.log_level = r.choice<std::string>(
            x, k, {{"error", "error"}, {"warning", "warning"}, {"notice", "notice"}, {"info", "info"}, {"debug", "debug"}});
      })
      .run();

  if (c.portal_redirect_failing_clients && !c.portal_listen)
    fail(r.source(), "/portal_redirect_failing_clients", "needs portal_listen (the page clients are sent to)");
  if (c.ca_cert.has_value() != c.ca_key.has_value())
    fail(r.source(), c.ca_cert ? "/ca_key" : "/ca_cert", "ca_cert and ca_key must be given together");
}

}  // namespace

std::optional<Endpoint> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  unsigned port = 0;
  for (const char ch : port_text) {
    if (ch < '0' || ch > '9' || port > 65535) return std::nullopt;
    port = port * 10 + static_cast<unsigned>(ch - '0');
  }
  const auto ip = IpAddress::parse(host);
  if (!ip || port == 0 || port > 65535) return std::nullopt;
  return Endpoint{*ip, static_cast<std::uint16_t>(port)};
}

bool Config::is_tls_port(std::uint16_t port) const {
  return std::find(tls_ports.begin(), tls_ports.end(), port) != tls_ports.end();
}

bool Config::is_http_port(std::uint16_t port) const {
  return std::find(http_ports.begin(), http_ports.end(), port) != http_ports.end();
}

unsigned Config::worker_threads() const { return workers ? workers : std::max(1u, std::thread::hardware_concurrency()); }

Config parse_config(const std::string& json_text, const std::string& source) {
  if (json_text.size() > max_config_file_bytes)
    throw ConfigError(source + ": the config file is larger than " + std::to_string(max_config_file_bytes >> 20) +
                      " MiB");
  if (const auto deep = json_too_deep(json_text, max_config_depth))
    throw ConfigError(source + ": JSON nested deeper than " + std::to_string(max_config_depth) + " levels at byte " +
                      std::to_string(*deep));
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw ConfigError(source + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
  Config c;
  parse_top(doc, c, Reader(source));
  return c;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open config file");
  // Read at most one byte past the cap: parse_config then names the problem.
  std::string text(max_config_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_config(text, path);
}

}  // namespace tlsgate

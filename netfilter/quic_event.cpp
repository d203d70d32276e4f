#include "netfilter/quic_event.hpp"

#include <array>
#include <cstdio>

#include "gateway/flow/record.hpp"

namespace tlsgate::netfilter {

std::string version_name(std::uint32_t version) {
  if (version == static_cast<std::uint32_t>(QuicVersion::v1)) return "1";
  if (version == static_cast<std::uint32_t>(QuicVersion::v2)) return "2";
  std::array<char, 16> hex{};
  std::snprintf(hex.data(), hex.size(), "0x%08x", version);
  return hex.data();
}

nlohmann::ordered_json quic_json(const QuicRecord& r, std::chrono::system_clock::time_point ts) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["event"] = "quic";
  j["ts"] = rfc3339_utc(ts);
  j["client"] = {{"ip", r.client.ip.to_string()}, {"port", r.client.port}};
  j["server"] = {{"ip", r.server.ip.to_string()}, {"port", r.server.port}};
  j["version"] = r.version ? version_name(*r.version) : "unknown";
  j["sni"] = r.sni ? ordered_json(*r.sni) : ordered_json(nullptr);
  j["alpn"] = r.alpn;
  j["verdict"] = to_string(r.verdict);
  j["policy"] = r.decision ? ordered_json{{"rule", r.decision->rule}, {"action", policy::to_string(r.decision->action)}}
                           : ordered_json(nullptr);
  j["packets_held"] = r.packets_held;
  j["reason"] = r.reason;
  return j;
}

}  // namespace tlsgate::netfilter

#include "netfilter/quic_event.hpp"

#include <array>
#include <cstdio>

#include "gateway/log/events/fields.hpp"

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
  j["ts"] = log::rfc3339_utc(ts);
  j["client"] = log::endpoint_json(r.client);
  j["server"] = log::endpoint_json(r.server);
  j["version"] = r.version ? version_name(*r.version) : "unknown";
  j["sni"] = log::optional_text(r.sni);
  j["alpn"] = r.alpn;
  j["verdict"] = to_string(r.verdict);
  j["policy"] = r.decision ? log::policy_json(*r.decision) : ordered_json(nullptr);
  j["packets_held"] = r.packets_held;
  j["reason"] = r.reason;
  return j;
}

}  // namespace tlsgate::netfilter

#include "gateway/log/events/fields.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace tlsgate::log {

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 16> frac{};
  std::snprintf(frac.data(), frac.size(), ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf.data(), n) + frac.data();
}

nlohmann::ordered_json endpoint_json(const Endpoint& endpoint) {
  return {{"ip", endpoint.ip.to_string()}, {"port", endpoint.port}};
}

nlohmann::ordered_json policy_json(const policy::Decision& decision) {
  nlohmann::ordered_json j = {{"rule", decision.rule}, {"action", policy::to_string(decision.action)}};
  if (decision.would_block) j["would_block"] = *decision.would_block;
  return j;
}

nlohmann::ordered_json optional_text(const std::optional<std::string>& text) {
  return text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
}

}  // namespace tlsgate::log

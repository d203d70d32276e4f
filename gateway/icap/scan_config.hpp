#pragma once
// A policy rule's "scan" object as data, read by a pure function:
//   "scan": {"service": "icap://127.0.0.1:1344/avscan", "respmod": true, "reqmod": false,
//            "max_bytes": 10485760, "on_error": "allow|block", "content_types": ["application/*"]}
// Errors name the key ("scan.max_bytes: ..."), so the policy reader can put
// its rule's location in front.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gateway/icap/service_uri.hpp"

namespace tlsgate::icap {

constexpr std::size_t default_scan_max_bytes = 10u << 20;
constexpr std::size_t max_scan_max_bytes = 1u << 30;  // a body held for a verdict, in memory or spooled

struct ScanConfig {
  ServiceUri service;
  bool respmod = true;  // scan response bodies (downloads)
  bool reqmod = false;  // scan request bodies (uploads)
  std::size_t max_bytes = default_scan_max_bytes;
  enum class OnError { allow, block };
  // When the scan cannot give a verdict (server down, timeout, body past
  // max_bytes): deliver unscanned, or block. Fail closed by default.
  OnError on_error = OnError::block;
  // Lower-case media types, "type/subtype" or "type/*"; empty: every body.
  std::vector<std::string> content_types;

  // Whether a body with this Content-Type value (parameters allowed) is
  // scanned. A body without a Content-Type matches only an empty list.
  bool scans_content_type(std::string_view content_type) const;
};

std::string_view to_string(ScanConfig::OnError on_error);  // "allow", "block"

// Reads the "scan" value. nullopt with `error` set ("scan.KEY: why") when it
// is not an object, has an unknown key, a key of the wrong type, a bad
// service, max_bytes outside 1..max_scan_max_bytes, or scans nothing.
std::optional<ScanConfig> parse_scan_config(const nlohmann::json& scan, std::string& error);

}  // namespace tlsgate::icap

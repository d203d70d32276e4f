#include "gateway/icap/scan_config.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/icap/text.hpp"

namespace tlsgate::icap {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

// "type/subtype" or "type/*", token characters only.
bool is_media_range(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  const auto type = s.substr(0, slash);
  const auto subtype = s.substr(slash + 1);
  const auto token = [](std::string_view t) {
    return std::all_of(t.begin(), t.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
    });
  };
  return token(type) && (subtype == "*" || token(subtype));
}

std::optional<ScanConfig> fail(std::string& error, std::string_view key, std::string_view why) {
  error = "scan";
  if (!key.empty()) error.append(".").append(key);
  error.append(": ").append(why);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ScanConfig::OnError on_error) {
  return on_error == ScanConfig::OnError::allow ? "allow" : "block";
}

bool ScanConfig::scans_content_type(std::string_view content_type) const {
  if (content_types.empty()) return true;
  const std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (media.empty()) return false;
  const auto slash = media.find('/');
  return std::any_of(content_types.begin(), content_types.end(), [&](const std::string& range) {
    if (range.ends_with("/*"))
      return slash != std::string::npos && media.compare(0, slash + 1, range, 0, range.size() - 1) == 0;
    return range == media;
  });
}

std::optional<ScanConfig> parse_scan_config(const nlohmann::json& scan, std::string& error) {
  if (!scan.is_object()) return fail(error, "", "must be an object");
  ScanConfig out;
  bool has_service = false;
  for (const auto& [key, value] : scan.items()) {
    if (key == "service") {
      if (!value.is_string()) return fail(error, key, "must be a string (icap://127.0.0.1:1344/avscan)");
      std::string why;
      const auto uri = parse_service_uri(value.get<std::string>(), why);
      if (!uri) return fail(error, key, why);
      out.service = *uri;
      has_service = true;
    } else if (key == "respmod" || key == "reqmod") {
      if (!value.is_boolean()) return fail(error, key, "must be true or false");
      (key == "respmod" ? out.respmod : out.reqmod) = value.get<bool>();
    } else if (key == "max_bytes") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0 ||
          value.get<std::uint64_t>() > max_scan_max_bytes) {
        return fail(error, key, "must be a whole number of bytes from 1 to " + std::to_string(max_scan_max_bytes));
      }
      out.max_bytes = value.get<std::size_t>();
    } else if (key == "on_error") {
      if (value != "allow" && value != "block") return fail(error, key, "must be \"allow\" or \"block\"");
      out.on_error = value == "allow" ? ScanConfig::OnError::allow : ScanConfig::OnError::block;
    } else if (key == "content_types") {
      if (!value.is_array()) return fail(error, key, "must be a list of media types (\"application/*\")");
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string where = key + "[" + std::to_string(i) + "]";
        if (!value[i].is_string()) return fail(error, where, "must be a string");
        std::string range = lower(value[i].get<std::string>());
        if (!is_media_range(range)) return fail(error, where, "must be a media type, type/subtype or type/*");
        out.content_types.push_back(std::move(range));
      }
    } else {
      return fail(error, key, "unknown key (service, respmod, reqmod, max_bytes, on_error, content_types)");
    }
  }
  if (!has_service) return fail(error, "service", "is required (icap://127.0.0.1:1344/avscan)");
  if (!out.respmod && !out.reqmod)
    return fail(error, "", "respmod and reqmod are both false: nothing would be scanned");
  return out;
}

}  // namespace tlsgate::icap

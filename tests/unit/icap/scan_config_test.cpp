// parse_scan_config: the documented example, defaults, content-type matching, and each
// refusal naming its key.
#include "gateway/icap/scan_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tlsgate::icap {
namespace {

using nlohmann::json;

TEST(ScanConfig, TheDocumentedExample) {
  std::string error;
  const auto c = parse_scan_config(json::parse(R"({"service": "icap://127.0.0.1:1344/avscan", "respmod": true,
      "reqmod": false, "max_bytes": 10485760, "on_error": "allow", "content_types": ["Application/*", "text/html"]})"),
                                   error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->service.uri(), "icap://127.0.0.1:1344/avscan");
  EXPECT_TRUE(c->respmod);
  EXPECT_FALSE(c->reqmod);
  EXPECT_EQ(c->max_bytes, 10485760u);
  EXPECT_EQ(c->on_error, ScanConfig::OnError::allow);
  EXPECT_TRUE(c->scans_content_type("application/octet-stream"));
  EXPECT_TRUE(c->scans_content_type("Application/ZIP; name=x"));
  EXPECT_TRUE(c->scans_content_type("text/html;charset=utf-8"));
  EXPECT_FALSE(c->scans_content_type("text/plain"));
  EXPECT_FALSE(c->scans_content_type("application"));
  EXPECT_FALSE(c->scans_content_type(""));
}

TEST(ScanConfig, Defaults) {
  std::string error;
  const auto c = parse_scan_config(json{{"service", "icap://10.0.0.1/avscan"}}, error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->respmod);
  EXPECT_FALSE(c->reqmod);
  EXPECT_EQ(c->max_bytes, default_scan_max_bytes);
  EXPECT_EQ(c->on_error, ScanConfig::OnError::block);
  EXPECT_TRUE(c->scans_content_type(""));
  EXPECT_TRUE(c->scans_content_type("anything/at-all"));
}

TEST(ScanConfig, RefusalsNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "scan: must be an object"},
      {R"({})", "scan.service: is required"},
      {R"({"service": 1})", "scan.service: must be a string"},
      {R"({"service": "icap://example.com/avscan"})", "scan.service: the host must be an IP address"},
      {R"({"service": "icap://127.0.0.1/avscan", "respmod": "yes"})", "scan.respmod: must be true or false"},
      {R"({"service": "icap://127.0.0.1/avscan", "respmod": false})", "scan: respmod and reqmod are both false"},
      {R"({"service": "icap://127.0.0.1/avscan", "max_bytes": 0})", "scan.max_bytes: must be a whole number"},
      {R"({"service": "icap://127.0.0.1/avscan", "max_bytes": -5})", "scan.max_bytes"},
      {R"({"service": "icap://127.0.0.1/avscan", "max_bytes": 1.5})", "scan.max_bytes"},
      {R"({"service": "icap://127.0.0.1/avscan", "max_bytes": 2147483648})", "scan.max_bytes"},
      {R"({"service": "icap://127.0.0.1/avscan", "on_error": "ignore"})",
       "scan.on_error: must be \"allow\" or \"block\""},
      {R"({"service": "icap://127.0.0.1/avscan", "content_types": "text/html"})", "scan.content_types: must be a list"},
      {R"({"service": "icap://127.0.0.1/avscan", "content_types": [1]})", "scan.content_types[0]: must be a string"},
      {R"({"service": "icap://127.0.0.1/avscan", "content_types": ["text/html", "html"]})",
       "scan.content_types[1]: must be a media type"},
      {R"({"service": "icap://127.0.0.1/avscan", "content_types": ["*/*"]})", "scan.content_types[0]"},
      {R"({"service": "icap://127.0.0.1/avscan", "max_size": 5})", "scan.max_size: unknown key"},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(parse_scan_config(json::parse(text), error));
    EXPECT_TRUE(error.starts_with(want)) << error;
  }
}

}  // namespace
}  // namespace tlsgate::icap

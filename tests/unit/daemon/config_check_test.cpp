#include "gateway/daemon/config_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/tls/certificate_authority.hpp"

namespace tlsgate {
namespace {

namespace fs = std::filesystem;

class ConfigCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tlsgate-check-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.state_dir = (dir_ / "state").string();
    config_.flow_log = (dir_ / "flows.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  static bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  fs::path dir_;
  Config config_;
};

TEST_F(ConfigCheck, DefaultsPassWithoutCreatingACa) {
  const auto r = check_config(config_);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_TRUE(mentions(r.ok, "created at first start"));
  EXPECT_FALSE(fs::exists(config_.state_dir));
}

TEST_F(ConfigCheck, SaysHowMaxFlowsFitsTheFileLimit) {
  const auto r = check_config(config_);
  EXPECT_TRUE(mentions(r.ok, "max_flows 16384")) << r.ok.back();
  EXPECT_TRUE(mentions(r.ok, "LimitNOFILE"));
}

TEST_F(ConfigCheck, LoadsTheCaInStateDir) {
  fs::create_directories(config_.state_dir);
  tls::CertificateAuthority::create(tls::KeyType::ec_p256)
      .save(tls::CertificateAuthority::cert_path_in(config_.state_dir),
            tls::CertificateAuthority::key_path_in(config_.state_dir), false);
  const auto r = check_config(config_);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(mentions(r.ok, "key matches"));
}

TEST_F(ConfigCheck, ReportsEachProblemByKey) {
  std::ofstream(path("policy.json")) << R"({"default": "sometimes"})";
  config_.policy_file = path("policy.json");
  config_.ca_cert = path("missing.crt");
  config_.ca_key = path("missing.key");
  config_.flow_log = path("no/dir/flows.jsonl");
  config_.upstream_ca_file = path("missing-bundle.pem");
  config_.user = "no-such-user-tlsgate-test";
  const auto r = check_config(config_);
  for (const char* key : {"/policy_file", "/ca_cert", "/flow_log", "/upstream_ca_file", "/user"}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(mentions(r.errors, key));
  }
}

TEST_F(ConfigCheck, AnOnboardRuleNeedsThePortal) {
  std::ofstream(path("policy.json")) << R"({"default": "intercept", "rules": [
      {"name": "guests", "port": 80, "action": "onboard"}]})";
  config_.policy_file = path("policy.json");
  auto r = check_config(config_);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.front(), "/policy_file: " + path("policy.json") +
                                  ": rules[0]: \"onboard\" sends clients to the CA onboarding page, but the config "
                                  "has no portal_listen");
  config_.portal_listen = Endpoint{*IpAddress::parse("10.10.1.1"), 8080};
  r = check_config(config_);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
}

TEST_F(ConfigCheck, AScanRuleNeedsScansShorterThanTheIdleTimeout) {
  std::ofstream(path("policy.json")) << R"({"default": "intercept", "rules": [
      {"port": 80, "action": "tunnel"},
      {"name": "av", "port": 443, "action": "intercept", "scan": {"service": "icap://127.0.0.1:1344/avscan"}}]})";
  config_.policy_file = path("policy.json");
  config_.idle_timeout = std::chrono::seconds(20);
  auto r = check_config(config_);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.front(), "/policy_file: " + path("policy.json") +
                                  ": rules[1].scan: the config's icap.scan_timeout_ms (30000) is not below "
                                  "idle_timeout_s (20): a flow waiting for a verdict moves no bytes and would be "
                                  "closed as idle");
  config_.icap.scan_timeout = std::chrono::seconds(10);
  r = check_config(config_);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
}

}  // namespace
}  // namespace tlsgate

#include "gateway/capture/flow_capture.hpp"

#include <gtest/gtest.h>

#include "gateway/capture/capture_sink.hpp"
#include "gateway/flow/record.hpp"
#include "gateway/shared_state.hpp"

namespace tlsgate::capture {
namespace {

struct RecordingTap final : BridgeTap {
  std::string seen;
  void from_client(std::span<const std::uint8_t> b) override { seen += "c" + std::to_string(b.size()); }
  void from_server(std::span<const std::uint8_t> b) override { seen += "s" + std::to_string(b.size()); }
};

TEST(TeeTap, ShowsBothTapsInOrderAndCollapsesWhenOneIsMissing) {
  RecordingTap a, b;
  TeeTap both(&a, &b);
  const std::uint8_t bytes[3] = {};
  both.get()->from_client(bytes);
  both.get()->from_server(std::span(bytes, 1));
  EXPECT_EQ(a.seen, "c3s1");
  EXPECT_EQ(b.seen, "c3s1");
  TeeTap one(nullptr, &b);
  EXPECT_EQ(one.get(), &b);
  TeeTap none(nullptr, nullptr);
  EXPECT_EQ(none.get(), nullptr);
}

TEST(FlowCapture, RuleCaptureWinsOverTheDefault) {
  Config config;
  config.pcap.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.pcap.pcap_over_ip_allow_remote = true;
  config.pcap.pcap_over_ip_token = "0123456789abcdef";
  log::FlowLog flow_log("/dev/null", 16);
  SharedState shared(config, flow_log);
  FlowRecord record;
  record.client = {*IpAddress::parse("10.0.0.2"), 40000};
  record.server = {*IpAddress::parse("10.0.0.3"), 443};
  EXPECT_FALSE(wants_capture(shared, record));  // no sink: capture is off
  CaptureSink sink(config.pcap);
  shared.capture = &sink;
  EXPECT_TRUE(wants_capture(shared, record));  // pcap.default
  record.decision = policy::Decision{policy::Action::intercept, "bank", 0, false};
  EXPECT_FALSE(wants_capture(shared, record));
  EXPECT_EQ(FlowCapture::for_tls(shared, record, std::string("h2")), nullptr);
  record.decision->capture = true;
  auto capture = FlowCapture::for_tls(shared, record, std::string("h2"));
  ASSERT_NE(capture, nullptr);
  capture->finish(false, true);
  EXPECT_EQ(FlowCapture::for_plain_http(shared, record), nullptr);  // plain_http is off
}

}  // namespace
}  // namespace tlsgate::capture

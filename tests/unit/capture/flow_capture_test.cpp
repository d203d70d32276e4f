#include "gateway/capture/flow_capture.hpp"

#include <gtest/gtest.h>

#include "gateway/capture/capture_sink.hpp"
#include "gateway/config.hpp"

namespace tlsgate::capture {
namespace {

TEST(FlowCapture, RuleCaptureWinsOverTheDefault) {
  Config config;
  config.pcap.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.pcap.pcap_over_ip_allow_remote = true;
  config.pcap.pcap_over_ip_token = "0123456789abcdef";
  FlowRecord record;
  record.client = {*IpAddress::parse("10.0.0.2"), 40000};
  record.server = {*IpAddress::parse("10.0.0.3"), 443};
  EXPECT_FALSE(wants_capture(nullptr, record));  // no sink: capture is off
  CaptureSink sink(config.pcap);
  EXPECT_TRUE(wants_capture(&sink, record));  // pcap.default
  record.verdict.rule = policy::Decision{policy::Action::intercept, "bank", 0, false};
  EXPECT_FALSE(wants_capture(&sink, record));
  EXPECT_EQ(FlowCapture::for_tls(&sink, record, std::string("h2")), nullptr);
  record.verdict.rule->capture = true;
  auto capture = FlowCapture::for_tls(&sink, record, std::string("h2"));
  ASSERT_NE(capture, nullptr);
  capture->finish(false, true);
  EXPECT_EQ(FlowCapture::for_plain_http(&sink, record), nullptr);  // plain_http is off
}

}  // namespace
}  // namespace tlsgate::capture

#include "gateway/flow/relay/relay_tap.hpp"

#include <gtest/gtest.h>

#include "gateway/capture/capture_sink.hpp"
#include "gateway/config.hpp"

namespace tlsgate {
namespace {

struct RecordingTap final : RelayTap {
  std::string seen;
  void from_client(std::span<const std::uint8_t> b) override { seen += "c" + std::to_string(b.size()); }
  void from_server(std::span<const std::uint8_t> b) override { seen += "s" + std::to_string(b.size()); }
};

TEST(TeeTap, CollapsesToTheObserverWithoutACapture) {
  RecordingTap observer;
  TeeTap one(&observer, nullptr);
  EXPECT_EQ(one.get(), &observer);
  TeeTap none(nullptr, nullptr);
  EXPECT_EQ(none.get(), nullptr);
}

TEST(TeeTap, ShowsTheObserverAndTheCaptureEveryByte) {
  Config config;
  config.pcap.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.pcap.pcap_over_ip_allow_remote = true;
  config.pcap.pcap_over_ip_token = "0123456789abcdef";
  capture::CaptureSink sink(config.pcap);
  capture::FlowCapture capture(sink, {*IpAddress::parse("10.0.0.2"), 40000}, {*IpAddress::parse("10.0.0.3"), 443}, 1,
                               std::chrono::system_clock::now());
  RecordingTap observer;
  TeeTap both(&observer, &capture);
  ASSERT_EQ(both.get(), &both);
  const std::uint8_t bytes[3] = {};
  both.get()->from_client(bytes);
  both.get()->from_server(std::span(bytes, 1));
  EXPECT_EQ(observer.seen, "c3s1");
  capture.finish(false, true);

  TeeTap capture_only(nullptr, &capture);
  EXPECT_EQ(capture_only.get(), &capture_only);
  capture_only.get()->from_client(bytes);  // after finish(): ignored, must not crash
}

}  // namespace
}  // namespace tlsgate

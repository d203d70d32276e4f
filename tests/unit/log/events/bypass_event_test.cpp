#include "gateway/log/events/bypass_event.hpp"

#include <gtest/gtest.h>

namespace tlsgate::log {
namespace {

using namespace std::chrono_literals;

TEST(BypassEvent, CarriesEveryField) {
  const auto ts = std::chrono::system_clock::time_point(1'800'000'000s);
  policy::BypassEntry entry;
  entry.host = "a.example";
  entry.client = *IpAddress::parse("fd00::1");
  entry.why = "closed before its Finished";
  entry.learned = ts;
  entry.expires = ts + 60s;
  EXPECT_EQ(bypass_json({entry, policy::BypassChange::learned, ts}).dump(),
            R"({"event":"bypass","ts":"2027-01-15T08:00:00.000000Z","change":"learned","client":"fd00::1",)"
            R"("host":"a.example","why":"closed before its Finished","evidence":1,)"
            R"("expires":"2027-01-15T08:01:00.000000Z"})");
}

TEST(BypassEvent, AllClientsEntryHasNullClient) {
  policy::BypassEntry entry;
  entry.host = "a.example";
  entry.client = *IpAddress::parse("10.0.0.1");
  entry.all_clients = true;
  EXPECT_TRUE(bypass_json({entry, policy::BypassChange::expired, {}})["client"].is_null());
}

}  // namespace
}  // namespace tlsgate::log

#include "gateway/daemon/bypass_control.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::ordered_json;

class BypassControlTest : public testing::Test {
 protected:
  BypassControlTest()
      : bypass_(policy::LearnedBypassOptions{}, [this](policy::BypassEvent e) { events_.emplace_back(policy::to_string(e.change)); },
                [] { return std::chrono::system_clock::time_point(1'800'000'000s); }) {
    bypass_.add("a.example", *IpAddress::parse("10.0.0.1"), "TLS alert 48 during the handshake");
    bypass_.add("a.example", *IpAddress::parse("10.0.0.2"), "closed the connection before its Finished");
    events_.clear();
  }
  json ask(const std::string& line) { return json::parse(handle_control_line(&bypass_, line)); }

  policy::LearnedBypass bypass_;
  std::vector<std::string> events_;
};

TEST_F(BypassControlTest, List) {
  const json reply = ask(R"({"command":"bypass list"})");
  ASSERT_TRUE(reply["ok"]);
  ASSERT_EQ(reply["entries"].size(), 2u);
  EXPECT_EQ(reply["entries"][0].dump(),
            R"({"host":"a.example","client":"10.0.0.1","why":"TLS alert 48 during the handshake","evidence":1,)"
            R"("learned":"2027-01-15T08:00:00.000000Z","expires":"2027-01-16T08:00:00.000000Z"})");
}

TEST_F(BypassControlTest, ForgetOneClientThenTheRest) {
  EXPECT_EQ(ask(R"({"command":"bypass forget","host":"A.example.","client":"::ffff:10.0.0.1"})")["forgotten"], 1);
  EXPECT_EQ(ask(R"({"command":"bypass forget","host":"a.example","client":null})")["forgotten"], 1);
  EXPECT_EQ(events_, (std::vector<std::string>{"forgotten", "forgotten"}));
  EXPECT_EQ(ask(R"({"command":"bypass list"})")["entries"].size(), 0u);
}

TEST_F(BypassControlTest, Clear) {
  EXPECT_EQ(ask(R"({"command":"bypass clear"})")["cleared"], 2);
  EXPECT_EQ(events_, (std::vector<std::string>{"cleared", "cleared"}));
}

TEST_F(BypassControlTest, BadRequestsAreErrorsNotThrows) {
  const struct {
    const char* line;
    const char* error;
  } cases[] = {
      {"", "bad request: "},
      {"{", "bad request: "},
      {"[]", "the request must be a JSON object"},
      {R"({"command":3})", R"(bad request: "command" must be a non-empty string)"},
      {R"({"command":"bypass forget"})", R"(bad request: "host" must be a non-empty string)"},
      {R"({"command":"bypass forget","host":"a","client":"x"})", R"("client" is not an IPv4 or IPv6 address)"},
      {R"({"command":"reboot"})", "unknown command \"reboot\""},
      {"{\"command\":\"\xff\"}", "bad request: "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const json reply = ask(c.line);
    EXPECT_FALSE(reply["ok"]);
    EXPECT_TRUE(reply["error"].get<std::string>().starts_with(c.error)) << reply["error"];
  }
}

TEST(BypassControl, LearnedBypassOff) {
  const json reply = json::parse(handle_control_line(nullptr, R"({"command":"bypass list"})"));
  EXPECT_FALSE(reply["ok"]);
  EXPECT_EQ(reply["error"], "learned bypass is off in this daemon's config");
}

}  // namespace
}  // namespace tlsgate

#include "gateway/metrics/exposition.hpp"

#include <gtest/gtest.h>

namespace tlsgate::metrics {
namespace {

TEST(Render, HelpTypeAndSamples) {
  const std::vector<Family> families = {
      {"tlsgate_flows_total", "Flows ended", "counter",
       {Sample{"", {{"action", "intercept"}, {"reason", "policy"}}, 3}, Sample{"", {{"action", "block"}, {"reason", "policy"}}, 1}}},
      {"tlsgate_active_flows", "Flows in progress", "gauge", {Sample{"", {}, 2}}},
      {"tlsgate_empty_total", "Nothing yet", "counter", {}},
  };
  EXPECT_EQ(render(families),
            "# HELP tlsgate_flows_total Flows ended\n"
            "# TYPE tlsgate_flows_total counter\n"
            "tlsgate_flows_total{action=\"intercept\",reason=\"policy\"} 3\n"
            "tlsgate_flows_total{action=\"block\",reason=\"policy\"} 1\n"
            "# HELP tlsgate_active_flows Flows in progress\n"
            "# TYPE tlsgate_active_flows gauge\n"
            "tlsgate_active_flows 2\n"
            "# HELP tlsgate_empty_total Nothing yet\n"
            "# TYPE tlsgate_empty_total counter\n");
}

TEST(Render, EscapesLabelValuesAndHelp) {
  const std::vector<Family> families = {
      {"m", "a\\b\nc", "gauge", {Sample{"", {{"v", "q\"uote\\back\nline"}}, 1}}}};
  EXPECT_EQ(render(families),
            "# HELP m a\\\\b\\nc\n# TYPE m gauge\nm{v=\"q\\\"uote\\\\back\\nline\"} 1\n");
}

TEST(Render, Numbers) {
  const std::vector<Family> families = {{"m", "h", "gauge",
                                         {Sample{"", {{"k", "big"}}, 123456789012.0}, Sample{"", {{"k", "frac"}}, 1.5}}}};
  const auto text = render(families);
  EXPECT_NE(text.find("m{k=\"big\"} 123456789012\n"), std::string::npos);
  EXPECT_NE(text.find("m{k=\"frac\"} 1.5\n"), std::string::npos);
}

TEST(Parse, RoundTrip) {
  const std::vector<Family> families = {
      {"a_total", "h", "counter", {Sample{"", {{"x", "1"}, {"y", "q\"\\\n"}}, 7}}},
      {"b", "h", "gauge", {Sample{"", {}, 0.25}}}};
  const auto samples = parse(render(families));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "a_total");
  ASSERT_EQ(samples[0].labels.size(), 2u);
  EXPECT_EQ(samples[0].labels[1].second, "q\"\\\n");
  EXPECT_EQ(samples[0].value, 7);
  EXPECT_EQ(samples[1].name, "b");
  EXPECT_EQ(samples[1].value, 0.25);
}

TEST(Parse, SkipsCommentsAndGarbage) {
  const auto samples = parse("# HELP x y\n\nnot a sample line at all\nm{unterminated=\"x 1\nok 3\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "ok");
}

}  // namespace
}  // namespace tlsgate::metrics

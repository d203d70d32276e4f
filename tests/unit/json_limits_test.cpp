#include "gateway/json_limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tlsgate {
namespace {

TEST(JsonLimits, CountsArraysAndObjectsNotBracketsInStrings) {
  EXPECT_FALSE(json_too_deep(R"({"a": [1, {"b": [2]}]})", 4));
  EXPECT_EQ(json_too_deep(R"({"a": [1, {"b": [2]}]})", 3), std::optional<std::size_t>(16));
  EXPECT_FALSE(json_too_deep(R"({"a": "[[[[[[[[\"[[[["})", 1));
  EXPECT_FALSE(json_too_deep("[][][][]", 1));
}

TEST(JsonLimits, DeepNestingIsFoundLinearly) {
  const std::string deep(2'000'000, '[');
  EXPECT_EQ(json_too_deep(deep, 8), std::optional<std::size_t>(8));
}

}  // namespace
}  // namespace tlsgate

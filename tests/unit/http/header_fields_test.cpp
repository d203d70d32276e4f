// HeaderFields: arrival order, joining, lookups on both sides of the linear-scan threshold,
// copies and moves of an indexed message, the JSON tree form.
#include "gateway/http/header_fields.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tlsgate::http {
namespace {

std::vector<std::string> names_of(const HeaderFields& h) {
  std::vector<std::string> names;
  for (const auto& [name, value] : h) names.push_back(name);
  return names;
}

TEST(HeaderFields, KeepsArrivalOrderAndJoinsRepeats) {
  HeaderFields h;
  EXPECT_TRUE(h.empty());
  h.add("b", "1");
  h.add("a", "2");
  h.add("b", "3");
  h.add("c", "");
  h.add("c", "4");
  EXPECT_EQ(names_of(h), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(h.value("b"), "1, 3");
  EXPECT_EQ(h.value("a"), "2");
  EXPECT_EQ(h.value("c"), ", 4");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.received(), 5u);
  EXPECT_TRUE(h.contains("a"));
  EXPECT_FALSE(h.contains("A"));  // exact: the caller lowercases
  EXPECT_FALSE(h.contains("d"));
  EXPECT_EQ(h.value("d"), std::nullopt);
}

TEST(HeaderFields, RepeatWithoutJoinKeepsTheFirstValue) {
  HeaderFields h;
  h.add("cookie", "[redacted]", false);
  h.add("cookie", "[redacted]", false);
  EXPECT_EQ(h.value("cookie"), "[redacted]");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.received(), 2u);
}

// Every size around the threshold, and far past it: each name is found, repeats join onto the
// right field, order is arrival order, and copies and moves answer the same.
TEST(HeaderFields, LookupsOnBothSidesOfTheIndex) {
  constexpr std::size_t t = HeaderFields::linear_scan_fields;
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, t - 1, t, t + 1, 2 * t, 4 * t + 1, std::size_t{3000}}) {
    SCOPED_TRACE(n);
    HeaderFields h;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n; ++i) {
      names.push_back("x-" + std::to_string(i));
      h.add(std::string(names.back()), std::to_string(i));
    }
    for (std::size_t i = 0; i < n; i += 3) h.add("x-" + std::to_string(i), "again");
    ASSERT_EQ(h.size(), n);
    EXPECT_EQ(h.received(), n + (n + 2) / 3);
    EXPECT_EQ(names_of(h), names);
    const HeaderFields copy = h;
    HeaderFields moved = HeaderFields(h);
    for (const HeaderFields* f : std::initializer_list<const HeaderFields*>{&h, &copy, &moved}) {
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(f->value(names[i]), i % 3 == 0 ? std::to_string(i) + ", again" : std::to_string(i)) << i;
      }
      EXPECT_FALSE(f->contains("x-" + std::to_string(n)));
      EXPECT_FALSE(f->contains(""));
    }
    // A name added to a copy after the fact is found there, not in the original.
    moved.add("late", "1");
    EXPECT_EQ(moved.value("late"), "1");
    EXPECT_FALSE(h.contains("late"));
  }
}

TEST(HeaderFields, JsonTreeInTheSameOrder) {
  HeaderFields h;
  for (int i = 40; i > 0; --i) h.add("h" + std::to_string(i), "v" + std::to_string(i));
  h.add("h7", "w");
  const auto tree = h.to_json();
  ASSERT_TRUE(tree.is_object());
  ASSERT_EQ(tree.size(), 40u);
  std::size_t i = 0;
  for (const auto& [name, value] : h) {
    const auto it = std::next(tree.begin(), static_cast<std::ptrdiff_t>(i++));
    EXPECT_EQ(it.key(), name);
    EXPECT_EQ(it.value(), value);
  }
  EXPECT_EQ(tree["h7"], "v7, w");
  EXPECT_EQ(HeaderFields().to_json(), nlohmann::ordered_json::object());
  EXPECT_EQ(HeaderFields().to_json().dump(), "{}");
  // The rvalue form moves the strings out and leaves the fields empty and usable.
  HeaderFields taken = h;
  EXPECT_EQ(std::move(taken).to_json(), tree);
  EXPECT_TRUE(taken.empty());  // NOLINT(bugprone-use-after-move): documented state
  taken.add("a", "1");
  EXPECT_EQ(taken.value("a"), "1");
}

}  // namespace
}  // namespace tlsgate::http

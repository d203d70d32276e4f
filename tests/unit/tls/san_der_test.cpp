#include "gateway/tls/san_der.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tlsgate::tls {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A DER TLV with the length in its shortest form.
Bytes tlv(std::uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  const std::size_t n = content.size();
  std::size_t octets = 0;
  for (std::size_t v = n; v > 0; v >>= 8) ++octets;
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(static_cast<std::uint8_t>(0x80 | octets));
    for (std::size_t i = octets; i-- > 0;) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
  for (const auto b : content) out.push_back(b);
  return out;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes seq(const std::vector<Bytes>& items) {
  Bytes body;
  for (const auto& i : items) body.insert(body.end(), i.begin(), i.end());
  return tlv(0x30, body);
}

struct Seen {
  std::vector<unsigned> tags;
  std::vector<std::string> values;
};

std::optional<std::size_t> walk(const Bytes& der, Seen& seen) {
  return walk_san_der(der, [&](const SanEntry& e) {
    seen.tags.push_back(e.tag + (e.constructed ? 100 : 0));
    seen.values.emplace_back(e.value.begin(), e.value.end());
  });
}

TEST(SanDer, ReadsEveryKindInOrder) {
  const Bytes der = seq({tlv(0x82, text("a.example")), tlv(0x87, {192, 0, 2, 1}), tlv(0x81, text("x@y")),
                         tlv(0xa0, tlv(0x06, {0x2b})), tlv(0x82, text("b.example"))});
  Seen seen;
  EXPECT_EQ(walk(der, seen), 5u);
  EXPECT_EQ(seen.tags, (std::vector<unsigned>{2, 7, 1, 100, 2}));
  EXPECT_EQ(seen.values[0], "a.example");
  EXPECT_EQ(seen.values[4], "b.example");
}

TEST(SanDer, LongLengthsAndManyEntries) {
  std::vector<Bytes> items;
  for (int i = 0; i < 20000; ++i) items.push_back(tlv(0x82, text("h" + std::to_string(i) + ".t")));
  items.push_back(tlv(0x82, Bytes(300, 'a')));  // a two-byte length inside
  const Bytes der = seq(items);
  ASSERT_GT(der.size(), 0x10000u);  // the outer length takes three bytes
  EXPECT_EQ(walk_san_der(der, {}), 20001u);
}

TEST(SanDer, Malformed) {
  const Bytes good = seq({tlv(0x82, text("a.example"))});
  struct Case {
    const char* name;
    Bytes der;
  };
  Bytes trailing = good;
  trailing.push_back(0);
  Bytes truncated(good.begin(), good.end() - 1);
  const Case cases[] = {
      {"empty", {}},
      {"not a sequence", tlv(0x31, tlv(0x82, text("a")))},
      {"trailing bytes", trailing},
      {"truncated", truncated},
      {"indefinite length", {0x30, 0x80, 0x82, 0x01, 'a', 0x00, 0x00}},
      {"length of 5 octets", {0x30, 0x85, 0, 0, 0, 0, 1, 0x82}},
      {"entry longer than the sequence", {0x30, 0x03, 0x82, 0x05, 'a'}},
      {"universal tag inside", seq({tlv(0x16, text("a"))})},
      {"multi-byte tag", seq({tlv(0x9f, text("a"))})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(walk_san_der(c.der, {}), std::nullopt);
  }
  EXPECT_EQ(walk_san_der(seq({}), {}), 0u);  // an empty list is well formed
}

}  // namespace
}  // namespace tlsgate::tls

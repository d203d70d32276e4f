#include "gateway/byte_reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace tlsgate {
namespace {

TEST(ByteReader, ReadsBigEndianIntegers) {
  const std::array<std::uint8_t, 10> data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
  ByteReader r(data);
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0, d = 0;
  ASSERT_TRUE(r.u8(a) && r.u16(b) && r.u24(c) && r.u32(d));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x040506u);
  EXPECT_EQ(d, 0x0708090au);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, NeverReadsPastTheEndAndKeepsItsPosition) {
  const std::array<std::uint8_t, 3> data{0x00, 0x05, 0xaa};
  for (std::size_t size = 0; size <= data.size(); ++size) {
    SCOPED_TRACE(size);
    ByteReader r(std::span(data.data(), size));
    std::uint32_t v = 0;
    EXPECT_EQ(r.u24(v), size == 3);
    ByteReader vec(std::span(data.data(), size));
    ByteReader::Bytes out;
    EXPECT_FALSE(vec.vec16(out)) << "the prefix says 5 bytes; at most 1 follows";
    EXPECT_EQ(vec.position(), 0u) << "a failed read consumes nothing";
  }
}

TEST(ByteReader, LengthPrefixedVectors) {
  const std::array<std::uint8_t, 7> data{0x02, 'h', '2', 0x00, 0x02, 'o', 'k'};
  ByteReader r(data);
  ByteReader::Bytes first, second;
  ASSERT_TRUE(r.vec8(first));
  ASSERT_TRUE(r.vec16(second));
  EXPECT_EQ(std::string(first.begin(), first.end()), "h2");
  EXPECT_EQ(std::string(second.begin(), second.end()), "ok");
  EXPECT_FALSE(r.skip(1));
}

TEST(ByteReader, QuicVarintsRfc9000AppendixA1) {
  struct Case {
    std::vector<std::uint8_t> bytes;
    std::uint64_t value;
  };
  const Case cases[] = {
      {{0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}, 151'288'809'941'952'652ull},
      {{0x9d, 0x7f, 0x3e, 0x7d}, 494'878'333},
      {{0x7b, 0xbd}, 15'293},
      {{0x25}, 37},
      {{0x40, 0x25}, 37},
  };
  for (const Case& c : cases) {
    ByteReader r(c.bytes);
    std::uint64_t v = 0;
    ASSERT_TRUE(r.varint(v));
    EXPECT_EQ(v, c.value);
    EXPECT_TRUE(r.empty());
    ByteReader cut(std::span(c.bytes.data(), c.bytes.size() - 1));
    EXPECT_FALSE(cut.varint(v));
  }
}

}  // namespace
}  // namespace tlsgate

#include "netfilter/crypto_reassembly.hpp"

#include <gtest/gtest.h>

namespace tlsgate::netfilter {
namespace {

using State = CryptoReassembly::State;
using ByteVec = std::vector<std::uint8_t>;

ByteVec message(std::size_t body, std::uint8_t type = 0x01) {
  ByteVec m{type, static_cast<std::uint8_t>(body >> 16), static_cast<std::uint8_t>(body >> 8),
            static_cast<std::uint8_t>(body)};
  for (std::size_t i = 0; i < body; ++i) m.push_back(static_cast<std::uint8_t>(i * 13 + 1));
  return m;
}

CryptoFrame slice(const ByteVec& m, std::size_t offset, std::size_t length) {
  return {offset, ByteVec(m.begin() + static_cast<std::ptrdiff_t>(offset),
                          m.begin() + static_cast<std::ptrdiff_t>(offset + length))};
}

ByteVec hello(const CryptoReassembly& r) { return {r.client_hello().begin(), r.client_hello().end()}; }

TEST(CryptoReassembly, InOrderFrames) {
  const ByteVec m = message(500);
  CryptoReassembly r;
  EXPECT_EQ(r.add(slice(m, 0, 2)), State::incomplete);  // not even the length yet
  EXPECT_TRUE(r.client_hello().empty());
  EXPECT_EQ(r.add(slice(m, 2, 300)), State::incomplete);
  EXPECT_EQ(r.add(slice(m, 302, 202)), State::complete);
  EXPECT_EQ(hello(r), m);
}

TEST(CryptoReassembly, HeaderArrivesLast) {
  const ByteVec m = message(100);
  CryptoReassembly r;
  EXPECT_EQ(r.add(slice(m, 50, 54)), State::incomplete);
  EXPECT_EQ(r.add(slice(m, 3, 47)), State::incomplete);
  EXPECT_EQ(r.add(slice(m, 0, 3)), State::complete);
  EXPECT_EQ(hello(r), m);
}

TEST(CryptoReassembly, OverlapsAndDuplicatesKeepTheFirstBytes) {
  const ByteVec m = message(64);
  CryptoReassembly r;
  EXPECT_EQ(r.add(slice(m, 10, 30)), State::incomplete);
  CryptoFrame forged = slice(m, 20, 40);
  for (auto& b : forged.data) b ^= 0xff;  // a conflicting retransmission must not win
  EXPECT_EQ(r.add(forged), State::incomplete);
  EXPECT_EQ(r.add(slice(m, 10, 30)), State::incomplete);
  EXPECT_EQ(r.add(slice(m, 0, 68)), State::complete);
  ByteVec expected = m;
  for (std::size_t i = 40; i < 60; ++i) expected[i] ^= 0xff;  // forged bytes nobody sent before
  EXPECT_EQ(hello(r), expected);
}

TEST(CryptoReassembly, BytesAfterTheMessageAreIgnored) {
  ByteVec m = message(30);
  const ByteVec next = message(10, 0x02);
  ByteVec stream = m;
  stream.insert(stream.end(), next.begin(), next.end());
  CryptoReassembly r;
  EXPECT_EQ(r.add(slice(stream, 0, stream.size())), State::complete);
  EXPECT_EQ(hello(r), m);
}

TEST(CryptoReassembly, EmptyFramesChangeNothing) {
  CryptoReassembly r;
  EXPECT_EQ(r.add(CryptoFrame{0, {}}), State::incomplete);
  EXPECT_EQ(r.add(CryptoFrame{(std::uint64_t{1} << 62) - 1, {}}), State::incomplete);
}

TEST(CryptoReassembly, DeclaredLengthPastTheLimitIsTooLarge) {
  CryptoReassembly r(1024);
  const ByteVec m = message(1021);  // 1025 bytes with the header
  EXPECT_EQ(r.add(slice(m, 0, 4)), State::too_large);
  EXPECT_EQ(r.add(slice(m, 4, 10)), State::too_large);  // final
  EXPECT_TRUE(r.client_hello().empty());

  CryptoReassembly fits(1024);
  const ByteVec m2 = message(1020);
  EXPECT_EQ(fits.add(slice(m2, 0, m2.size())), State::complete);
}

TEST(CryptoReassembly, DataPastTheLimitIsTooLarge) {
  CryptoReassembly r(1024);
  EXPECT_EQ(r.add(CryptoFrame{1000, ByteVec(25, 0x00)}), State::too_large);
  CryptoReassembly far(1024);
  EXPECT_EQ(far.add(CryptoFrame{std::uint64_t{1} << 40, ByteVec(1, 0x00)}), State::too_large);
}

TEST(CryptoReassembly, CompleteIsFinal) {
  const ByteVec m = message(8);
  CryptoReassembly r;
  EXPECT_EQ(r.add(slice(m, 0, m.size())), State::complete);
  EXPECT_EQ(r.add(CryptoFrame{0, ByteVec(12, 0xee)}), State::complete);
  EXPECT_EQ(r.add(CryptoFrame{1 << 20, ByteVec(1, 0x00)}), State::complete);
  EXPECT_EQ(hello(r), m);
}

TEST(CryptoReassembly, ManySmallOutOfOrderFrames) {
  const ByteVec m = message(3000);
  CryptoReassembly r;
  // Every odd 7-byte block first, then the even ones: completes exactly on the last frame.
  std::vector<CryptoFrame> frames;
  for (std::size_t pass = 0; pass < 2; ++pass) {
    for (std::size_t off = (1 - pass) * 7; off < m.size(); off += 14) {
      frames.push_back(slice(m, off, std::min<std::size_t>(7, m.size() - off)));
    }
  }
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) EXPECT_EQ(r.add(frames[i]), State::incomplete);
  EXPECT_EQ(r.add(frames.back()), State::complete);
  EXPECT_EQ(hello(r), m);
}

}  // namespace
}  // namespace tlsgate::netfilter

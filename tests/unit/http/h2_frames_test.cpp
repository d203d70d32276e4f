// The frame splitter: hand-built frames (RFC 9113 §4.1) fed at every split point.
#include "gateway/http/h2_frames.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tlsgate::http::h2 {
namespace {

std::string frame(std::uint32_t length, std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(length >> 16));
  f.push_back(static_cast<char>(length >> 8));
  f.push_back(static_cast<char>(length));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  return f + payload;
}

struct Seen {
  FrameHeader header;
  std::string payload;
};

// Splits `bytes` into two calls at `cut`; reassembles each frame's pieces.
std::vector<Seen> split(const std::string& bytes, std::size_t cut) {
  FrameSplitter splitter;
  std::vector<Seen> frames;
  std::string current;
  const auto sink = [&](const FrameHeader& h, std::uint32_t offset, std::span<const std::uint8_t> piece,
                        bool last) {
    EXPECT_EQ(offset, current.size());
    current.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    if (last) {
      frames.push_back({h, current});
      current.clear();
    }
    return true;
  };
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  splitter.feed({p, cut}, sink);
  splitter.feed({p + cut, bytes.size() - cut}, sink);
  return frames;
}

TEST(H2Frames, SplitsAtEveryPoint) {
  const std::string payload(300, 'd');
  // SETTINGS ACK (empty), DATA with END_STREAM, a frame with the reserved stream bit set, an
  // unknown type.
  const std::string bytes = frame(0, 4, 1, 0, "") + frame(300, 0, 1, 3, payload) +
                            frame(4, 3, 0, 0x80000005u, std::string("\0\0\0\x8", 4)) +
                            frame(2, 0xfa, 0, 0, "xy");
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    const auto frames = split(bytes, cut);
    ASSERT_EQ(frames.size(), 4u) << cut;
    EXPECT_EQ(frames[0].header.type, FrameType::settings);
    EXPECT_TRUE(frames[0].header.has(flag::ack));
    EXPECT_EQ(frames[0].payload, "");
    EXPECT_EQ(frames[1].header.length, 300u);
    EXPECT_EQ(frames[1].header.stream_id, 3u);
    EXPECT_TRUE(frames[1].header.has(flag::end_stream));
    EXPECT_EQ(frames[1].payload, payload);
    EXPECT_EQ(frames[2].header.type, FrameType::rst_stream);
    EXPECT_EQ(frames[2].header.stream_id, 5u);  // reserved bit ignored
    EXPECT_EQ(read_u32(std::span(reinterpret_cast<const std::uint8_t*>(frames[2].payload.data()), 4)), 8u);
    EXPECT_EQ(static_cast<int>(frames[3].header.type), 0xfa);
    EXPECT_EQ(frames[3].payload, "xy");
  }
}

TEST(H2Frames, SinkCanStop) {
  const std::string bytes = frame(1, 6, 0, 0, "a") + frame(1, 6, 0, 0, "b");
  FrameSplitter splitter;
  int calls = 0;
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  EXPECT_FALSE(splitter.feed({p, bytes.size()}, [&](auto&&...) { return ++calls > 5; }));
  EXPECT_FALSE(splitter.feed({p, bytes.size()}, [&](auto&&...) { return ++calls > 5; }));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tlsgate::http::h2

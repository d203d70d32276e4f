// Chunked payloads: data joined, sizes in hex of any case, extensions and trailers dropped,
// and bodies that lie about their sizes refused.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "gateway/http/http1_dechunk.hpp"

namespace tlsgate::http::h1 {
namespace {

struct Case {
  const char* name;
  std::string chunked;
  std::optional<std::string> payload;
};

TEST(Dechunk, Cases) {
  const Case cases[] = {
      {"empty body", "0\r\n\r\n", ""},
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"two chunks", "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", "hello"},
      {"hex sizes", "A\r\n0123456789\r\nf\r\nabcdefghijklmno\r\n0\r\n\r\n", "0123456789abcdefghijklmno"},
      {"extensions", "5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"trailers", "5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n", "hello"},
      {"CRLF inside data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"},
      {"size past the data", "9\r\nhello\r\n0\r\n\r\n", std::nullopt},
      {"no CRLF after data", "3\r\nhello\r\n0\r\n\r\n", std::nullopt},
      {"no size", ";x\r\nhello\r\n0\r\n\r\n", std::nullopt},
      {"no size line end", "5", std::nullopt},
      {"size overflow", "fffffffffffffffff\r\n", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(dechunk(c.chunked), c.payload);
  }
}

TEST(Dechunk, BinaryPayload) {
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  EXPECT_EQ(dechunk("100\r\n" + data + "\r\n0\r\n\r\n"), data);
}

}  // namespace
}  // namespace tlsgate::http::h1

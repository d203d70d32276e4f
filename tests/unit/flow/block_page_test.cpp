#include "gateway/flow/block_page.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tlsgate {
namespace {

const BlockFacts facts{"secret.example.test", "no <secret>", 42, "policy"};

TEST(BlockPage, BuiltInNamesHostRuleFlowAndTheOperatorsLine) {
  const std::string page = block_page(BlockPageTemplate{"Ask IT & call 555-0100", {}}, facts);
  EXPECT_NE(page.find("<b>secret.example.test</b>"), std::string::npos) << page;
  EXPECT_NE(page.find("<code>no &lt;secret&gt;</code>"), std::string::npos) << page;
  EXPECT_NE(page.find("flow 42"), std::string::npos) << page;
  EXPECT_NE(page.find("<p>Ask IT &amp; call 555-0100</p>"), std::string::npos) << page;
  EXPECT_EQ(block_page(BlockPageTemplate{}, facts).find("Ask IT"), std::string::npos);
}

TEST(BlockPage, OperatorsPageGetsEscapedPlaceholders) {
  const BlockPageTemplate t{"<b>help</b>",
                            "<h1>{{host}}</h1>{{rule}}|{{flow_id}}|{{reason}}|{{text}}|{{unknown}}|{{host"};
  const BlockFacts hostile{"{{rule}}<script>", "r\"1'", 7, "policy"};
  EXPECT_EQ(block_page(t, hostile),
            "<h1>{{rule}}&lt;script&gt;</h1>r&quot;1&#39;|7|policy|&lt;b&gt;help&lt;/b&gt;|{{unknown}}|{{host")
      << "a value is not searched for placeholders again";
}

class BlockPageFile : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("block_page_test_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  Config with_file(const std::filesystem::path& p) const {
    Config c;
    c.block_page_text = "line";
    c.block_page_file = p.string();
    return c;
  }
  void write(const std::filesystem::path& p, const std::string& text) const { std::ofstream(p, std::ios::binary) << text; }
};

TEST_F(BlockPageFile, IsReadWithTheText) {
  write(dir / "page.html", "<p>{{host}}</p>");
  const auto t = load_block_page(with_file(dir / "page.html"));
  EXPECT_EQ(t.html, "<p>{{host}}</p>");
  EXPECT_EQ(t.operator_text, "line");
  Config no_file;
  EXPECT_EQ(load_block_page(no_file).html, "");
}

TEST_F(BlockPageFile, ProblemsNameTheKeyAndTheFile) {
  write(dir / "empty.html", "");
  write(dir / "big.html", std::string(max_block_page_file_bytes + 1, 'x'));
  struct Case {
    std::filesystem::path path;
    const char* says;
  };
  const Case cases[] = {
      {dir / "missing.html", "cannot open the block page"},
      {dir / "empty.html", "the block page is empty"},
      {dir / "big.html", "larger than 32 KiB"},
      {dir, "cannot read the block page"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path.string());
    try {
      load_block_page(with_file(c.path));
      FAIL() << "loaded";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), "/block_page_file: " + c.path.string() + ": " + c.says);
    }
  }
}

}  // namespace
}  // namespace tlsgate

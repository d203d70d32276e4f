#include "gateway/policy/host_list.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {
namespace {

// "=name", "*name" or "+name" per entry, in order.
std::vector<std::string> entries_of(const HostList& list) {
  std::vector<std::string> out;
  list.for_each([&](ListEntryKind kind, std::string_view name) { out.push_back(static_cast<char>(kind) + std::string(name)); });
  return out;
}

HostList parse(std::string_view text, HostListLimits limits = {}) {
  auto list = parse_host_list(text, "l.txt", limits);
  EXPECT_TRUE(list.has_value());
  return list ? *list : HostList{};
}

std::string temp_path(const std::string& name) { return testing::TempDir() + "/host_list_test_" + name; }

void write_gzip(const std::string& path, std::string_view text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

TEST(HostList, Formats) {
  struct Case {
    const char* what;
    std::string text;
    std::vector<std::string> entries;
  };
  const Case cases[] = {
      {"one name per line", "ads.example\ntracker.example\n", {"=ads.example", "=tracker.example"}},
      {"normalized like SNI", "ADS.Example.\n", {"=ads.example"}},
      {"wildcard", "*.ads.example\n", {"*ads.example"}},
      {"CRLF and blanks", "a.example\r\n\r\n  \t\nb.example\r\n", {"=a.example", "=b.example"}},
      {"no final newline", "a.example\nb.example", {"=a.example", "=b.example"}},
      {"comments", "# hosts\n! adblock comment\n[Adblock Plus 2.0]\na.example # trailing\n", {"=a.example"}},
      {"hosts file", "0.0.0.0 a.example\n127.0.0.1\tb.example c.example\n::1 d.example\n",
       {"=a.example", "=b.example", "=c.example", "=d.example"}},
      {"hosts file skips addresses as names", "0.0.0.0 0.0.0.0\n0.0.0.0\n", {}},
      {"adblock domain rule", "||ads.example^\n", {"+ads.example"}},
      {"other adblock syntax skipped",
       "||ads.example^$third-party\n@@||ok.example^\n/banner/*\n##.ad\nexample.com##.ad\n|http://x.example/\n"
       "||*.example^\n",
       {}},
      {"dnsmasq syntax skipped", "address=/ads.example/0.0.0.0\n", {}},
      {"two names without an address", "a.example b.example\n", {}},
      {"invalid names skipped", "a..example\nbad_char!.example\na.*.example\nxn--bcher-kva.example\n", {"=xn--bcher-kva.example"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(entries_of(parse(c.text)), c.entries);
  }
}

TEST(HostList, CountsWhatItSkips) {
  const auto list = parse("ok.example\n||x.example^$important\nbad!.example\n" + std::string(5000, 'a') +
                          "\n0.0.0.0 1.2.3.4 good.example\n");
  EXPECT_EQ(list.stats.lines, 5u);
  EXPECT_EQ(list.stats.names, 2u);
  EXPECT_EQ(list.stats.unsupported, 1u);
  EXPECT_EQ(list.stats.first_unsupported, 2u);
  EXPECT_EQ(list.stats.invalid, 2u);  // bad!.example, 1.2.3.4
  EXPECT_EQ(list.stats.first_invalid, 3u);
  EXPECT_EQ(list.stats.long_lines, 1u);
  EXPECT_EQ(list.stats.first_long, 4u);
}

TEST(HostList, HostileBytes) {
  struct Case {
    const char* what;
    std::string text;
    std::size_t names;
    std::size_t invalid;
    std::size_t long_lines;
  };
  const Case cases[] = {
      {"NUL inside a name", std::string("a\0b.example\nok.example\n", 23), 1, 1, 0},
      {"NUL line", std::string("\0\0\0\nok.example\n", 15), 1, 1, 0},
      {"invalid UTF-8", "\xff\xfe.example\n\xc3(.example\nok.example\n", 1, 2, 0},
      {"valid UTF-8 (not an A-label)", "b\xc3\xbc" "cher.example\n", 0, 1, 0},
      {"a huge line, then a name", std::string(10'000'000, 'x') + "\nok.example\n", 1, 0, 1},
      {"a huge last line without newline", "ok.example\n" + std::string(100'000, '.'), 1, 0, 1},
      {"a line at the limit", std::string(4096 - 8, 'a') + ".example\n", 0, 1, 0},
      {"a name over 253 characters", std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                                         std::string(63, 'a') + "." + std::string(63, 'a') + ".example\n",
       0, 1, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto list = parse(c.text);
    EXPECT_EQ(list.stats.names, c.names);
    EXPECT_EQ(list.stats.invalid, c.invalid);
    EXPECT_EQ(list.stats.long_lines, c.long_lines);
  }
}

TEST(HostList, EverySplitPointGivesTheSameEntries) {
  const std::string text = "# c\r\n0.0.0.0 a.example b.example\r\n||c.example^\n*.d.example\n" + std::string(50, 'z') +
                           "\nlast.example";
  const HostListLimits limits{.max_line_bytes = 40};
  const auto whole = entries_of(parse(text, limits));
  ASSERT_EQ(whole.size(), 5u);
  for (std::size_t split = 0; split <= text.size(); ++split) {
    SCOPED_TRACE(split);
    HostList list;
    HostListParser parser(limits, [&](const ListEntry& e) { list.add(e); });
    parser.feed(std::string_view(text).substr(0, split));
    parser.feed(std::string_view(text).substr(split));
    parser.finish();
    EXPECT_EQ(entries_of(list), whole);
    EXPECT_EQ(parser.stats().long_lines, 1u);
    EXPECT_EQ(parser.stats().lines, 6u);
  }
}

TEST(HostList, NameCapNamesTheLine) {
  std::size_t line = 0;
  EXPECT_FALSE(parse_host_list("# x\na.example\nb.example\nc.example\n", "l", {.max_names = 2}, &line));
  EXPECT_EQ(line, 4u);
  EXPECT_TRUE(parse_host_list("a.example\nb.example\n", "l", {.max_names = 2}));
}

TEST(HostList, DigestIgnoresOrder) {
  EXPECT_EQ(parse("a.example\nb.example\n").digest, parse("0.0.0.0 b.example a.example\n").digest);
  EXPECT_NE(parse("a.example\n").digest, parse("||a.example^\n").digest);
}

TEST(HostList, EntryMatches) {
  EXPECT_TRUE(list_entry_matches(ListEntryKind::exact, "a.example", "a.example"));
  EXPECT_FALSE(list_entry_matches(ListEntryKind::exact, "a.example", "x.a.example"));
  EXPECT_TRUE(list_entry_matches(ListEntryKind::wildcard, "a.example", "x.a.example"));
  EXPECT_FALSE(list_entry_matches(ListEntryKind::wildcard, "a.example", "a.example"));
  EXPECT_TRUE(list_entry_matches(ListEntryKind::domain, "a.example", "a.example"));
  EXPECT_TRUE(list_entry_matches(ListEntryKind::domain, "a.example", "y.x.a.example"));
  EXPECT_FALSE(list_entry_matches(ListEntryKind::domain, "a.example", "xa.example"));
}

TEST(HostListFile, PlainAndGzipReadAlike) {
  const std::string text = "# list\n0.0.0.0 a.example\n||b.example^\n";
  const auto plain = temp_path("plain.txt");
  const auto gz = temp_path("list.txt.gz");
  std::ofstream(plain) << text;
  write_gzip(gz, text);
  EXPECT_EQ(entries_of(read_host_list(plain, {})), (std::vector<std::string>{"=a.example", "+b.example"}));
  EXPECT_EQ(entries_of(read_host_list(gz, {})), (std::vector<std::string>{"=a.example", "+b.example"}));
  const auto found = find_in_host_list(gz, "x.b.example", {});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->line, 3u);
  EXPECT_EQ(found->entry, "||b.example^");
  EXPECT_FALSE(find_in_host_list(plain, "c.example", {}));
  std::remove(plain.c_str());
  std::remove(gz.c_str());
}

TEST(HostListFile, ErrorsNameTheFileAndLine) {
  const auto missing = temp_path("missing.txt");
  std::remove(missing.c_str());
  try {
    read_host_list(missing, {});
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open the host list (No such file or directory)");
  }
  // A gzip file cut short: the lines before the cut were read.
  const auto gz = temp_path("cut.txt.gz");
  std::string names;
  for (int i = 0; i < 20000; ++i) names += "name" + std::to_string(i) + ".example\n";
  write_gzip(gz, names);
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(gz, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    read_host_list(gz, {});
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find(gz + ":"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot read the host list (unexpected end of file)"), std::string::npos)
        << e.what();
  }
  std::ofstream(gz, std::ios::trunc) << "a.example\nb.example\nc.example\n";
  try {
    read_host_list(gz, {.max_names = 2});
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()), gz + ":3: more than 2 names in the policy's host lists");
  }
  std::remove(gz.c_str());
}

// A million names, as a big published list has: all of them load and match.
// (How fast and how much memory: scripts/bench_host_list.sh, docs/benchmarks.md.)
TEST(HostListFile, MillionNames) {
  constexpr int n = 1'000'000;
  const auto path = temp_path("million.txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < n; ++i) out << "0.0.0.0 host" << i << ".list.example\n";
  }
  const auto policy_path = temp_path("million.json");
  std::ofstream(policy_path) << R"({"default": "intercept", "rules": [{"name": "ads", "host_list": ")" << path
                             << R"(", "action": "block"}]})";
  const auto policy = Policy::load_file(policy_path);
  EXPECT_EQ(policy.list_names(), static_cast<std::size_t>(n));
  for (const int i : {0, 1, 4242, 999'999}) {
    Query q;
    q.hosts = {"host" + std::to_string(i) + ".list.example"};
    EXPECT_EQ(policy.match(q).rule, "ads") << i;
  }
  Query other;
  other.hosts = {"host1000000.list.example"};
  EXPECT_EQ(policy.match(other).rule, "default");
  std::remove(path.c_str());
  std::remove(policy_path.c_str());
}

}  // namespace
}  // namespace tlsgate::policy

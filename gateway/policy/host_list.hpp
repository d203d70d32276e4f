#pragma once
// Host list files, in the formats published block lists use (docs/policy.md):
//   ads.example                    one name per line (exactly that name)
//   *.ads.example                  a wildcard, as in a rule's "host"
//   0.0.0.0 ads.example b.example  hosts-file lines: an address, then names
//   ||ads.example^                 adblock's domain rule: the name and every name below it
//   # comment, ! comment, [Adblock Plus 2.0], blank lines
// Names are normalized as SNI is compared (normalize_host). A line that names
// nothing usable (an invalid name, NULs, bytes that are not ASCII, other adblock
// syntax, a line over the length limit) is skipped and counted, never an error.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::policy {

struct HostListLimits {
  std::size_t max_line_bytes = 4096;    // a longer line is skipped
  std::size_t max_names = 5'000'000;    // more is an error (a runaway or hostile list)
};

enum class ListEntryKind : char {
  exact = '=',     // that name only
  wildcard = '*',  // names below it, not itself
  domain = '+',    // the name and every name below it (adblock ||name^)
};

struct ListEntry {
  ListEntryKind kind = ListEntryKind::exact;
  std::string_view name;  // normalized; valid until the callback returns
  std::size_t line = 0;   // 1-based
};

// What reading skipped, with the first line of each kind (0: none).
struct HostListStats {
  std::size_t lines = 0;
  std::size_t names = 0;        // entries kept
  std::size_t invalid = 0;      // tokens that are no host name (IP addresses, bad characters, NULs, not ASCII)
  std::size_t unsupported = 0;  // lines in another syntax (adblock rules other than ||name^, "key=value", ...)
  std::size_t long_lines = 0;   // lines over max_line_bytes
  std::size_t first_invalid = 0;
  std::size_t first_unsupported = 0;
  std::size_t first_long = 0;
};

// Splits bytes into lines (any chunking; "\n" or "\r\n") and calls `entry`
// for each name kept. Bounded: holds at most max_line_bytes of a line. After
// max_names entries it stops and sets overflow_line(). Pure: no I/O.
class HostListParser {
 public:
  using Sink = std::function<void(const ListEntry&)>;
  HostListParser(HostListLimits limits, Sink entry);

  void feed(std::string_view bytes);
  // The last line, when the text does not end with a newline.
  void finish();

  const HostListStats& stats() const { return stats_; }
  // The line where the name cap was passed; nothing after it was read.
  std::optional<std::size_t> overflow_line() const { return overflow_line_; }

 private:
  void end_line();
  void parse_line(std::string_view line);
  void name(std::string_view token, ListEntryKind kind);
  void invalid();
  void unsupported();

  HostListLimits limits_;
  Sink entry_;
  HostListStats stats_;
  std::string line_;
  bool too_long_ = false;
  std::optional<std::size_t> overflow_line_;
};

// A list file read into a rule: its entries (each: kind char, name, '\n'),
// until the policy's index holds them.
struct HostList {
  std::string path;
  std::string entries;
  HostListStats stats;
  std::uint64_t digest = 0;  // order-independent hash of the entries: equal lists have equal digests
  std::size_t count[3] = {};  // entries by kind: exact, wildcard, domain

  void add(const ListEntry& entry);

  template <class F>  // f(ListEntryKind, std::string_view name)
  void for_each(F&& f) const {
    for (std::size_t pos = 0; pos < entries.size();) {
      const auto end = entries.find('\n', pos);
      f(static_cast<ListEntryKind>(entries[pos]), std::string_view(entries).substr(pos + 1, end - pos - 1));
      pos = end + 1;
    }
  }
};

// Parses a whole text into a HostList (tests, fuzzers). nullopt with the line in
// `overflow_line` when it holds more than limits.max_names names.
std::optional<HostList> parse_host_list(std::string_view text, const std::string& path, HostListLimits limits,
                                        std::size_t* overflow_line = nullptr);

// True when entry (kind, name) matches the normalized `host`.
bool list_entry_matches(ListEntryKind kind, std::string_view name, std::string_view host);

// Reads the list file `path`, gzip-compressed or not (zlib tells them apart).
// Throws PolicyError: "PATH: cannot open the host list (reason)", "PATH:LINE:
// cannot read the host list (reason)", or "PATH:LINE: more than N names in host lists".
HostList read_host_list(const std::string& path, HostListLimits limits);

// The first entry of the file `path` that matches the normalized `host`: its line
// and text as written ("||ads.example^"). For `tlsgate policy check`. Throws
// PolicyError as read_host_list.
struct ListMatch {
  std::size_t line = 0;
  std::string entry;
};
std::optional<ListMatch> find_in_host_list(const std::string& path, std::string_view host, HostListLimits limits);

}  // namespace tlsgate::policy

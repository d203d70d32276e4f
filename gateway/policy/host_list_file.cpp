// Reading host list files from disk: plain or gzip (zlib's gzread passes plain
// files through unchanged), in bounded chunks.
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "gateway/policy/host_list.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {
namespace {

constexpr unsigned read_chunk_bytes = 1u << 20;

struct GzClose {
  void operator()(gzFile f) const { gzclose(f); }
};

std::string where_in(const std::string& path, std::size_t line) { return path + ":" + std::to_string(line); }

// Feeds the whole file to `parser`; stops early when the parser overflows.
void read_into(const std::string& path, HostListParser& parser) {
  errno = 0;
  std::unique_ptr<gzFile_s, GzClose> file(gzopen(path.c_str(), "rb"));
  if (!file) {
    const char* why = errno ? std::strerror(errno) : "out of memory";
    throw PolicyError(path + ": cannot open the host list (" + why + ")");
  }
  std::vector<char> buffer(read_chunk_bytes);
  for (;;) {
    const int n = gzread(file.get(), buffer.data(), read_chunk_bytes);
    if (n > 0) parser.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (parser.overflow_line()) return;
    int code = Z_OK;
    std::string_view message = gzerror(file.get(), &code);
    // A gzip stream cut short reads as an end of file with Z_BUF_ERROR set.
    if (n < 0 || code != Z_OK) {
      if (message.starts_with(path + ": ")) message.remove_prefix(path.size() + 2);
      const std::string why = code == Z_ERRNO ? std::strerror(errno) : std::string(message);
      throw PolicyError(where_in(path, parser.stats().lines + 1) + ": cannot read the host list (" + why + ")");
    }
    if (n == 0) break;
  }
  parser.finish();
}

std::string render(ListEntryKind kind, std::string_view name) {
  switch (kind) {
    case ListEntryKind::exact: return std::string(name);
    case ListEntryKind::wildcard: return "*." + std::string(name);
    case ListEntryKind::domain: return "||" + std::string(name) + "^";
  }
  return std::string(name);
}

}  // namespace

HostList read_host_list(const std::string& path, HostListLimits limits) {
  HostList list;
  list.path = path;
  HostListParser parser(limits, [&list](const ListEntry& e) { list.add(e); });
  read_into(path, parser);
  if (const auto line = parser.overflow_line())
    throw PolicyError(where_in(path, *line) + ": more than " + std::to_string(limits.max_names) +
                      " names in the policy's host lists");
  list.stats = parser.stats();
  return list;
}

std::optional<ListMatch> find_in_host_list(const std::string& path, std::string_view host, HostListLimits limits) {
  std::optional<ListMatch> found;
  HostListParser parser(limits, [&](const ListEntry& e) {
    if (!found && list_entry_matches(e.kind, e.name, host)) found = ListMatch{e.line, render(e.kind, e.name)};
  });
  read_into(path, parser);
  return found;
}

}  // namespace tlsgate::policy

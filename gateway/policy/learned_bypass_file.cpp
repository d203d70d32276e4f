// LearnedBypass: the persisted file (load, save_if_dirty).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/policy/host_pattern.hpp"
#include "gateway/policy/learned_bypass.hpp"

namespace tlsgate::policy {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

std::int64_t to_unix(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

system_clock::time_point from_unix(std::int64_t s) { return system_clock::time_point(std::chrono::seconds(s)); }

BypassEntry entry_from(const json& e, bool all_clients) {
  BypassEntry entry;
  entry.host = normalize_host(e.at("host").get<std::string>());
  const auto client = IpAddress::parse(e.at("client").get<std::string>());
  if (!client) throw LearnedBypassError("bad client address \"" + e.at("client").get<std::string>() + "\"");
  entry.client = client->unmapped();
  entry.all_clients = all_clients;
  entry.why = e.value("why", "");
  entry.evidence = e.value("evidence", std::size_t{1});
  entry.expires = from_unix(e.at("expires").get<std::int64_t>());
  entry.learned = e.contains("learned") ? from_unix(e.at("learned").get<std::int64_t>()) : entry.expires;
  return entry;
}

// fsync before rename: after a power loss the file is the old or the new list.
void write_atomically(const std::string& file, const std::string& text) {
  const std::string tmp = file + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  if (!ok) throw LearnedBypassError(tmp + ": cannot write the learned-bypass file");
  if (std::rename(tmp.c_str(), file.c_str()) != 0)
    throw LearnedBypassError(file + ": cannot replace the learned-bypass file");
}

}  // namespace

void LearnedBypass::load() {
  if (options_.file.empty()) return;
  std::error_code ec;
  if (!std::filesystem::exists(options_.file, ec) && !ec) {
    std::unique_lock lock(mutex_);
    entries_.clear();
    per_client_.clear();
    return;
  }
  std::ifstream in(options_.file, std::ios::binary);
  if (!in) throw LearnedBypassError(options_.file + ": cannot read the learned-bypass file");
  std::ostringstream text;
  text << in.rdbuf();
  Entries loaded;
  const auto now = clock_();
  try {
    const json doc = json::parse(text.str());
    for (const auto& e : doc.at("entries")) {
      BypassEntry entry = entry_from(e, options_.all_clients);
      if (entry.expires <= now) continue;
      auto [it, inserted] = loaded.try_emplace(key(entry.host, entry.client), entry);
      if (!inserted && it->second.expires < entry.expires) it->second = std::move(entry);
    }
  } catch (const std::exception& e) {
    throw LearnedBypassError(options_.file + ": corrupt learned-bypass file (delete it to start afresh): " + e.what());
  }
  std::unique_lock lock(mutex_);
  entries_ = std::move(loaded);
  per_client_.clear();
  for (const auto& [k, e] : entries_) ++per_client_[e.client.to_string()];
  saved_generation_ = generation_;
}

void LearnedBypass::save_if_dirty() {
  if (options_.file.empty()) return;
  std::lock_guard writer(save_mutex_);
  std::uint64_t generation = 0;
  json list = json::array();
  {
    std::shared_lock lock(mutex_);
    if (generation_ == saved_generation_) return;
    generation = generation_;
    for (const auto& [k, e] : entries_)
      list.push_back({{"host", e.host}, {"client", e.client.to_string()}, {"why", e.why},
                      {"evidence", e.evidence}, {"learned", to_unix(e.learned)}, {"expires", to_unix(e.expires)}});
  }
  // The table may change meanwhile; that change bumps the generation and is saved next time.
  write_atomically(options_.file, json{{"entries", std::move(list)}}.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
  std::unique_lock lock(mutex_);
  saved_generation_ = std::max(saved_generation_, generation);
}

}  // namespace tlsgate::policy

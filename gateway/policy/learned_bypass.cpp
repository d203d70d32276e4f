#include "gateway/policy/learned_bypass.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

std::int64_t to_unix(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

system_clock::time_point from_unix(std::int64_t s) { return system_clock::time_point(std::chrono::seconds(s)); }

}  // namespace

LearnedBypass::LearnedBypass(std::string file, std::chrono::seconds ttl, bool all_clients, Clock clock)
    : file_(std::move(file)), ttl_(ttl), all_clients_(all_clients), clock_(std::move(clock)) {}

std::string LearnedBypass::key(const std::string& normalized_host, const IpAddress& client) const {
  return all_clients_ ? normalized_host : normalized_host + " " + client.unmapped().to_string();
}

void LearnedBypass::load() {
  if (file_.empty()) return;
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec) && !ec) {
    std::unique_lock lock(mutex_);
    entries_.clear();
    return;
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) throw LearnedBypassError(file_ + ": cannot read the learned-bypass file");
  std::ostringstream text;
  text << in.rdbuf();
  std::unordered_map<std::string, Entry> loaded;
  const auto now = clock_();
  try {
    const json doc = json::parse(text.str());
    for (const auto& e : doc.at("entries")) {
      Entry entry{normalize_host(e.at("host").get<std::string>()), {}, e.value("why", ""),
                  from_unix(e.at("expires").get<std::int64_t>())};
      const auto client = IpAddress::parse(e.at("client").get<std::string>());
      if (!client) throw LearnedBypassError("bad client address \"" + e.at("client").get<std::string>() + "\"");
      entry.client = client->unmapped();
      if (entry.expires <= now) continue;
      auto k = key(entry.host, entry.client);
      auto [it, inserted] = loaded.try_emplace(std::move(k), entry);
      if (!inserted && it->second.expires < entry.expires) it->second = std::move(entry);
    }
  } catch (const std::exception& e) {
    throw LearnedBypassError(file_ + ": corrupt learned-bypass file (delete it to start afresh): " + e.what());
  }
  std::unique_lock lock(mutex_);
  entries_ = std::move(loaded);
}

bool LearnedBypass::contains(const std::string& host, const IpAddress& client) const {
  const auto k = key(normalize_host(host), client);
  std::shared_lock lock(mutex_);
  const auto it = entries_.find(k);
  return it != entries_.end() && it->second.expires > clock_();
}

void LearnedBypass::add(const std::string& host, const IpAddress& client, std::string why) {
  const auto now = clock_();
  Entry entry{normalize_host(host), client.unmapped(), std::move(why), now + ttl_};
  auto k = key(entry.host, entry.client);
  std::unique_lock lock(mutex_);
  drop_expired(now);
  if (!entries_.contains(k) && entries_.size() >= max_entries) {
    const auto first = std::min_element(entries_.begin(), entries_.end(),
                                        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    entries_.erase(first);
  }
  entries_.insert_or_assign(std::move(k), std::move(entry));
  save();
}

std::size_t LearnedBypass::size() const {
  const auto now = clock_();
  std::shared_lock lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.second.expires > now; }));
}

void LearnedBypass::drop_expired(system_clock::time_point now) {
  std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
}

void LearnedBypass::save() const {
  if (file_.empty()) return;
  json list = json::array();
  for (const auto& [k, e] : entries_)
    list.push_back({{"host", e.host}, {"client", e.client.to_string()}, {"why", e.why}, {"expires", to_unix(e.expires)}});
  const std::string tmp = file_ + ".tmp";
  const std::string text = json{{"entries", std::move(list)}}.dump(1) + "\n";
  // fsync before rename: after a power loss the file is the old or the new list.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  if (!ok) throw LearnedBypassError(tmp + ": cannot write the learned-bypass file");
  if (std::rename(tmp.c_str(), file_.c_str()) != 0)
    throw LearnedBypassError(file_ + ": cannot replace the learned-bypass file");
}

}  // namespace tlsgate::policy

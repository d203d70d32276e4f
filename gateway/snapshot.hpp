#pragma once
// A read-mostly value shared across threads: readers take the current
// snapshot and keep it as long as they like, a writer swaps in a new one.
// A small mutex rather than std::atomic<std::shared_ptr>: GCC 12's lock-bit
// implementation of the latter is invisible to ThreadSanitizer, and one
// uncontended lock per flow start costs nothing measurable. A reader that asks
// often (a flow, per request) keeps a SnapshotView: one atomic load per ask
// while nothing new was stored.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

namespace tlsgate {

template <class T>
class Snapshot {
 public:
  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }
  // The value with its version (how many stores made it), read together.
  std::pair<std::shared_ptr<const T>, std::uint64_t> load_versioned() const {
    std::lock_guard lock(mutex_);
    return {value_, version_.load(std::memory_order_relaxed)};
  }
  // Changes with every store (acquire: a reader that sees the new version finds the new value).
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void store(std::shared_ptr<const T> value) {
    std::shared_ptr<const T> old;
    {
      std::lock_guard lock(mutex_);
      old = std::exchange(value_, std::move(value));
      version_.fetch_add(1, std::memory_order_release);
    }
    // `old` is released here, outside the lock: the last reader may free a whole policy.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  std::atomic<std::uint64_t> version_{0};
};

// One reader's cached view of a Snapshot: current() is the latest stored value,
// and costs one atomic load unless a store happened since the last call. Not
// thread-safe itself (one per flow, used on the flow's thread); `source` must
// outlive it. The reference current() returns is valid until its next call:
// copy the shared_ptr to keep a value across a later call.
template <class T>
class SnapshotView {
 public:
  explicit SnapshotView(const Snapshot<T>& source) : source_(&source) { refresh(); }
  const std::shared_ptr<const T>& current() {
    if (source_->version() != version_) refresh();
    return value_;
  }

 private:
  void refresh() { std::tie(value_, version_) = source_->load_versioned(); }

  const Snapshot<T>* source_;
  std::shared_ptr<const T> value_;
  std::uint64_t version_ = 0;
};

}  // namespace tlsgate

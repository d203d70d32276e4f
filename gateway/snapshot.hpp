#pragma once
// A read-mostly value shared across threads: readers take the current
// snapshot and keep it as long as they like, a writer swaps in a new one.
// A small mutex rather than std::atomic<std::shared_ptr>: GCC 12's lock-bit
// implementation of the latter is invisible to ThreadSanitizer, and one
// uncontended lock per flow start costs nothing measurable.
#include <memory>
#include <mutex>
#include <utility>

namespace tlsgate {

template <class T>
class Snapshot {
 public:
  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }
  void store(std::shared_ptr<const T> value) {
    std::shared_ptr<const T> old;
    {
      std::lock_guard lock(mutex_);
      old = std::exchange(value_, std::move(value));
    }
    // `old` is released here, outside the lock: the last reader may free a whole policy.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
};

}  // namespace tlsgate

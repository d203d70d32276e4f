#pragma once
// What a relay shows its observers: the bytes after they were forwarded, so
// observers never change or delay them.
#include <cstdint>
#include <span>

#include "gateway/capture/flow_capture.hpp"

namespace tlsgate {

class RelayTap {
 public:
  virtual ~RelayTap() = default;
  virtual void from_client(std::span<const std::uint8_t> bytes) = 0;
  virtual void from_server(std::span<const std::uint8_t> bytes) = 0;
};

// Shows a relay's bytes to an observer, then to the flow's capture; either may be null.
class TeeTap final : public RelayTap {
 public:
  TeeTap(RelayTap* observer, capture::FlowCapture* capture) : observer_(observer), capture_(capture) {}
  // The tap a relay should get: null when both are, the observer when there is no capture.
  RelayTap* get() { return capture_ ? this : observer_; }
  void from_client(std::span<const std::uint8_t> bytes) override {
    if (observer_) observer_->from_client(bytes);
    if (capture_) capture_->from_client(bytes);
  }
  void from_server(std::span<const std::uint8_t> bytes) override {
    if (observer_) observer_->from_server(bytes);
    if (capture_) capture_->from_server(bytes);
  }

 private:
  RelayTap* observer_;
  capture::FlowCapture* capture_;
};

}  // namespace tlsgate

#pragma once
// A rule's `when`: days of the week and a local time of day, possibly across
// midnight ("from": "21:00", "to": "07:00"). Times are minutes of the week in
// local time, Monday 00:00 = 0, which the caller supplies, so that matching
// stays pure and tests control the clock.
#include <compare>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::policy {

using MinuteOfWeek = std::uint16_t;  // 0 .. 10079
constexpr std::uint16_t minutes_per_day = 24 * 60;
constexpr std::uint16_t minutes_per_week = 7 * minutes_per_day;

struct TimeWindow {
  std::uint8_t days = 0x7f;   // bit 0 Monday .. bit 6 Sunday: the days the window starts on
  std::uint16_t from = 0;     // minutes after midnight
  std::uint16_t to = minutes_per_day;  // exclusive; to < from: the window ends the next day

  bool contains(MinuteOfWeek minute) const;
  std::string to_string() const;  // "mon,tue 21:00-07:00"
  auto operator<=>(const TimeWindow&) const = default;
};

// "mon" .. "sun" (any case) -> 0 .. 6.
std::optional<unsigned> parse_day(std::string_view text);
// "HH:MM", 00:00 .. 24:00 -> minutes after midnight.
std::optional<std::uint16_t> parse_clock(std::string_view text);
// "mon 21:30" -> its minute of the week.
std::optional<MinuteOfWeek> parse_minute_of_week(std::string_view text);
std::string format_minute_of_week(MinuteOfWeek minute);  // "mon 21:30"

MinuteOfWeek minute_of_week(const std::tm& local);
// The local minute of the week at `when` (the TZ environment / /etc/localtime).
MinuteOfWeek local_minute_of_week(std::time_t when);

}  // namespace tlsgate::policy

#include "gateway/policy/time_window.hpp"

#include <array>
#include <cstdio>

namespace tlsgate::policy {
namespace {

constexpr std::array<std::string_view, 7> day_names = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool day_in(std::uint8_t days, unsigned day) { return (days >> day) & 1u; }

std::string clock(std::uint16_t minutes) {
  char text[8];
  std::snprintf(text, sizeof text, "%02u:%02u", minutes / 60u, minutes % 60u);
  return text;
}

}  // namespace

bool TimeWindow::contains(MinuteOfWeek minute) const {
  const unsigned day = (minute / minutes_per_day) % 7;
  const unsigned time = minute % minutes_per_day;
  if (from < to) return day_in(days, day) && time >= from && time < to;
  // Across midnight: the evening part on a listed day, the morning part on the day after one.
  return (day_in(days, day) && time >= from) || (day_in(days, (day + 6) % 7) && time < to);
}

std::string TimeWindow::to_string() const {
  std::string out;
  for (unsigned d = 0; d < 7; ++d)
    if (day_in(days, d)) out += (out.empty() ? "" : ",") + std::string(day_names[d]);
  return out + " " + clock(from) + "-" + clock(to);
}

std::optional<unsigned> parse_day(std::string_view text) {
  if (text.size() != 3) return std::nullopt;
  std::string lower(text);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (unsigned d = 0; d < 7; ++d)
    if (lower == day_names[d]) return d;
  return std::nullopt;
}

std::optional<std::uint16_t> parse_clock(std::string_view text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(text[0]) || !digit(text[1]) || !digit(text[3]) || !digit(text[4]))
    return std::nullopt;
  const unsigned hours = (text[0] - '0') * 10u + (text[1] - '0');
  const unsigned minutes = (text[3] - '0') * 10u + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return static_cast<std::uint16_t>(hours * 60 + minutes);
}

std::optional<MinuteOfWeek> parse_minute_of_week(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto day = parse_day(text.substr(0, space));
  const auto time = parse_clock(text.substr(space + 1));
  if (!day || !time || *time == minutes_per_day) return std::nullopt;
  return static_cast<MinuteOfWeek>(*day * minutes_per_day + *time);
}

std::string format_minute_of_week(MinuteOfWeek minute) {
  return std::string(day_names[(minute / minutes_per_day) % 7]) + " " + clock(minute % minutes_per_day);
}

MinuteOfWeek minute_of_week(const std::tm& local) {
  const unsigned day = static_cast<unsigned>(local.tm_wday + 6) % 7;  // tm_wday: 0 = Sunday
  return static_cast<MinuteOfWeek>(day * minutes_per_day + static_cast<unsigned>(local.tm_hour) * 60 +
                                   static_cast<unsigned>(local.tm_min));
}

MinuteOfWeek local_minute_of_week(std::time_t when) {
  std::tm local{};
  localtime_r(&when, &local);
  return minute_of_week(local);
}

}  // namespace tlsgate::policy

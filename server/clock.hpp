// Time as the server stores and speaks it: UTC ISO-8601. Stored values carry
// microseconds ("2026-02-18T10:30:00.123456Z") so that they sort as text and rarely tie;
// the wire shows whole seconds ("2026-02-18T10:30:00Z"). Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate::server {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

TimePoint now();
// The stored form, with microseconds.
std::string format_stored(TimePoint time);
// The wire form of a stored value (or any ISO-8601 UTC text): fraction dropped.
std::string wire_time(std::string_view stored);
// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; nullopt when malformed.
std::optional<TimePoint> parse_iso(std::string_view text);

}  // namespace scopegate::server

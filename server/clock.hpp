// Time as the server stores and speaks it: UTC ISO-8601. Stored values carry
// microseconds ("2026-02-18T10:30:00.123456Z") so that they sort as text and rarely tie;
// the wire shows whole seconds ("2026-02-18T10:30:00Z"). Pure functions, thread-safe.
//
// now() is the one clock the server reads for what it stores and for every expiry (keys,
// tokens, sessions, the sweeper): the system clock plus an offset that is zero unless a
// test sets one, so that a test advances time instead of sleeping.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace scopegate::server {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

TimePoint now();
// For tests only: from now on, now() reads the system clock plus `offset` (process-wide,
// thread-safe). Set it back to zero when done.
void set_clock_offset_for_testing(std::chrono::microseconds offset);
// The offset set last (zero unless a test set one).
std::chrono::microseconds clock_offset_for_testing();
// The stored form, with microseconds.
std::string format_stored(TimePoint time);
// The wire form of a stored value (or any ISO-8601 UTC text): fraction dropped.
std::string wire_time(std::string_view stored);
// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; nullopt when malformed.
std::optional<TimePoint> parse_iso(std::string_view text);

}  // namespace scopegate::server

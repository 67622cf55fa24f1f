// The time a request is decided at when it gives none, the same for `scopegate test` and
// `scopegate explain`: the clock, read once per run (every case or line of a run sees the
// same instant), unless `--time` sets it. Both print which time they used. Pure functions
// but for the clock read; single-threaded use.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace scopegate::cli {

struct RequestTime {
  std::int64_t seconds = 0;  // since the epoch, UTC
  bool given = false;        // from --time; else the clock
};

// `--time TEXT` (UTC ISO-8601) when `text` is not empty, else the clock now. Throws
// CLI::ValidationError naming --time when the text is not a timestamp.
RequestTime request_time(std::string_view text);

// "2026-12-07T06:00:00Z"
std::string timestamp_text(std::int64_t seconds);

// "2026-12-07T06:00:00Z (now)" or "2026-03-01T12:00:00Z (--time)"
std::string time_text(const RequestTime& time);

// {"value": "2026-12-07T06:00:00Z", "source": "now" | "given"}
nlohmann::ordered_json time_json(const RequestTime& time);

}  // namespace scopegate::cli

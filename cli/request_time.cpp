#include "request_time.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>

#include "scopegate/condition.hpp"

namespace scopegate::cli {

RequestTime request_time(std::string_view text) {
  if (text.empty()) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return {std::chrono::duration_cast<std::chrono::seconds>(now).count(), false};
  }
  const auto seconds = parse_timestamp(text);
  if (!seconds) {
    throw CLI::ValidationError(
        "--time", fmt::format("`{}`: write UTC ISO-8601, e.g. 2026-02-18T10:30:00Z", text));
  }
  return {*seconds, true};
}

std::string timestamp_text(std::int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds time{std::chrono::seconds{seconds}};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int{date.year()},
                     unsigned{date.month()}, unsigned{date.day()}, clock.hours().count(),
                     clock.minutes().count(), clock.seconds().count());
}

std::string time_text(const RequestTime& time) {
  return fmt::format("{} ({})", timestamp_text(time.seconds), time.given ? "--time" : "now");
}

nlohmann::ordered_json time_json(const RequestTime& time) {
  return {{"value", timestamp_text(time.seconds)}, {"source", time.given ? "given" : "now"}};
}

}  // namespace scopegate::cli

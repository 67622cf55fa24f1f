// RateLimiter: the per-API-key request limit of API.md ("429 with `Retry-After` when a
// key exceeds its rate limit"). Each key has a token bucket that holds up to `burst`
// requests and refills at `requests_per_minute`; a request takes one token, and a
// request that finds the bucket empty is refused with the time until the next token.
//
// A bucket is kept as the single time at which it will be full again (the generic cell
// rate algorithm, an exact equivalent of a token bucket): a key whose bucket is full
// needs no entry at all, so entries whose time has passed are dropped by a sweep that
// runs at most once per refill period on each shard. Memory is therefore one entry per
// key used within about the last two refill periods (refill period = burst / rate), and
// never grows with the number of requests. Nothing here touches the database.
//
// Keys are whatever the caller chooses (the server passes the API key's id). Time is a
// parameter so that tests can drive it; the server passes steady_clock::now().
// Thread-safe: entries are spread over shards, each with its own mutex.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace scopegate::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // requests_per_minute == 0 disables the limiter (every request is allowed and nothing
  // is stored); otherwise burst must be at least 1 (the config rejects anything else).
  RateLimiter(std::int64_t requests_per_minute, std::int64_t burst);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  struct Verdict {
    bool allowed = true;
    // When refused: whole seconds until a token is available again, at least 1.
    std::int64_t retry_after_seconds = 0;
  };

  // Takes one token from `key`'s bucket at time `now`. A refused request takes nothing.
  Verdict acquire(std::string_view key, Clock::time_point now);

  bool enabled() const { return m_interval.count() > 0; }
  std::int64_t requests_per_minute() const { return m_requests_per_minute; }
  std::int64_t burst() const { return m_burst; }
  // How many keys currently hold an entry (for tests and diagnostics).
  std::size_t tracked_keys() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    // key -> the time at which its bucket is full again
    std::unordered_map<std::string, Clock::time_point, Hash, std::equal_to<>> full_at;
    Clock::time_point next_sweep{};
  };
  static constexpr std::size_t shard_count = 16;

  std::int64_t m_requests_per_minute;
  std::int64_t m_burst;
  Clock::duration m_interval{};  // time to refill one token; zero when disabled
  Clock::duration m_capacity{};  // m_interval * burst: time to refill an empty bucket
  std::array<Shard, shard_count> m_shards;
};

}  // namespace scopegate::server

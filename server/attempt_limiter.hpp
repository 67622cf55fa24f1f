// AttemptLimiter: at most `limit` attempts per key (a client address) in a fixed window
// that starts at the key's first attempt; the (limit+1)th within it is refused until the
// window ends. What POST /api/v1/auth/register uses (5 per address per hour). Every
// attempt counts, whatever its outcome, when it begins.
//
// Memory: one entry per key with a window still open, at most `max_entries`; expired
// entries are swept as new keys arrive, and when the table is full of open windows a
// new key is not tracked (allowed), as LoginThrottle does. Counts live in memory, per
// server process.
//
// Time is a parameter so that tests can drive it; the server passes steady_clock::now().
// Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace scopegate::server {

class AttemptLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  AttemptLimiter(std::int64_t limit, std::chrono::seconds window,
                 std::size_t max_entries = 100'000);
  AttemptLimiter(const AttemptLimiter&) = delete;
  AttemptLimiter& operator=(const AttemptLimiter&) = delete;

  struct Verdict {
    bool allowed = true;
    // When refused: whole seconds until the window ends, at least 1.
    std::int64_t retry_after_seconds = 0;
  };
  // Counts an attempt by `key` at `now`, and says whether it may go on.
  Verdict attempt(std::string_view key, Clock::time_point now);

 private:
  struct Window {
    Clock::time_point start;
    std::int64_t count = 0;
  };
  void sweep(Clock::time_point now);

  std::int64_t m_limit;
  std::chrono::seconds m_window;
  std::size_t m_max_entries;
  std::mutex m_mutex;
  std::unordered_map<std::string, Window> m_windows;
};

}  // namespace scopegate::server
